// Webhooks as a user meets them: managed with Seam's official SDK, delivered to a real HTTP
// receiver on loopback, and every delivery verified with Seam's own `@seamapi/webhook`.

import assert from 'node:assert/strict'
import { after, before, it } from 'node:test'

import { describeEachBackend } from './support/backends.ts'
import { publish } from './support/http.ts'
import { newestSeamSdks, seamClient, seamSdks } from './support/seam-sdks.ts'
import { startTestServer, type TestServer } from './support/test-server.ts'
import {
  assertAllVerify,
  call,
  callOk,
  deliveriesOf,
  deviceConnected,
  lockUnlocked,
  waitForDeliveries,
} from './support/webhook-api.ts'
import { freePort, startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.ts'

for (const sdk of seamSdks) {
  describeEachBackend(`webhooks API through ${sdk.name}`, (backend) => {
    let server: TestServer
    let receiver: WebhookReceiver

    before(async () => {
      server = await startTestServer({ backend })
      receiver = await startWebhookReceiver()
    })
    after(async () => {
      await server.close()
      await receiver.close()
    })

    it('creates, lists, gets, updates and deletes a webhook', async () => {
      const seam = seamClient(sdk, server.endpoint, server.apiKey)
      const created = await seam.webhooks.create({ url: receiver.url })
      assert.match(created.webhook_id, /^[0-9a-f-]{36}$/)
      assert.equal(created.url, receiver.url)
      assert.deepEqual(created.event_types, ['*'])
      assert.match(created.secret, /^whsec_/)
      assert.equal(Buffer.from(created.secret.slice('whsec_'.length), 'base64').length, 32)

      const listed = await seam.webhooks.list()
      assert.deepEqual(
        listed.map((webhook: any) => webhook.webhook_id),
        [created.webhook_id],
      )
      const fetched = await seam.webhooks.get({ webhook_id: created.webhook_id })
      assert.equal(fetched.secret, created.secret)

      await seam.webhooks.update({ webhook_id: created.webhook_id, event_types: ['lock.*', 'device.connected'] })
      const updated = await seam.webhooks.get({ webhook_id: created.webhook_id })
      assert.deepEqual(updated.event_types, ['lock.*', 'device.connected'])

      await seam.webhooks.delete({ webhook_id: created.webhook_id })
      await assert.rejects(seam.webhooks.get({ webhook_id: created.webhook_id }), (error: any) => {
        assert.ok(error instanceof sdk.SeamHttpApiError)
        assert.equal(error.code, 'webhook_not_found')
        assert.equal(error.statusCode, 404)
        return true
      })
      assert.deepEqual(await seam.webhooks.list(), [])
    })

    it('refuses a bad URL or event type, naming the parameter', async () => {
      const seam = seamClient(sdk, server.endpoint, server.apiKey)
      for (const [params, parameter] of [
        [{ url: 'ftp://example.com/hook' }, 'url'],
        [{ url: 'not a url' }, 'url'],
        // A well-formed unknown name is taken (Seam keeps adding types); a malformed one or a family of no known type is not.
        [{ url: receiver.url, event_types: ['lock unlocked'] }, 'event_types'],
        [{ url: receiver.url, event_types: ['lokc.*'] }, 'event_types'],
        [{ url: receiver.url, event_types: [] }, 'event_types'],
      ] as const) {
        await assert.rejects(seam.webhooks.create(params), (error: any) => {
          assert.ok(error instanceof sdk.SeamHttpInvalidInputError, String(error))
          assert.ok(error.getValidationErrorMessages(parameter).length > 0, `${parameter} is named`)
          return true
        })
      }
    })

    it("keeps each workspace's webhooks to itself", async () => {
      const seam = seamClient(sdk, server.endpoint, server.apiKey)
      const other = await server.createWorkspace('Other')
      const otherSeam = seamClient(sdk, server.endpoint, other.apiKey)
      const webhook = await seam.webhooks.create({ url: receiver.url })
      assert.deepEqual(await otherSeam.webhooks.list(), [])
      await assert.rejects(otherSeam.webhooks.get({ webhook_id: webhook.webhook_id }), sdk.SeamHttpApiError)
      await assert.rejects(
        otherSeam.webhooks.update({ webhook_id: webhook.webhook_id, event_types: ['*'] }),
        sdk.SeamHttpApiError,
      )
      await assert.rejects(otherSeam.webhooks.delete({ webhook_id: webhook.webhook_id }), sdk.SeamHttpApiError)
      assert.ok(await seam.webhooks.get({ webhook_id: webhook.webhook_id }))
      await seam.webhooks.delete({ webhook_id: webhook.webhook_id })
    })
  })
}

describeEachBackend('webhook delivery', (backend) => {
  let server: TestServer

  before(async () => {
    server = await startTestServer({ backend })
  })
  after(async () => {
    await server.close()
  })

  it('delivers every matching event, signed, with the body events/list returns', async () => {
    const receiver = await startWebhookReceiver()
    try {
      const seam = seamClient(newestSeamSdks[1]!, server.endpoint, server.apiKey)
      const webhook = await seam.webhooks.create({ url: receiver.url, event_types: ['lock.*'] })
      const since = new Date().toISOString()
      const published = await publish(server.endpoint, server.apiKey, [
        lockUnlocked(),
        deviceConnected(),
        { ...lockUnlocked(), event_type: 'lock.locked' },
        lockUnlocked(),
      ])
      const wanted = published.filter((event) => event.event_type.startsWith('lock.'))
      await receiver.waitFor((received) => received.length >= wanted.length)

      assert.deepEqual(new Set(receiver.eventIds()), new Set(wanted.map((event) => event.event_id)))
      assertAllVerify(receiver, webhook.secret)
      const listed = await seam.events.list({ since })
      for (const delivery of receiver.received) {
        const event = JSON.parse(delivery.body)
        assert.deepEqual(event, listed.find((item: any) => item.event_id === event.event_id))
        assert.equal(delivery.headers['content-type'], 'application/json')
        for (const name of ['id', 'timestamp', 'signature']) {
          assert.equal(delivery.headers[`webhook-${name}`], delivery.headers[`svix-${name}`])
        }
      }
      const deliveries = await waitForDeliveries(server, webhook.webhook_id, (items) =>
        items.length === wanted.length && items.every((item) => item.status === 'succeeded'),
      )
      assert.deepEqual(
        new Set(deliveries.map((delivery) => delivery.delivery_id)),
        new Set(receiver.received.map((delivery) => delivery.headers['svix-id'])),
      )
      assert.equal(deliveries[0].attempts[0].status_code, 200)
      assert.equal(deliveries[0].attempts[0].response_body, 'ok')
      await seam.webhooks.delete({ webhook_id: webhook.webhook_id })
    } finally {
      await receiver.close()
    }
  })

  it('does not deliver to a webhook of another workspace', async () => {
    const receiver = await startWebhookReceiver()
    const mine = await startWebhookReceiver()
    try {
      const other = await server.createWorkspace('Other')
      const otherWebhook = await callOk(server, '/webhooks/create', { url: receiver.url })
      void otherWebhook
      const theirs = await call(server, '/webhooks/create', { url: mine.url }, other.apiKey)
      assert.equal(theirs.status, 200)
      const [event] = await publish(server.endpoint, server.apiKey, [lockUnlocked()])
      await receiver.waitFor((received) => received.length === 1)
      const [otherEvent] = await publish(server.endpoint, other.apiKey, [lockUnlocked()])
      await mine.waitFor((received) => received.length === 1)
      assert.deepEqual(receiver.eventIds(), [event!.event_id])
      assert.deepEqual(mine.eventIds(), [otherEvent!.event_id])
      await callOk(server, '/webhooks/delete', { webhook_id: otherWebhook.webhook.webhook_id })
    } finally {
      await receiver.close()
      await mine.close()
    }
  })

  it('keeps retrying while the receiver is down, and delivers everything once it is up', async () => {
    const port = await freePort()
    const webhook = (await callOk(server, '/webhooks/create', { url: `http://127.0.0.1:${port}/hook` })).webhook
    const published = await publish(
      server.endpoint,
      server.apiKey,
      Array.from({ length: 10 }, () => lockUnlocked()),
    )
    // Down: every delivery fails its first attempt with a connection error.
    const failed = await waitForDeliveries(server, webhook.webhook_id, (items) =>
      items.length === 10 && items.every((item) => item.attempts.length >= 1),
    )
    assert.ok(failed.every((item) => item.attempts[0].status_code === null))
    assert.match(failed[0].attempts[0].error, /ECONNREFUSED/)

    const receiver = await startWebhookReceiver(port)
    try {
      await receiver.waitFor(
        () => new Set(receiver.eventIds()).size === 10,
      )
      assert.deepEqual(
        new Set(receiver.eventIds()),
        new Set(published.map((event) => event.event_id)),
      )
      assertAllVerify(receiver, webhook.secret)
      await waitForDeliveries(server, webhook.webhook_id, (items) =>
        items.every((item) => item.status === 'succeeded'),
      )
    } finally {
      await callOk(server, '/webhooks/delete', { webhook_id: webhook.webhook_id })
      await receiver.close()
    }
  })

  it('marks a delivery failed after the schedule, keeps it visible, and retries it on request', async () => {
    const receiver = await startWebhookReceiver()
    try {
      receiver.reply = () => ({ status: 500, body: 'database is down' })
      const webhook = (await callOk(server, '/webhooks/create', { url: receiver.url })).webhook
      const [event] = await publish(server.endpoint, server.apiKey, [lockUnlocked()])
      // The test schedule is 0.2, 0.4, 0.8 s: four attempts in all, then failed.
      const [failed] = await waitForDeliveries(server, webhook.webhook_id, (items) =>
        items[0]?.status === 'failed',
      )
      assert.equal(failed.event_id, event!.event_id)
      assert.equal(failed.attempt_count, 4)
      assert.deepEqual(failed.attempts.map((attempt: any) => attempt.status_code), [500, 500, 500, 500])
      assert.equal(failed.attempts[0].response_body, 'database is down')
      assert.equal(failed.next_attempt_at, null)
      assert.equal(receiver.received.length, 4)
      assert.equal(new Set(receiver.received.map((delivery) => delivery.headers['svix-id'])).size, 1)

      receiver.reply = () => ({ status: 204 })
      const retried = await callOk(server, '/webhooks/deliveries/retry', { delivery_id: failed.delivery_id })
      assert.equal(retried.delivery.status, 'pending')
      const [succeeded] = await waitForDeliveries(server, webhook.webhook_id, (items) =>
        items[0]?.status === 'succeeded',
      )
      assert.equal(succeeded.attempt_count, 5)
      assert.equal(receiver.received.at(-1)?.headers['svix-id'], failed.delivery_id)
      assertAllVerify(receiver, webhook.secret)

      const byStatus = await callOk(server, '/webhooks/deliveries/list', { status: 'failed', webhook_id: webhook.webhook_id })
      assert.deepEqual(byStatus.deliveries, [])
      const byEvent = await callOk(server, '/webhooks/deliveries/list', { event_id: event!.event_id })
      assert.equal(byEvent.deliveries.length, 1)
      await callOk(server, '/webhooks/delete', { webhook_id: webhook.webhook_id })
    } finally {
      await receiver.close()
    }
  })

  it('disables a webhook whose endpoint answers 410 Gone, and recover brings back what it missed', async () => {
    const receiver = await startWebhookReceiver()
    try {
      receiver.reply = () => ({ status: 410 })
      const webhook = (await callOk(server, '/webhooks/create', { url: receiver.url })).webhook
      const since = new Date().toISOString()
      const [first] = await publish(server.endpoint, server.apiKey, [lockUnlocked()])
      await waitForDeliveries(server, webhook.webhook_id, (items) => items[0]?.status === 'failed')
      const disabled = (await callOk(server, '/webhooks/get', { webhook_id: webhook.webhook_id })).webhook
      assert.equal(disabled.disabled, true)
      assert.equal(disabled.disabled_reason, 'gone')
      assert.equal(receiver.received.length, 1, 'a 410 is not retried')

      // While disabled, new events queue nothing for it.
      const [second] = await publish(server.endpoint, server.apiKey, [lockUnlocked()])
      assert.equal((await deliveriesOf(server, webhook.webhook_id)).length, 1)

      receiver.reply = () => ({ status: 200 })
      const enabled = (await callOk(server, '/webhooks/update', { webhook_id: webhook.webhook_id, disabled: false }))
        .webhook
      assert.equal(enabled.disabled, false)
      const { recovery } = await callOk(server, '/webhooks/recover', { webhook_id: webhook.webhook_id, since })
      assert.equal(recovery.webhook_id, webhook.webhook_id)
      await receiver.waitFor(() => receiver.eventIds().includes(second!.event_id) && receiver.eventIds().filter((id) => id === first!.event_id).length === 2)
      assertAllVerify(receiver, webhook.secret)
      await callOk(server, '/webhooks/delete', { webhook_id: webhook.webhook_id })
    } finally {
      await receiver.close()
    }
  })

  it('honours Retry-After on 429 over the retry schedule', async () => {
    const receiver = await startWebhookReceiver()
    try {
      receiver.reply = (_delivery, count) =>
        count === 1 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 200 }
      const webhook = (await callOk(server, '/webhooks/create', { url: receiver.url })).webhook
      await publish(server.endpoint, server.apiKey, [lockUnlocked()])
      await receiver.waitFor((received) => received.length === 2)
      const [first, second] = receiver.received
      // The schedule alone would retry after about 0.2 s; the receiver asked for 2 s.
      assert.ok(second!.receivedAt - first!.receivedAt >= 2000, `retried after ${second!.receivedAt - first!.receivedAt} ms`)
      assert.equal(first!.headers['svix-id'], second!.headers['svix-id'])
      await callOk(server, '/webhooks/delete', { webhook_id: webhook.webhook_id })
    } finally {
      await receiver.close()
    }
  })

  it('recover re-sends exactly the events of the window, and reports its progress', async () => {
    const receiver = await startWebhookReceiver()
    try {
      const webhook = (await callOk(server, '/webhooks/create', { url: receiver.url, event_types: ['lock.*'] }))
        .webhook
      await publish(server.endpoint, server.apiKey, [lockUnlocked(), lockUnlocked()])
      await new Promise((resolve) => setTimeout(resolve, 5))
      const since = new Date().toISOString()
      const inWindow = await publish(server.endpoint, server.apiKey, [
        lockUnlocked(),
        deviceConnected(),
        lockUnlocked(),
        lockUnlocked(),
      ])
      await new Promise((resolve) => setTimeout(resolve, 5))
      const until = new Date().toISOString()
      await publish(server.endpoint, server.apiKey, [lockUnlocked()])
      await receiver.waitFor((received) => received.length === 6)
      receiver.received.length = 0

      const { recovery } = await callOk(server, '/webhooks/recover', { webhook_id: webhook.webhook_id, since, until })
      const expected = inWindow.filter((event) => event.event_type === 'lock.unlocked').map((event) => event.event_id)
      await receiver.waitFor((received) => received.length >= expected.length)
      assert.deepEqual(new Set(receiver.eventIds()), new Set(expected))
      assertAllVerify(receiver, webhook.secret)

      const deadline = Date.now() + 10_000
      let progress
      do {
        progress = (await callOk(server, '/webhooks/recoveries/get', { recovery_id: recovery.recovery_id })).recovery
      } while (progress.deliveries.succeeded < expected.length && Date.now() < deadline)
      assert.equal(progress.status, 'completed')
      assert.equal(progress.events_total, inWindow.length)
      assert.equal(progress.events_scanned, inWindow.length)
      assert.equal(progress.deliveries_queued, expected.length)
      assert.deepEqual(progress.deliveries, { pending: 0, succeeded: expected.length, failed: 0 })
      assert.equal(receiver.received.length, expected.length, 'nothing outside the window was re-sent')
      await callOk(server, '/webhooks/delete', { webhook_id: webhook.webhook_id })
    } finally {
      await receiver.close()
    }
  })

  it('after rotate_secret, deliveries verify with the new secret and with the old one', async () => {
    const receiver = await startWebhookReceiver()
    try {
      const webhook = (await callOk(server, '/webhooks/create', { url: receiver.url })).webhook
      const rotated = (await callOk(server, '/webhooks/rotate_secret', { webhook_id: webhook.webhook_id })).webhook
      assert.notEqual(rotated.secret, webhook.secret)
      assert.match(rotated.secret, /^whsec_/)
      assert.ok(Date.parse(rotated.previous_secret_expires_at) > Date.now() + 23 * 3600 * 1000)
      await publish(server.endpoint, server.apiKey, [lockUnlocked(), lockUnlocked()])
      await receiver.waitFor((received) => received.length === 2)
      assertAllVerify(receiver, rotated.secret)
      assertAllVerify(receiver, webhook.secret)
      assert.equal(receiver.received[0]!.headers['svix-signature']!.split(' ').length, 2)
      await callOk(server, '/webhooks/delete', { webhook_id: webhook.webhook_id })
    } finally {
      await receiver.close()
    }
  })
})

describeEachBackend('a slow endpoint', (backend) => {
  let server: TestServer

  before(async () => {
    server = await startTestServer({
      backend,
      env: {
        WEBHOOK_CONCURRENCY: '8',
        WEBHOOK_CONCURRENCY_PER_WEBHOOK: '2',
        WEBHOOK_TIMEOUT_SECONDS: '60',
        WEBHOOK_LEASE_SECONDS: '90',
      },
    })
  })
  after(async () => {
    await server.close()
  })

  it('does not hold up deliveries to a fast one', async () => {
    const slow = await startWebhookReceiver()
    const fast = await startWebhookReceiver()
    let release: () => void = () => {}
    const released = new Promise<void>((resolve) => (release = resolve))
    slow.reply = () => ({ status: 200, holdUntil: released })
    try {
      const slowWebhook = (await callOk(server, '/webhooks/create', { url: slow.url })).webhook
      await callOk(server, '/webhooks/create', { url: fast.url })
      const published = await publish(
        server.endpoint,
        server.apiKey,
        Array.from({ length: 30 }, () => lockUnlocked()),
      )
      // The slow endpoint has not answered a single request yet, and it never will until
      // released: every fast delivery still arrives.
      await fast.waitFor((received) => received.length === 30)
      assert.equal(slow.received.length, 2, 'the slow webhook holds only its own limit of requests')
      release()
      await slow.waitFor((received) => received.length === 30)
      assert.deepEqual(new Set(slow.eventIds()), new Set(published.map((event) => event.event_id)))
      await waitForDeliveries(server, slowWebhook.webhook_id, (items) =>
        items.length === 30 && items.every((item) => item.status === 'succeeded'),
      )
    } finally {
      release()
      await slow.close()
      await fast.close()
    }
  })
})

describeEachBackend('a webhook that keeps failing', (backend) => {
  let server: TestServer

  before(async () => {
    server = await startTestServer({
      backend,
      env: { WEBHOOK_DISABLE_AFTER_SECONDS: '1', WEBHOOK_RETRY_SCHEDULE: '0.3,0.3,0.3,0.3,0.3,0.3,0.3,0.3' },
    })
  })
  after(async () => {
    await server.close()
  })

  it('is disabled after failing for the configured time; enabling and recover bring back what it missed', async () => {
    const receiver = await startWebhookReceiver()
    try {
      receiver.reply = () => ({ status: 500, body: 'down for maintenance' })
      const webhook = (await callOk(server, '/webhooks/create', { url: receiver.url })).webhook
      const since = new Date().toISOString()
      const [first] = await publish(server.endpoint, server.apiKey, [lockUnlocked()])

      let disabled: any
      const deadline = Date.now() + 30_000
      do {
        await new Promise((resolve) => setTimeout(resolve, 50))
        disabled = (await callOk(server, '/webhooks/get', { webhook_id: webhook.webhook_id })).webhook
      } while (!disabled.disabled && Date.now() < deadline)
      assert.equal(disabled.disabled, true)
      assert.equal(disabled.disabled_reason, 'failing')
      assert.ok(disabled.failing_since <= disabled.disabled_at)
      const attemptsWhenDisabled = receiver.received.length
      assert.ok(attemptsWhenDisabled >= 2, `${attemptsWhenDisabled} attempts`)

      // Disabled: the first delivery waits (visible, not failed), new events queue nothing.
      const [second] = await publish(server.endpoint, server.apiKey, [lockUnlocked()])
      const [parked] = await deliveriesOf(server, webhook.webhook_id)
      assert.equal(parked.event_id, first!.event_id)
      assert.equal(parked.status, 'pending')
      assert.equal(parked.attempts.at(-1).response_body, 'down for maintenance')
      assert.equal((await deliveriesOf(server, webhook.webhook_id)).length, 1)

      receiver.reply = () => ({ status: 200 })
      await callOk(server, '/webhooks/update', { webhook_id: webhook.webhook_id, disabled: false })
      await callOk(server, '/webhooks/recover', { webhook_id: webhook.webhook_id, since })
      await receiver.waitFor(() => receiver.eventIds().includes(second!.event_id))
      await waitForDeliveries(server, webhook.webhook_id, (items) => items.every((item) => item.status === 'succeeded'))
      const enabled = (await callOk(server, '/webhooks/get', { webhook_id: webhook.webhook_id })).webhook
      assert.equal(enabled.disabled, false)
      assert.equal(enabled.failing_since, null)
      assertAllVerify(receiver, webhook.secret)
    } finally {
      await receiver.close()
    }
  })
})
