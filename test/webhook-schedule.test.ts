// Seam's own retry schedule, end to end and without waiting it out: the server runs on a clock
// the test moves (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h), a real receiver refuses every
// attempt, and each attempt happens only once the clock has passed its due time. Then the
// webhook, failing for 5 days without a success, is disabled.

import assert from 'node:assert/strict'
import { after, before, it } from 'node:test'

import { defaultRetryScheduleSeconds } from '../src/config.ts'
import { describeEachBackend } from './support/backends.ts'
import { publish } from './support/http.ts'
import { ManualClock } from './support/manual-clock.ts'
import { startTestServer, type TestServer } from './support/test-server.ts'
import { callOk, deliveriesOf, lockUnlocked, waitForDeliveries } from './support/webhook-api.ts'
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.ts'

const hourMs = 3600 * 1000

describeEachBackend("webhook retries on Seam's schedule, on a moved clock", { timeout: 120_000 }, (backend) => {
  let server: TestServer
  let receiver: WebhookReceiver
  const clock = new ManualClock('2026-12-02T08:00:00.000Z')

  before(async () => {
    server = await startTestServer({
      backend,
      clock,
      env: { WEBHOOK_RETRY_SCHEDULE: defaultRetryScheduleSeconds.join(','), WEBHOOK_DISABLE_AFTER_SECONDS: String(5 * 24 * 3600) },
    })
    receiver = await startWebhookReceiver()
    receiver.reply = () => ({ status: 500, body: 'down' })
  })
  after(async () => {
    await server.close()
    await receiver.close()
  })

  it('tries again after each delay of the schedule, never before it, then fails the delivery', async () => {
    const webhook = (await callOk(server, '/webhooks/create', { url: receiver.url })).webhook
    const [event] = await publish(server.endpoint, server.apiKey, [lockUnlocked()])
    const publishedAt = clock.now()
    await receiver.waitFor((received) => received.length === 1)

    for (const [index, delaySeconds] of defaultRetryScheduleSeconds.entries()) {
      // The attempt is recorded, and its retry scheduled on the schedule, before time moves on.
      const scheduled = await attemptsRecorded(server, webhook.webhook_id, index + 1)
      const lastAttemptAt = Date.parse(scheduled.attempts.at(-1).attempted_at)
      const dueAt = Date.parse(scheduled.next_attempt_at)
      const delay = (dueAt - lastAttemptAt) / 1000
      assert.ok(delay >= delaySeconds * 0.9 && delay <= delaySeconds * 1.1, `retry ${index + 1} after ${delay} s, for ${delaySeconds} s`)
      // Just short of its time: nothing is sent.
      await clock.advance(dueAt - clock.now() - 1)
      await new Promise((resolve) => setTimeout(resolve, 100))
      assert.equal(receiver.received.length, index + 1, `attempt ${index + 2} came before its time`)
      // Its time: it is sent.
      await clock.advance(1)
      await receiver.waitFor((received) => received.length === index + 2)
    }
    const [delivery] = await waitForDeliveries(server, webhook.webhook_id, ([only]) => only?.status === 'failed')
    assert.equal(delivery.event_id, event!.event_id)
    assert.equal(delivery.attempt_count, defaultRetryScheduleSeconds.length + 1)
    const gaps = delivery.attempts.slice(1).map((attempt: any, index: number) =>
      (Date.parse(attempt.attempted_at) - Date.parse(delivery.attempts[index].attempted_at)) / 1000,
    )
    for (const [index, gap] of gaps.entries()) {
      const scheduled = defaultRetryScheduleSeconds[index]!
      assert.ok(gap >= scheduled * 0.9 && gap <= scheduled * 1.1 + 1, `gap ${index + 1}: ${gap} s for ${scheduled} s`)
    }
    assert.equal(Date.parse(delivery.attempts[0].attempted_at), publishedAt)
    const listed = (await callOk(server, '/webhooks/get', { webhook_id: webhook.webhook_id })).webhook
    assert.equal(listed.disabled, false, 'a day of failures is not five')
    assert.equal(listed.failing_since, new Date(publishedAt).toISOString())

    // Five days after the first failure, the next failure disables it, and its retry waits.
    await clock.advance(5 * 24 * hourMs - (clock.now() - publishedAt))
    await publish(server.endpoint, server.apiKey, [lockUnlocked()])
    await receiver.waitFor((received) => received.length === defaultRetryScheduleSeconds.length + 2)
    await attemptsRecorded(server, webhook.webhook_id, 1)
    const disabled = await waitFor(async () => {
      const current = (await callOk(server, '/webhooks/get', { webhook_id: webhook.webhook_id })).webhook
      return current.disabled === true ? current : undefined
    })
    assert.equal(disabled.disabled_reason, 'failing')
    assert.equal(disabled.disabled_at, new Date(clock.now()).toISOString())
    const [parked] = await deliveriesOf(server, webhook.webhook_id)
    assert.equal(parked.status, 'pending')
    assert.equal(parked.next_attempt_at, null, 'parked until the webhook is enabled')
    await clock.advance(24 * hourMs)
    await new Promise((resolve) => setTimeout(resolve, 100))
    assert.equal(receiver.received.length, defaultRetryScheduleSeconds.length + 2, 'a disabled webhook gets nothing')
  })

  /** A webhook to a receiver of its own answering `reply`, one event published to it; the receiver closed after. */
  async function withPublishedTo(reply: WebhookReceiver['reply'], check: (receiver: WebhookReceiver, webhook: any) => Promise<void>) {
    const own = await startWebhookReceiver()
    try {
      own.reply = reply
      const webhook = (await callOk(server, '/webhooks/create', { url: own.url })).webhook
      await publish(server.endpoint, server.apiKey, [lockUnlocked()])
      await check(own, webhook)
    } finally {
      await own.close()
    }
  }

  it('makes a failing webhook healthy again with its next success, and records that attempt', async () => {
    await withPublishedTo(() => ({ status: 503, body: 'starting' }), async (recovering, webhook) => {
      const failed = await attemptsRecorded(server, webhook.webhook_id, 1)
      const failing = (await callOk(server, '/webhooks/get', { webhook_id: webhook.webhook_id })).webhook
      assert.equal(failing.failing_since, failed.attempts[0].attempted_at)

      recovering.reply = () => ({ status: 200, body: 'ok' })
      await clock.advance(Date.parse(failed.next_attempt_at) - clock.now())
      const [done] = await waitForDeliveries(server, webhook.webhook_id, ([only]) => only?.status === 'succeeded')
      assert.deepEqual(done.attempts.map((attempt: any) => attempt.status_code), [503, 200])
      assert.equal(done.attempt_count, 2)
      const healthy = (await callOk(server, '/webhooks/get', { webhook_id: webhook.webhook_id })).webhook
      assert.equal(healthy.failing_since, null)
      assert.equal(healthy.disabled, false)
    })
  })

  it('records a 2xx whose body holds a NUL byte as a success, once, with U+FFFD in its place', async () => {
    await withPublishedTo(() => ({ status: 200, body: 'ok\u0000done' }), async (nul, webhook) => {
      const [done] = await waitForDeliveries(server, webhook.webhook_id, ([only]) => only?.status === 'succeeded')
      assert.equal(done.attempts.length, 1)
      assert.equal(done.attempts[0].response_body, 'ok\uFFFDdone')
      assert.equal(nul.received.length, 1)
    })
  })
})

/** The newest delivery, once it has `attempts` recorded attempts. */
async function attemptsRecorded(server: TestServer, webhookId: string, attempts: number): Promise<any> {
  return await waitFor(async () => {
    const [newest] = await deliveriesOf(server, webhookId)
    return newest !== undefined && newest.attempts.length >= attempts ? newest : undefined
  })
}

async function waitFor<T>(probe: () => Promise<T | undefined>, deadlineMs = 20_000): Promise<T> {
  const deadline = Date.now() + deadlineMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
