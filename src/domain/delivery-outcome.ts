// What an attempt's outcome does to its delivery and to its webhook: one pure function, so that
// every rule is in one place and unit-tested (test/delivery-outcome.test.ts). The store only
// applies the decision (recordDeliveryOutcomes), with the webhook's state as it is then.
//
// - 2xx: the delivery succeeded; a failing webhook is healthy again.
// - 410 Gone: the delivery failed and the webhook is disabled at once (`gone`).
// - Anything else (3xx, 4xx, 5xx, no response): another attempt after the schedule's next delay
//   (or the wait a 429 or 503 asked for), or failed when the round is over; the webhook is
//   failing since its first failure without a success, and disabled (`failing`) once that is
//   `disableAfterMs` ago. A retry of a disabled webhook's delivery is parked until it is enabled.

import type { DeliveryOutcome, OutcomeDecision, WebhookHealth } from '../store/store.ts'
import { nextRetryDelayMs } from './retry-schedule.ts'

export interface OutcomePolicy {
  now: number
  /** Delays in seconds before each retry, after the first attempt. */
  retryScheduleSeconds: readonly number[]
  /** A webhook failing without success for this long is disabled. */
  disableAfterMs: number
  /** For the schedule's jitter; tests pass a fixed one. */
  random?: () => number
}

export function decideOutcome(outcome: DeliveryOutcome, webhook: WebhookHealth, policy: OutcomePolicy): OutcomeDecision {
  const status = outcome.attempt.status_code
  if (status !== null && status >= 200 && status < 300) {
    return { delivery: { kind: 'succeeded' }, webhook: { failing_since: null, disable: null } }
  }
  if (status === 410) {
    return { delivery: { kind: 'failed' }, webhook: { failing_since: webhook.failing_since, disable: 'gone' } }
  }
  const failingSince = webhook.failing_since ?? new Date(policy.now).toISOString()
  const failingTooLong = failingSince <= new Date(policy.now - policy.disableAfterMs).toISOString()
  const scheduledMs = outcome.facts.retriable
    ? nextRetryDelayMs(
        policy.retryScheduleSeconds,
        { roundAttempts: outcome.facts.round_attempts, manualRetry: outcome.facts.manual_retry },
        policy.random,
      )
    : null
  const webhookDecision = { failing_since: failingSince, disable: failingTooLong ? ('failing' as const) : null }
  if (scheduledMs === null) return { delivery: { kind: 'failed' }, webhook: webhookDecision }
  const parked = webhook.disabled || failingTooLong
  return {
    delivery: { kind: 'retry', next_attempt_at: parked ? null : policy.now + (outcome.facts.retry_after_ms ?? scheduledMs) },
    webhook: webhookDecision,
  }
}
