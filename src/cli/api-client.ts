// What the client commands (tail, listen, simulate, trigger) share to talk to a running server:
// Seam's error envelope as one line, network failures named by their code, and a publish call
// that says whether its failure is worth retrying.

import type { ClientConfig } from '../config.ts'
import { parseRetryAfterMs } from '../domain/retry-schedule.ts'
import { CliError } from './database-command.ts'

/** A request the server refused or could not answer, as one line. */
export class ApiRequestError extends CliError {
  constructor(
    message: string,
    /** Null when no answer came (a connection refused, reset or timed out). */
    readonly status: number | null,
    /** For a 429 or 503: how long the server asked to wait. */
    readonly retryAfterMs: number | undefined,
  ) {
    super(message)
  }

  /** Too many requests, a server error, or no answer: another try may succeed. */
  get retryable(): boolean {
    return this.status === null || this.status === 429 || this.status >= 500
  }
}

/** Seam's error envelope as one line: the status, its type and message. */
export async function errorMessage(response: Response): Promise<string> {
  const text = await response.text()
  try {
    const { error } = JSON.parse(text) as { error: { type: string; message: string } }
    return `${response.status} ${error.type}: ${error.message}`
  } catch {
    return `${response.status} ${response.statusText}`
  }
}

/** Why a request got no answer: the system's code (ECONNREFUSED...) where there is one. */
export function reason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error))
}

/** Bounds one publish request; a server that holds it longer is treated as not answering. */
const publishTimeoutMs = 30_000

/**
 * POST /events/publish with `{"events": [...]}`: the stored events, or an ApiRequestError. An
 * abort of `signal` rejects with the abort's reason, not an ApiRequestError.
 */
export async function publishEvents(
  config: ClientConfig,
  events: readonly Record<string, unknown>[],
  signal?: AbortSignal,
): Promise<Record<string, unknown>[]> {
  const body = await postJson(config, '/events/publish', { events }, signal)
  return (body as { events: Record<string, unknown>[] }).events
}

export async function postJson(
  config: ClientConfig,
  path: string,
  body: unknown,
  signal?: AbortSignal,
): Promise<unknown> {
  const timeout = AbortSignal.timeout(publishTimeoutMs)
  let response: Response
  try {
    response = await fetch(`${config.endpoint}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${config.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
    })
  } catch (error) {
    if (signal?.aborted === true) throw signal.reason
    const why = timeout.aborted ? `no answer within ${publishTimeoutMs / 1000} s` : reason(error)
    throw new ApiRequestError(`cannot reach ${config.endpoint}: ${why}`, null, undefined)
  }
  if (!response.ok) {
    const retryAfterMs = parseRetryAfterMs(response.headers.get('retry-after') ?? undefined, Date.now())
    throw new ApiRequestError(await errorMessage(response), response.status, retryAfterMs)
  }
  return await response.json()
}
