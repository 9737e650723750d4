// Turns anything thrown while handling a request into Seam's error envelope. Only SeamApiError
// messages are shown to clients; every other error becomes a 500 that names the request id and
// nothing else, and is logged in full.

import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'

import { SeamApiError, type ErrorType } from '../domain/errors.ts'

export function sendError(reply: FastifyReply, request: FastifyRequest, error: SeamApiError): void {
  reply
    .code(error.statusCode)
    .type('application/json; charset=utf-8')
    .send({
      error: {
        type: error.type,
        message: error.message,
        request_id: request.id,
        ...(error.validationErrors === undefined
          ? {}
          : { validation_errors: error.validationErrors }),
      },
      ok: false,
    })
}

/** Fastify's own request errors, as the clear client errors they are. */
const fastifyErrorTypes: Record<string, [ErrorType, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: ['payload_too_large', 'The request body is larger than 1 MiB'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [
    'invalid_content_type',
    'Send the request body as JSON, with content-type: application/json',
  ],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [
    'invalid_input',
    'The content-length header does not match the body',
  ],
  FST_ERR_CTP_INVALID_JSON_BODY: ['invalid_input', 'The request body is not valid JSON'],
  FST_ERR_BAD_URL: ['invalid_input', 'The request URL is malformed'],
  FST_ERR_ASYNC_CONSTRAINT: ['invalid_input', 'The request could not be routed'],
}

export function toSeamApiError(error: unknown, request: FastifyRequest): SeamApiError {
  if (error instanceof SeamApiError) return error
  const code = (error as Partial<FastifyError> | null)?.code
  const known = code === undefined ? undefined : fastifyErrorTypes[code]
  if (known !== undefined) return new SeamApiError(known[0], known[1])
  // JSON.parse failures from the body parser surface as a SyntaxError with a 400 status.
  if (error instanceof SyntaxError && (error as Partial<FastifyError>).statusCode === 400) {
    return new SeamApiError('invalid_input', 'The request body is not valid JSON')
  }
  request.log.error({ err: error }, 'unhandled error')
  return new SeamApiError(
    'internal_server_error',
    `An internal error occurred; quote request id ${request.id} when reporting it`,
  )
}

