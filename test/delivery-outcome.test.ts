// What an attempt's outcome does to its delivery and its webhook (src/domain/delivery-outcome.ts),
// rule by rule. The stores only apply these decisions (test/webhooks.test.ts shows them applied).

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import { decideOutcome, type OutcomePolicy } from '../src/domain/delivery-outcome.ts'
import type { AttemptFacts, DeliveryOutcome, WebhookHealth } from '../src/store/store.ts'

const now = Date.parse('2026-12-02T12:00:00.000Z')
const policy: OutcomePolicy = {
  now,
  retryScheduleSeconds: [5, 300, 1800],
  disableAfterMs: 5 * 24 * 3600 * 1000,
  // No jitter: the delays are the schedule's own.
  random: () => 0.5,
}
const healthy: WebhookHealth = { failing_since: null, disabled: false }

function outcome(status: number | null, facts: Partial<AttemptFacts> = {}): DeliveryOutcome {
  return {
    delivery_id: 'd',
    workspace_id: 'w',
    webhook_id: 'h',
    claim_token: 't',
    attempt: { attempted_at: new Date(now).toISOString(), duration_ms: 3, status_code: status, error: status === null ? 'refused' : null, response_body: null },
    facts: { round_attempts: 1, manual_retry: false, retry_after_ms: null, retriable: true, ...facts },
  }
}

describe('the outcome of an attempt', () => {
  it('succeeds on any 2xx, and makes a failing webhook healthy again', () => {
    for (const status of [200, 201, 204, 299]) {
      assert.deepEqual(decideOutcome(outcome(status), { failing_since: '2026-12-01T00:00:00.000Z', disabled: false }, policy), {
        delivery: { kind: 'succeeded' },
        webhook: { failing_since: null, disable: null },
      })
    }
  })

  it('retries anything else on the schedule, the webhook failing since its first failure', () => {
    for (const status of [null, 301, 400, 404, 429, 500, 503]) {
      const first = decideOutcome(outcome(status), healthy, policy)
      assert.deepEqual(first, {
        delivery: { kind: 'retry', next_attempt_at: now + 5000 },
        webhook: { failing_since: new Date(now).toISOString(), disable: null },
      }, String(status))
    }
    const third = decideOutcome(outcome(500, { round_attempts: 3 }), { failing_since: '2026-12-02T11:00:00.000Z', disabled: false }, policy)
    assert.deepEqual(third.delivery, { kind: 'retry', next_attempt_at: now + 1800 * 1000 })
    assert.equal(third.webhook.failing_since, '2026-12-02T11:00:00.000Z', 'the run of failures keeps its start')
  })

  it('waits what a 429 or 503 asked for instead of the schedule', () => {
    assert.deepEqual(decideOutcome(outcome(429, { retry_after_ms: 120_000 }), healthy, policy).delivery, { kind: 'retry', next_attempt_at: now + 120_000 })
  })

  it('fails once the round is over, a manual retry after one attempt, and what cannot be retried at once', () => {
    assert.equal(decideOutcome(outcome(500, { round_attempts: 4 }), healthy, policy).delivery.kind, 'failed')
    assert.equal(decideOutcome(outcome(500, { manual_retry: true }), healthy, policy).delivery.kind, 'failed')
    assert.equal(decideOutcome(outcome(null, { retriable: false }), healthy, policy).delivery.kind, 'failed')
  })

  it('disables the webhook at once on 410 Gone', () => {
    assert.deepEqual(decideOutcome(outcome(410), healthy, policy), {
      delivery: { kind: 'failed' },
      webhook: { failing_since: null, disable: 'gone' },
    })
  })

  it('disables a webhook that has failed without a success for disableAfterMs, and parks the retry', () => {
    const longAgo = new Date(now - policy.disableAfterMs).toISOString()
    assert.deepEqual(decideOutcome(outcome(500), { failing_since: longAgo, disabled: false }, policy), {
      delivery: { kind: 'retry', next_attempt_at: null },
      webhook: { failing_since: longAgo, disable: 'failing' },
    })
    const recently = new Date(now - policy.disableAfterMs + 1).toISOString()
    assert.equal(decideOutcome(outcome(500), { failing_since: recently, disabled: false }, policy).webhook.disable, null)
  })

  it('parks a retry of a disabled webhook until it is enabled', () => {
    assert.deepEqual(decideOutcome(outcome(500), { failing_since: null, disabled: true }, policy).delivery, { kind: 'retry', next_attempt_at: null })
  })
})
