// Turns anything thrown while handling a request into Seam's error envelope. Only SeamApiError
// messages are shown to clients; every other error becomes a 500 that names the request id and
// nothing else, and is logged in full.

import { randomUUID } from 'node:crypto'
import { maxHeaderSize, STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'

import type { FastifyBaseLogger, FastifyError, FastifyReply, FastifyRequest } from 'fastify'

import { SeamApiError, type ErrorType } from '../domain/errors.ts'
import { QueryTimeoutError } from '../store/store.ts'

/** Seam's error body for `error`, answering the request `requestId`. */
export function errorBody(error: SeamApiError, requestId: string): string {
  return JSON.stringify({
    error: {
      type: error.type,
      message: error.message,
      request_id: requestId,
      ...(error.validationErrors === undefined ? {} : { validation_errors: error.validationErrors }),
    },
    ok: false,
  })
}

export function sendError(reply: FastifyReply, request: FastifyRequest, error: SeamApiError): void {
  reply
    .code(error.statusCode)
    .headers(error.headers)
    .type('application/json; charset=utf-8')
    .send(errorBody(error, request.id))
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
  FST_ERR_CTP_EMPTY_JSON_BODY: ['invalid_input', 'The request body is not valid JSON'],
  FST_ERR_BAD_URL: ['invalid_input', 'The request URL is malformed'],
  FST_ERR_ASYNC_CONSTRAINT: ['invalid_input', 'The request could not be routed'],
}

export function toSeamApiError(error: unknown, request: FastifyRequest): SeamApiError {
  if (error instanceof SeamApiError) return error
  if (error instanceof QueryTimeoutError) {
    return new SeamApiError(
      'service_unavailable',
      `The query ran past QUERY_TIMEOUT_SECONDS (${error.timeoutMs / 1000} s) and was stopped; ask for less (a shorter window, fewer ids) or try again`,
      undefined,
      { 'retry-after': '1' },
    )
  }
  const code = (error as Partial<FastifyError> | null)?.code
  const known = code === undefined ? undefined : fastifyErrorTypes[code]
  if (known !== undefined) return new SeamApiError(known[0], known[1])
  // JSON.parse failures from the body parser surface as a SyntaxError with a 400 status.
  if (error instanceof SyntaxError && (error as Partial<FastifyError>).statusCode === 400) {
    return new SeamApiError('invalid_input', 'The request body is not valid JSON')
  }
  // A body that ends early (the client went away) is the client's doing, not ours.
  if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || (error as Error | null)?.message === 'aborted') {
    return new SeamApiError('invalid_input', 'The request body ended before it was complete')
  }
  request.log.error({ err: error }, 'unhandled error')
  return internalError(request.id)
}

function internalError(requestId: string): SeamApiError {
  return new SeamApiError(
    'internal_server_error',
    `An internal error occurred; quote request id ${requestId} when reporting it`,
  )
}

/**
 * Node's HTTP parser refuses some requests before Fastify sees them (Fastify's option
 * `clientErrorHandler`): a request not received within the request timeout, headers (the URL
 * included) over the size limit, bytes that are not HTTP. They get Seam's envelope and a
 * request id too, written straight to the socket, which is then closed: the connection's state
 * is unknown after such a request.
 */
export function answerClientError(logger: FastifyBaseLogger, error: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection has nobody left to answer (https://nodejs.org/api/http.html#event-clienterror).
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const requestId = randomUUID()
  const seamError = clientErrorFor(error.code)
  logger.info({ request_id: requestId, code: error.code, status_code: seamError.statusCode }, 'client error')
  // A response already under way on this socket cannot be replaced; the socket is only closed.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage
  if (socket.writable && inFlight?.headersSent !== true) {
    const body = errorBody(seamError, requestId)
    socket.write(
      `HTTP/1.1 ${seamError.statusCode} ${STATUS_CODES[seamError.statusCode] ?? ''}\r\n` +
        'content-type: application/json; charset=utf-8\r\n' +
        `content-length: ${Buffer.byteLength(body)}\r\n` +
        `seam-request-id: ${requestId}\r\n` +
        'connection: close\r\n\r\n' +
        body,
    )
  }
  socket.destroySoon()
}

function clientErrorFor(code: string | undefined): SeamApiError {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new SeamApiError('request_timeout', 'The request was not received in time; the connection is closed')
    case 'HPE_HEADER_OVERFLOW':
      return new SeamApiError('headers_too_large', `The request line and headers are larger than ${maxHeaderSize / 1024} KiB`)
    default:
      return new SeamApiError('invalid_input', 'The request is not valid HTTP')
  }
}
