// One forward of `seam-events listen`: the event POSTed to the developer's URL exactly as the
// server's delivery worker sends a delivery (the same body, the same header set from
// webhookHeaders, timestamped per try), tried again after a failure, a few times. Not the
// worker's code itself (src/workers/ is being reworked; the worker's request goes through the
// SSRF guard, which a forward to the developer's own URL must not), but the same pieces.

import { createHash } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'

import { request } from 'undici'

import { nextRetryDelayMs, parseRetryAfterMs } from '../domain/retry-schedule.ts'
import { webhookHeaders } from '../domain/webhook-signature.ts'
import { reason } from './api-client.ts'

/** Three tries: now, after about 0.5 s, after about 2 s more. */
export const forwardRetryScheduleSeconds = [0.5, 2] as const
/** A local app that takes longer than this is treated as not answering. */
const forwardTimeoutMs = 10_000
/** A Retry-After is honoured up to this long; a local app asking for more is failing. */
const maxRetryAfterMs = 30_000
const userAgent = 'seam-events listen (webhook forward)'

export interface ForwardRequest {
  url: string
  secret: string
  /** The event's JSON, as the stream sent it: the body, byte for byte. */
  body: string
  eventId: string
  /** Stops retrying (the try in flight finishes). */
  signal: AbortSignal
  /** Told about each failed try that will be tried again. */
  onRetry?: (note: string) => void
}

export interface ForwardOutcome {
  delivered: boolean
  /** The last try's status; null when it got no answer. */
  status_code: number | null
  /** The last try's duration. */
  duration_ms: number
  tries: number
  error: string | null
}

/**
 * The svix-id of an event's forward: the same in each of its tries and on every run (so the
 * receiver can deduplicate as it would the server's deliveries), derived from the event and the
 * secret so that two listeners' forwards of one event differ, as two webhooks' deliveries do.
 */
export function forwardMessageId(secret: string, eventId: string): string {
  const hex = createHash('sha256').update(`${secret}\n${eventId}`).digest('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

export async function forwardEvent({ url, secret, body, eventId, signal, onRetry }: ForwardRequest): Promise<ForwardOutcome> {
  const messageId = forwardMessageId(secret, eventId)
  for (let tries = 1; ; tries++) {
    const started = performance.now()
    let statusCode: number | null = null
    let retryAfter: string | undefined
    let error: string | null = null
    try {
      const response = await request(url, {
        method: 'POST',
        headers: { ...webhookHeaders([secret], messageId, body, new Date()), 'user-agent': userAgent },
        body,
        signal: AbortSignal.timeout(forwardTimeoutMs),
        headersTimeout: forwardTimeoutMs,
        bodyTimeout: forwardTimeoutMs,
      })
      statusCode = response.statusCode
      const header = response.headers['retry-after']
      retryAfter = Array.isArray(header) ? header[0] : header
      await response.body.dump().catch(() => {})
      if (statusCode < 200 || statusCode >= 300) error = `answered ${statusCode}`
    } catch (failure) {
      error = (failure as { name?: string }).name === 'TimeoutError' ? `no answer within ${forwardTimeoutMs / 1000} s` : reason(failure)
    }
    const outcome = {
      delivered: error === null,
      status_code: statusCode,
      duration_ms: Math.round(performance.now() - started),
      tries,
      error,
    }
    if (outcome.delivered || signal.aborted) return outcome
    // The same jittered schedule the worker draws from, with listen's own few short delays.
    const scheduledMs = nextRetryDelayMs(forwardRetryScheduleSeconds, { roundAttempts: tries, manualRetry: false })
    if (scheduledMs === null) return outcome
    const askedMs =
      statusCode === 429 || statusCode === 503 ? parseRetryAfterMs(retryAfter, Date.now()) : undefined
    const waitMs = Math.min(maxRetryAfterMs, askedMs ?? scheduledMs)
    onRetry?.(`${error}; trying again in ${(waitMs / 1000).toFixed(1)} s (try ${tries + 1} of ${forwardRetryScheduleSeconds.length + 1})`)
    await sleep(waitMs, undefined, { signal }).catch(() => {})
    if (signal.aborted) return outcome
  }
}
