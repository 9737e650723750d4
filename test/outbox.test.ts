// The outbox's two steps (src/store/outbox.ts), as pure functions: the one fan-out row a publish
// writes, and the deliveries workers make of it, a bounded number at a time. The stores only
// read and write these rows (test/webhooks.test.ts and test/fanout.test.ts show them applied).

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import { addFanoutsDue, fanOutStep, fanoutWebhookIds, publishedFanout, type PendingFanout } from '../src/store/outbox.ts'
import type { DueDeliveries } from '../src/store/store.ts'

const now = Date.parse('2026-12-02T12:00:00.000Z')
const createdAt = new Date(now).toISOString()
const events = [
  { event_id: 'e1', event_type: 'lock.unlocked' },
  { event_id: 'e2', event_type: 'device.connected' },
  { event_id: 'e3', event_type: 'lock.locked' },
]
const webhook = (webhook_id: string, types: string[]) => ({ webhook_id, event_types: JSON.stringify(types) })

function pending(fanout: NonNullable<ReturnType<typeof publishedFanout>>, webhooks_done = 0): PendingFanout {
  return { seq: 1, webhooks_done, ...fanout }
}

describe('the fan-out row of a publish', { timeout: 10_000 }, () => {
  it('names the new events and only the webhooks that want one of them, with how many', () => {
    const fanout = publishedFanout('w', [webhook('all', ['*']), webhook('locks', ['lock.*']), webhook('thermostats', ['thermostat.*'])], events, createdAt, now)
    assert.ok(fanout !== undefined)
    assert.deepEqual(JSON.parse(fanout.events), [
      ['e1', 'lock.unlocked'],
      ['e2', 'device.connected'],
      ['e3', 'lock.locked'],
    ])
    assert.deepEqual(JSON.parse(fanout.webhooks), [
      ['all', ['*'], 3],
      ['locks', ['lock.*'], 2],
    ])
    assert.deepEqual(fanoutWebhookIds(fanout), ['all', 'locks'])
    assert.equal(fanout.queued_at, now)
    assert.equal(fanout.event_created_at, createdAt)
  })

  it('is not written when no webhook wants any event, or there is no new event', () => {
    assert.equal(publishedFanout('w', [webhook('thermostats', ['thermostat.*'])], events, createdAt, now), undefined)
    assert.equal(publishedFanout('w', [], events, createdAt, now), undefined)
    assert.equal(publishedFanout('w', [webhook('all', ['*'])], [], createdAt, now), undefined)
  })
})

describe('fanning a row out', { timeout: 10_000 }, () => {
  const fanout = publishedFanout('w', [webhook('all', ['*']), webhook('locks', ['lock.*']), webhook('gone', ['*'])], events, createdAt, now)
  assert.ok(fanout !== undefined)

  it('makes a due delivery of each wanted event with the types wanted at the publish, in order', () => {
    const step = fanOutStep(pending(fanout), new Map([['all', false], ['locks', false], ['gone', false]]), 1000, now + 5)
    assert.equal(step.finished, true)
    assert.equal(step.webhooksDone, 3)
    assert.deepEqual(
      step.deliveries.map((delivery) => [delivery.webhook_id, delivery.event_id, delivery.next_attempt_at]),
      [
        ['all', 'e1', now + 5],
        ['all', 'e2', now + 5],
        ['all', 'e3', now + 5],
        ['locks', 'e1', now + 5],
        ['locks', 'e3', now + 5],
        ['gone', 'e1', now + 5],
        ['gone', 'e2', now + 5],
        ['gone', 'e3', now + 5],
      ],
    )
    const first = step.deliveries[0]
    assert.equal(first?.workspace_id, 'w')
    assert.equal(first?.event_type, 'lock.unlocked')
    assert.equal(first?.event_created_at, createdAt)
    assert.equal(first?.recovery_id, null)
    assert.equal(new Set(step.deliveries.map((delivery) => delivery.delivery_id)).size, step.deliveries.length)
  })

  it('parks the deliveries of a webhook disabled since, and skips one deleted since', () => {
    const step = fanOutStep(pending(fanout), new Map([['all', true], ['locks', false]]), 1000, now)
    assert.deepEqual(
      step.deliveries.map((delivery) => [delivery.webhook_id, delivery.next_attempt_at]),
      [
        ['all', null],
        ['all', null],
        ['all', null],
        ['locks', now],
        ['locks', now],
      ],
    )
    assert.equal(step.finished, true)
  })

  it('stops at the budget after a whole webhook, and goes on from there next time', () => {
    const live = new Map([['all', false], ['locks', false], ['gone', false]])
    const first = fanOutStep(pending(fanout), live, 2, now)
    // The first webhook's 3 deliveries, though over the budget: a row always moves on.
    assert.deepEqual(first.deliveries.map((delivery) => delivery.webhook_id), ['all', 'all', 'all'])
    assert.deepEqual([first.webhooksDone, first.finished], [1, false])
    const second = fanOutStep(pending(fanout, first.webhooksDone), live, 4, now)
    assert.deepEqual(second.deliveries.map((delivery) => delivery.webhook_id), ['locks', 'locks', 'gone', 'gone', 'gone'])
    assert.deepEqual([second.webhooksDone, second.finished], [3, true])
  })
})

describe('what fan-out rows owe, for /metrics', { timeout: 10_000 }, () => {
  it('counts per webhook what each row still owes from where it stands, due since it was queued', () => {
    const one = publishedFanout('w', [webhook('all', ['*']), webhook('locks', ['lock.*'])], events, createdAt, now)
    const two = publishedFanout('w', [webhook('all', ['*'])], events.slice(0, 1), createdAt, now + 100)
    assert.ok(one !== undefined && two !== undefined)
    const due = new Map<string, DueDeliveries>([['w all', { workspace_id: 'w', webhook_id: 'all', due: 10, oldest_due_at: now + 50 }]])
    addFanoutsDue(due, [
      { ...one, webhooks_done: 0 },
      { ...two, webhooks_done: 0 },
      // This one has made the first webhook's deliveries already.
      { ...one, webhooks_done: 1, queued_at: now - 1000 },
    ])
    assert.deepEqual(
      [...due.values()],
      [
        { workspace_id: 'w', webhook_id: 'all', due: 10 + 3 + 1, oldest_due_at: now },
        { workspace_id: 'w', webhook_id: 'locks', due: 2 + 2, oldest_due_at: now - 1000 },
      ],
    )
  })
})
