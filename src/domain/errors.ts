// Every error a client can see, with its HTTP status. This registry is part of the wire contract:
// docs/errors.md lists the same types, and test/errors-doc.test.ts keeps the two equal.

export const errorStatusByType = {
  invalid_input: 400,
  invalid_content_type: 400,
  webhook_limit_reached: 400,
  unauthorized: 401,
  forbidden: 403,
  event_not_found: 404,
  webhook_not_found: 404,
  delivery_not_found: 404,
  recovery_not_found: 404,
  not_found: 404,
  method_not_allowed: 405,
  request_timeout: 408,
  payload_too_large: 413,
  rate_limited: 429,
  headers_too_large: 431,
  internal_server_error: 500,
  service_unavailable: 503,
} as const

export type ErrorType = keyof typeof errorStatusByType

/** zod's `format()` shape, which the Seam SDK reads as `validation_errors[param]._errors`. */
export interface ValidationErrors {
  _errors: string[]
  [field: string]: ValidationErrors | string[]
}

/** An error meant for the client: its message and validation errors are safe to show. */
export class SeamApiError extends Error {
  readonly type: ErrorType
  readonly validationErrors: ValidationErrors | undefined
  /** Response headers that belong to the error, such as `retry-after` on a 429. */
  readonly headers: Readonly<Record<string, string>>

  constructor(
    type: ErrorType,
    message: string,
    validationErrors?: ValidationErrors,
    headers: Readonly<Record<string, string>> = {},
  ) {
    super(message)
    this.name = 'SeamApiError'
    this.type = type
    this.validationErrors = validationErrors
    this.headers = headers
  }

  get statusCode(): number {
    return errorStatusByType[this.type]
  }
}

/** A 400 `invalid_input` naming one parameter, in the shape zod's `format()` would give. */
export function invalidParameter(parameter: string, message: string): SeamApiError {
  return new SeamApiError('invalid_input', `${parameter}: ${message}`, {
    _errors: [],
    [parameter]: { _errors: [message] },
  })
}
