// Fan-out after the commit, on each store: a publish writes one outbox row, and a worker's claim
// turns it into deliveries for the webhooks that wanted the events when they were published,
// whatever happened to those webhooks since, a bounded number per claim; or all of a workspace's
// when its deliveries are read. The pure parts are in
// test/outbox.test.ts; here the stores apply them. No worker runs: the test claims itself.

import assert from 'node:assert/strict'
import { after, before, it } from 'node:test'

import type { DeliveryClaim, EventDraft } from '../src/store/store.ts'
import { describeEachBackend } from './support/backends.ts'
import { startTestServer, type TestServer } from './support/test-server.ts'

function draft(event_type: string): EventDraft {
  return { event_id: crypto.randomUUID(), event_type, occurred_at: undefined, fields: { device_id: crypto.randomUUID() } }
}

async function rows(store: TestServer['store'], workspaceId: string) {
  const { pending_deliveries, pending_fanouts } = await store.installation.countWorkspaceRows(workspaceId)
  return { pending_deliveries, pending_fanouts }
}

/** A claim that takes nothing: only its fan-out runs. */
const fanOutOnly: DeliveryClaim = { limit: 0, leaseMs: 60_000, inFlightByWebhook: new Map(), perWebhookLimit: 16 }
const claimAll: DeliveryClaim = { limit: 1000, leaseMs: 60_000, inFlightByWebhook: new Map(), perWebhookLimit: 1000 }

describeEachBackend('fan-out after the commit', { timeout: 120_000 }, (backend) => {
  let server: TestServer

  before(async () => {
    server = await startTestServer({ backend, worker: false })
  })
  after(async () => {
    await server.close()
  })

  it('delivers to the webhooks that wanted each event when it was published, whatever they did since', async () => {
    const { store } = server
    const { workspaceId } = await server.createWorkspace('since the publish')
    const create = async (eventTypes: string[]) => {
      const webhook = await store.webhooks.createWebhook(workspaceId, { url: 'http://127.0.0.1:9/hook', event_types: eventTypes, secret: 'whsec_x' }, 50)
      assert.ok(webhook)
      return webhook.webhook_id
    }
    const all = await create(['*'])
    const edited = await create(['lock.*'])
    const deleted = await create(['*'])
    const disabled = await create(['*'])
    const [unlocked, connected] = [draft('lock.unlocked'), draft('device.connected')]
    await store.events.insertEvents(workspaceId, [unlocked, connected])

    // The publish wrote its outbox row only, which /metrics counts as owed.
    assert.deepEqual(await rows(store, workspaceId), { pending_deliveries: 0, pending_fanouts: 1 })
    const owed = new Map(
      (await store.deliveries.countDueDeliveriesByWebhook(Date.now() + 1000))
        .filter((due) => due.workspace_id === workspaceId)
        .map((due) => [due.webhook_id, due.due]),
    )
    assert.deepEqual(owed, new Map([[all, 2], [edited, 1], [deleted, 2], [disabled, 2]]))

    await store.webhooks.updateWebhook(workspaceId, edited, { event_types: ['*'] })
    assert.equal(await store.webhooks.deleteWebhook(workspaceId, deleted), true)
    await store.webhooks.updateWebhook(workspaceId, disabled, { disabled: true })
    const later = await create(['*'])

    const claimed = await store.deliveries.claimDueDeliveries(claimAll)
    const pairs = (items: { webhook_id: string; event_id: string }[]) =>
      items.map((item) => `${item.webhook_id} ${item.event_id}`).sort()
    assert.deepEqual(pairs(claimed), pairs([
      { webhook_id: all, event_id: unlocked.event_id },
      { webhook_id: all, event_id: connected.event_id },
      // The types it had at the publish: locks only.
      { webhook_id: edited, event_id: unlocked.event_id },
    ]))
    // Disabled since: its deliveries are made, and parked until it is enabled.
    const parked = (await store.webhooks.listDeliveries(workspaceId, { webhook_id: disabled, limit: 100 })).deliveries
    assert.deepEqual(parked.map((delivery) => delivery.status), ['pending', 'pending'])
    assert.deepEqual((await store.webhooks.listDeliveries(workspaceId, { webhook_id: later, limit: 100 })).deliveries, [])
    await store.webhooks.updateWebhook(workspaceId, disabled, { disabled: false })
    assert.deepEqual(pairs(await store.deliveries.claimDueDeliveries(claimAll)), pairs([
      { webhook_id: disabled, event_id: unlocked.event_id },
      { webhook_id: disabled, event_id: connected.event_id },
    ]))
    // Every row is fanned out: nothing more is owed or due.
    assert.deepEqual(await store.deliveries.claimDueDeliveries(claimAll), [])
  })

  it('makes a large publish into deliveries a bounded number per claim, a webhook at a time', async () => {
    const { store } = server
    const { workspaceId } = await server.createWorkspace('large')
    const webhookIds: string[] = []
    for (let i = 0; i < 3; i += 1) {
      const webhook = await store.webhooks.createWebhook(workspaceId, { url: `http://127.0.0.1:9/hook-${i}`, event_types: ['*'], secret: 'whsec_x' }, 50)
      assert.ok(webhook)
      webhookIds.push(webhook.webhook_id)
    }
    await store.events.insertEvents(workspaceId, Array.from({ length: 1000 }, () => draft('device.connected')))
    // 3,000 deliveries owed; a claim makes whole webhooks' worth up to 2,000.
    await store.deliveries.claimDueDeliveries(fanOutOnly)
    assert.deepEqual(await rows(store, workspaceId), { pending_deliveries: 2000, pending_fanouts: 1 })
    // Owed or made, /metrics counts them all as due.
    const due = (await store.deliveries.countDueDeliveriesByWebhook(Date.now() + 1000)).filter((row) => row.workspace_id === workspaceId)
    assert.deepEqual(due.map((row) => row.due).sort(), [1000, 1000, 1000])
    await store.deliveries.claimDueDeliveries(fanOutOnly)
    assert.deepEqual(await rows(store, workspaceId), { pending_deliveries: 3000, pending_fanouts: 0 })
    const counts = await Promise.all(
      webhookIds.map(async (webhook_id) => (await store.webhooks.listDeliveries(workspaceId, { webhook_id, limit: 1000 })).deliveries.length),
    )
    assert.deepEqual(counts, [1000, 1000, 1000])
  })

  it('makes what a publish owes into deliveries when they are read, with no worker, as if made in the publish', async () => {
    const { store } = server
    const { workspaceId } = await server.createWorkspace('read')
    const webhook = await store.webhooks.createWebhook(workspaceId, { url: 'http://127.0.0.1:9/hook', event_types: ['*'], secret: 'whsec_x' }, 50)
    assert.ok(webhook)
    const [event] = await store.events.insertEvents(workspaceId, [draft('lock.unlocked')])
    assert.ok(event)
    const { deliveries } = await store.webhooks.listDeliveries(workspaceId, { event_id: event.event_id, limit: 10 })
    assert.deepEqual(deliveries.map((delivery) => [delivery.webhook_id, delivery.status]), [[webhook.webhook_id, 'pending']])
    assert.deepEqual(await rows(store, workspaceId), { pending_deliveries: 1, pending_fanouts: 0 })
  })
})
