// A worker claims, beside the deliveries it sends, as many again to wait for a free slot of
// their webhook (delivery-worker.ts): the per-webhook limit still bounds the requests in
// flight, and what waits when the worker stops is given back, due at once for any worker,
// instead of coming back only when its lease ends.

import assert from 'node:assert/strict'
import { it } from 'node:test'

import { publish } from './support/http.ts'
import { describeEachBackend } from './support/backends.ts'
import { startTestServer } from './support/test-server.ts'
import { callOk, lockUnlocked } from './support/webhook-api.ts'
import { startWebhookReceiver } from './support/webhook-receiver.ts'

/** Polls `read` until it returns `expected` (fails with the last value after 20 s). */
async function waitForValue<T>(read: () => Promise<T>, expected: T): Promise<void> {
  const deadline = Date.now() + 20_000
  let last: T = await read()
  while (!Object.is(last, expected)) {
    if (Date.now() > deadline) assert.fail(`expected ${String(expected)}, still ${String(last)}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
    last = await read()
  }
}

describeEachBackend('deliveries claimed to wait for a slot', { timeout: 120_000 }, (backend) => {
  it('never send more requests to a webhook at once than its limit', async () => {
    const server = await startTestServer({ backend, env: { WEBHOOK_CONCURRENCY_PER_WEBHOOK: '2' } })
    const receiver = await startWebhookReceiver()
    let open = 0
    let mostOpen = 0
    receiver.reply = () => {
      open += 1
      mostOpen = Math.max(mostOpen, open)
      const answered = new Promise((resolve) => setTimeout(resolve, 15)).then(() => (open -= 1))
      return { status: 200, holdUntil: answered }
    }
    try {
      await callOk(server, '/webhooks/create', { url: receiver.url })
      const published = await publish(server.endpoint, server.apiKey, Array.from({ length: 40 }, () => lockUnlocked()))
      await receiver.waitFor((received) => received.length === 40)
      assert.deepEqual(new Set(receiver.eventIds()), new Set(published.map((event) => event.event_id)))
      assert.equal(mostOpen, 2, 'two requests at once, never more')
    } finally {
      await server.close()
      await receiver.close()
    }
  })

  it('are given back when the worker stops, due at once rather than when their lease ends', async () => {
    const server = await startTestServer({
      backend,
      env: { WEBHOOK_CONCURRENCY_PER_WEBHOOK: '1', WEBHOOK_TIMEOUT_SECONDS: '60', WEBHOOK_LEASE_SECONDS: '120' },
    })
    const receiver = await startWebhookReceiver()
    let releaseHeld: () => void = () => {}
    const held = new Promise<void>((resolve) => (releaseHeld = resolve))
    receiver.reply = (_delivery, count) => (count === 1 ? { status: 200, holdUntil: held } : { status: 200 })
    let stopped: Promise<void> | undefined
    try {
      const { webhook } = await callOk(server, '/webhooks/create', { url: receiver.url })
      await publish(server.endpoint, server.apiKey, Array.from({ length: 5 }, () => lockUnlocked()))
      await receiver.waitFor((received) => received.length === 1)
      const due = async () =>
        (await server.store.deliveries.countDueDeliveriesByWebhook(Date.now())).find((row) => row.webhook_id === webhook.webhook_id)?.due ?? 0
      // One in flight (held by the receiver), three claimed to follow it, one due.
      await waitForValue(due, 1)

      stopped = server.close()
      // The stopping worker waits for its request in flight, but gives back the three waiting.
      await waitForValue(due, 4)
      assert.equal(receiver.received.length, 1, 'nothing more was sent after the stop began')
    } finally {
      releaseHeld()
      await (stopped ?? server.close())
      await receiver.close()
    }
  })
})
