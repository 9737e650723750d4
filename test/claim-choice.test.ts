// Which due deliveries a claim takes (src/store/webhook-rows.ts): the oldest first, no more than
// there are free slots, and no webhook past its own limit, counting what is already in flight.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import type { DeliveryClaim } from '../src/store/store.ts'
import { chooseClaims, claimWindow, saturatedWebhookIds, signingSecrets } from '../src/store/webhook-rows.ts'

const claim = (limit: number, perWebhookLimit: number, inFlight: Record<string, number> = {}): DeliveryClaim => ({
  limit,
  leaseMs: 30_000,
  perWebhookLimit,
  inFlightByWebhook: new Map(Object.entries(inFlight)),
})

describe('claim choice', () => {
  const due = ['a', 'a', 'a', 'b', 'a', 'c', 'b'].map((webhook_id, seq) => ({ seq, webhook_id }))

  it('takes the oldest, at most the free slots', () => {
    assert.deepEqual(chooseClaims(due, claim(3, 16)).map((row) => row.seq), [0, 1, 2])
  })

  it('lets no webhook take more than its limit, so one backlog cannot fill every slot', () => {
    assert.deepEqual(chooseClaims(due, claim(10, 2)).map((row) => row.seq), [0, 1, 3, 5, 6])
  })

  it('counts what this worker already has in flight', () => {
    assert.deepEqual(chooseClaims(due, claim(10, 2, { a: 2, b: 1 })).map((row) => row.seq), [3, 5])
    assert.deepEqual(saturatedWebhookIds(new Map([['a', 2], ['b', 1]]), 2), ['a'])
  })

  it('reads a window wider than the free slots, but no wider than four of one webhook\'s limit', () => {
    assert.equal(claimWindow(claim(10, 16)), 40)
    assert.equal(claimWindow(claim(480, 32)), 128)
  })

  it('signs with the current secret, and a rotated-out one until it expires', () => {
    const row = { secret: 'new', previous_secret: 'old', previous_secret_expires_at: '2026-12-02T12:00:00.000Z' }
    assert.deepEqual(signingSecrets(row, '2026-12-02T11:59:59.999Z'), ['new', 'old'])
    assert.deepEqual(signingSecrets(row, '2026-12-02T12:00:00.000Z'), ['new'])
    assert.deepEqual(signingSecrets({ ...row, previous_secret: null }, '2026-12-01T00:00:00.000Z'), ['new'])
  })
})
