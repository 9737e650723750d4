// Every error a client can see, with its HTTP status. This registry is part of the wire contract:
// docs/errors.md lists the same types, and test/errors-doc.test.ts keeps the two equal.

export const errorStatusByType = {
  invalid_input: 400,
  invalid_content_type: 400,
  unauthorized: 401,
  forbidden: 403,
  event_not_found: 404,
  webhook_not_found: 404,
  delivery_not_found: 404,
  recovery_not_found: 404,
  not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  rate_limited: 429,
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

  constructor(type: ErrorType, message: string, validationErrors?: ValidationErrors) {
    super(message)
    this.name = 'SeamApiError'
    this.type = type
    this.validationErrors = validationErrors
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
