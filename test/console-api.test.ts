// The API the console's workspace header and webhook portal stand on: workspaces/get through
// Seam's SDK, a webhook's description, its delivery stats, a test event, "retry all failed" in
// batches, and a delivery's request as sent, checked against what a real receiver got.

import assert from 'node:assert/strict'
import { after, before, it } from 'node:test'

import { schemas } from '@seamapi/types/connect'
import { SeamWebhook } from '@seamapi/webhook'

import { describeEachBackend } from './support/backends.ts'
import { publish } from './support/http.ts'
import { seamClient, seamSdks } from './support/seam-sdks.ts'
import { startTestServer, type TestServer } from './support/test-server.ts'
import { call, callOk, lockUnlocked, waitForDeliveries } from './support/webhook-api.ts'
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.ts'

describeEachBackend('the API of the console', { timeout: 120_000 }, (backend) => {
  let server: TestServer
  let receiver: WebhookReceiver

  before(async () => {
    server = await startTestServer({ backend })
    receiver = await startWebhookReceiver()
  })
  after(async () => {
    await receiver.close()
    await server.close()
  })

  it("answers workspaces/get with the key's workspace in Seam's shape, to every SDK and every scope", async () => {
    const other = await server.createWorkspace('Another workspace')
    for (const sdk of seamSdks) {
      const workspace = await seamClient(sdk, server.endpoint, server.apiKey).workspaces.get()
      assert.equal(workspace.workspace_id, server.workspaceId, sdk.name)
      assert.equal(workspace.name, 'Test workspace', sdk.name)
      // Seam's own schema of a workspace accepts it as it is.
      schemas.workspace.parse(workspace)
      const theirs = await seamClient(sdk, server.endpoint, other.apiKey).workspaces.get()
      assert.equal(theirs.workspace_id, other.workspaceId, sdk.name)
      assert.equal(theirs.name, 'Another workspace', sdk.name)
    }
    for (const scope of ['read', 'publish'] as const) {
      const { apiKey } = await server.createKey(server.workspaceId, scope)
      const body = (await call(server, '/workspaces/get', {}, apiKey)).json
      assert.equal(body.workspace.workspace_id, server.workspaceId, scope)
    }
  })

  it('keeps a description on create and update, shows it in get and list, and bounds its length', async () => {
    const created = (await callOk(server, '/webhooks/create', { url: receiver.url, description: '  Door alerts  ' })).webhook
    assert.equal(created.description, 'Door alerts')
    const read = (await callOk(server, '/webhooks/get', { webhook_id: created.webhook_id })).webhook
    assert.equal(read.description, 'Door alerts')
    const listed = (await callOk(server, '/webhooks/list', {})).webhooks.find((w: any) => w.webhook_id === created.webhook_id)
    assert.equal(listed.description, 'Door alerts')

    const updated = (await callOk(server, '/webhooks/update', { webhook_id: created.webhook_id, description: 'Front desk' })).webhook
    assert.equal(updated.description, 'Front desk')
    assert.deepEqual(updated.event_types, ['*'], 'other fields stay')
    const cleared = (await callOk(server, '/webhooks/update', { webhook_id: created.webhook_id, description: null })).webhook
    assert.equal(cleared.description, null)
    const none = (await callOk(server, '/webhooks/create', { url: receiver.url })).webhook
    assert.equal(none.description, null)

    const tooLong = await call(server, '/webhooks/update', { webhook_id: created.webhook_id, description: 'x'.repeat(501) })
    assert.equal(tooLong.status, 400)
    assert.equal(tooLong.json.error.type, 'invalid_input')
    assert.match(tooLong.json.error.validation_errors.description._errors[0], /at most 500 characters/)
    const notText = await call(server, '/webhooks/create', { url: receiver.url, description: 42 })
    assert.equal(notText.status, 400)
    assert.ok(notText.json.error.validation_errors.description, notText.text)
    for (const webhook of [created, none]) await callOk(server, '/webhooks/delete', { webhook_id: webhook.webhook_id })
  })

  it('sends a signed test event, marked as a test, recorded as a delivery and in no event log', async () => {
    const webhook = (await callOk(server, '/webhooks/create', { url: receiver.url, event_types: ['device.*'] })).webhook
    const before = receiver.received.length
    const { delivery } = await callOk(server, '/webhooks/send_test_event', { webhook_id: webhook.webhook_id })
    assert.equal(delivery.is_test_event, true)
    assert.match(delivery.event_type, /^device\./, "a type the webhook wants")
    await receiver.waitFor((received) => received.length > before)
    const sent = receiver.received.at(-1)!
    const event = new SeamWebhook(webhook.secret).verify(sent.body, sent.headers) as any
    assert.equal(event.event_id, delivery.event_id)
    assert.equal(event.is_test_event, true)
    assert.equal(event.workspace_id, server.workspaceId)
    assert.match(event.event_description, /^Test event: /)
    const [done] = await waitForDeliveries(server, webhook.webhook_id, (list) => list[0]?.status === 'succeeded')
    assert.equal(done.is_test_event, true)
    const missing = await call(server, '/events/get', { event_id: delivery.event_id })
    assert.equal(missing.status, 404, 'a test event is in no event log')

    // The request as sent, re-derived: the same body and headers the receiver got.
    const got = await callOk(server, '/webhooks/deliveries/get', { delivery_id: delivery.delivery_id })
    assert.equal(got.webhook_url, receiver.url)
    assert.equal(got.request.body, sent.body)
    const headers = got.request.attempts[0].headers
    for (const name of ['svix-id', 'svix-timestamp', 'svix-signature', 'webhook-id', 'webhook-signature', 'content-type', 'user-agent']) {
      assert.equal(headers[name], sent.headers[name], name)
    }

    const typed = await callOk(server, '/webhooks/send_test_event', { webhook_id: webhook.webhook_id, event_type: 'lock.locked' })
    assert.equal(typed.delivery.event_type, 'lock.locked')
    const unknown = await call(server, '/webhooks/send_test_event', { webhook_id: webhook.webhook_id, event_type: 'lock.exploded' })
    assert.equal(unknown.status, 400)
    assert.ok(unknown.json.error.validation_errors.event_type, unknown.text)
    const noWebhook = await call(server, '/webhooks/send_test_event', { webhook_id: 'nope' })
    assert.equal(noWebhook.status, 404)
    assert.equal(noWebhook.json.error.type, 'webhook_not_found')
    await callOk(server, '/webhooks/delete', { webhook_id: webhook.webhook_id })
  })

  it("retries a webhook's failed deliveries in batches, and counts its attempts and success rate", async () => {
    const failing = await startWebhookReceiver()
    let healthy = false
    failing.reply = () => (healthy ? { status: 200, body: 'ok' } : { status: 500, body: 'down' })
    try {
      const webhook = (await callOk(server, '/webhooks/create', { url: failing.url, event_types: ['lock.unlocked'] })).webhook
      await publish(server.endpoint, server.apiKey, [lockUnlocked(), lockUnlocked(), lockUnlocked()])
      // The test schedule: four attempts, then failed.
      await waitForDeliveries(server, webhook.webhook_id, (list) => list.length === 3 && list.every((d) => d.status === 'failed'))
      const stats = (await callOk(server, '/webhooks/get', { webhook_id: webhook.webhook_id })).webhook.delivery_stats
      assert.equal(stats.attempts, 12)
      assert.equal(stats.successful_attempts, 0)
      assert.equal(stats.success_rate, 0)
      assert.equal(stats.failed_deliveries, 3)
      assert.equal(stats.last_delivery.status, 'failed')
      assert.equal(stats.last_delivery.last_status_code, 500)

      healthy = true
      const first = await callOk(server, '/webhooks/deliveries/retry_failed', { webhook_id: webhook.webhook_id, limit: 2 })
      assert.equal(first.deliveries_retried, 2)
      assert.equal(first.failed_remaining, 1)
      const second = await callOk(server, '/webhooks/deliveries/retry_failed', {
        webhook_id: webhook.webhook_id,
        limit: 2,
        failed_before: first.failed_before,
      })
      assert.equal(second.deliveries_retried, 1)
      assert.equal(second.failed_remaining, 0)
      await waitForDeliveries(server, webhook.webhook_id, (list) => list.every((d) => d.status === 'succeeded'))
      const after = (await callOk(server, '/webhooks/list', {})).webhooks.find((w: any) => w.webhook_id === webhook.webhook_id)
      assert.equal(after.delivery_stats.attempts, 15)
      assert.equal(after.delivery_stats.successful_attempts, 3)
      assert.equal(after.delivery_stats.success_rate, 3 / 15)
      assert.equal(after.delivery_stats.failed_deliveries, 0)
      assert.equal(after.delivery_stats.last_delivery.last_status_code, 200)

      const bad = await call(server, '/webhooks/deliveries/retry_failed', { webhook_id: webhook.webhook_id, limit: 0 })
      assert.equal(bad.status, 400)
      assert.ok(bad.json.error.validation_errors.limit, bad.text)
      const badBound = await call(server, '/webhooks/deliveries/retry_failed', { webhook_id: webhook.webhook_id, failed_before: 'yesterday' })
      assert.equal(badBound.status, 400)
      assert.ok(badBound.json.error.validation_errors.failed_before, badBound.text)
      await callOk(server, '/webhooks/delete', { webhook_id: webhook.webhook_id })
    } finally {
      await failing.close()
    }
  })

  it("keeps each tenant's webhooks, deliveries and stats to itself", async () => {
    const other = await server.createWorkspace('Tenant B')
    const webhook = (await callOk(server, '/webhooks/create', { url: receiver.url })).webhook
    const { delivery } = await callOk(server, '/webhooks/send_test_event', { webhook_id: webhook.webhook_id })
    const asOther = { endpoint: server.endpoint, apiKey: other.apiKey }
    assert.equal((await call(asOther, '/webhooks/deliveries/get', { delivery_id: delivery.delivery_id })).status, 404)
    assert.equal((await call(asOther, '/webhooks/send_test_event', { webhook_id: webhook.webhook_id })).status, 404)
    assert.equal((await call(asOther, '/webhooks/deliveries/retry_failed', { webhook_id: webhook.webhook_id })).status, 404)
    const stats = await server.store.webhooks.webhookDeliveryStats(other.workspaceId, [webhook.webhook_id], '2000-01-01T00:00:00.000Z')
    assert.equal(stats.get(webhook.webhook_id)?.last_delivery, null)
    await callOk(server, '/webhooks/delete', { webhook_id: webhook.webhook_id })
  })
})
