// Both stores commit the publishes that arrive together in one transaction (SQLite: all of
// them; PostgreSQL: those to one workspace, which its row lock serializes anyway). Each is
// still all-or-nothing on its own: one that fails leaves the others stored.

import assert from 'node:assert/strict'
import { after, before, it } from 'node:test'

import type { EventDraft } from '../src/store/store.ts'
import { describeEachBackend } from './support/backends.ts'
import { startTestServer, type TestServer } from './support/test-server.ts'

function draft(n: number): EventDraft {
  return {
    event_id: crypto.randomUUID(),
    event_type: 'device.connected',
    occurred_at: undefined,
    fields: { device_id: crypto.randomUUID(), event_description: `draft ${n}` },
  }
}

describeEachBackend('group commit of concurrent publishes', { timeout: 120_000 }, (backend) => {
  let server: TestServer

  before(async () => {
    server = await startTestServer({ backend })
  })
  after(async () => {
    await server.close()
  })

  it('stores every publish of a group, in order, and fails only the one that cannot be stored', async () => {
    const { store, workspaceId } = server
    // More than one group holds on PostgreSQL (64 publishes at most).
    const drafts = Array.from({ length: 100 }, (_, n) => draft(n))
    // Issued at once, so they share commits; the unknown workspace cannot be written.
    const results = await Promise.allSettled([
      ...drafts.slice(0, 50).map((one) => store.events.insertEvents(workspaceId, [one])),
      store.events.insertEvents('00000000-0000-4000-8000-000000000000', [draft(99)]),
      ...drafts.slice(50).map((one) => store.events.insertEvents(workspaceId, [one])),
    ])
    assert.deepEqual(
      results.map((result) => result.status),
      [...Array(50).fill('fulfilled'), 'rejected', ...Array(50).fill('fulfilled')],
    )
    const page = await store.events.listEvents(workspaceId, {
      created_at_min: '2000-01-01T00:00:00.000Z',
      offset: 0,
      limit: 200,
    })
    const events = JSON.parse(`[${page.eventsJsonText}]`) as { event_id: string; created_at: string }[]
    assert.deepEqual(
      new Set(events.map((event) => event.event_id)),
      new Set(drafts.map((one) => one.event_id)),
    )
    // Newest first, and created_at never goes backwards in the order the publishes were stored.
    const createdAts = events.map((event) => event.created_at)
    assert.deepEqual(createdAts, [...createdAts].sort().reverse())
  })

  it('answers a publish that repeats an event id of its own group with the event first stored', async () => {
    const { store, workspaceId } = server
    const one = draft(1)
    const [first, second] = await Promise.all([
      store.events.insertEvents(workspaceId, [one]),
      store.events.insertEvents(workspaceId, [{ ...one, fields: { ...one.fields, event_description: 'second' } }]),
    ])
    assert.equal(first?.[0]?.json, second?.[0]?.json)
    assert.match(first?.[0]?.json ?? '', /"draft 1"/)
  })

  it('shows a publish to a workspace with many webhooks all at once or not at all, while it is written', async () => {
    const { store, workspaceId } = server
    for (let i = 0; i < 20; i += 1) {
      const created = await store.webhooks.createWebhook(workspaceId, { url: `http://127.0.0.1:9/hook-${i}`, event_types: ['device.*'], secret: 'whsec_x' }, 50)
      assert.ok(created)
    }
    // Read while the publish is written (the SQLite commit turns the event loop between steps):
    // each read sees none of the publish's events or all of them. How many reads fit inside one
    // publish depends on the machine, so a publish that was over before three reads ran proves
    // nothing and is made again, with new events.
    let drafts: EventDraft[] = []
    let overlappingReads = 0
    for (let attempt = 0; attempt < 20 && overlappingReads < 3; attempt += 1) {
      drafts = Array.from({ length: 500 }, (_, n) => draft(n))
      const ids = new Set(drafts.map((one) => one.event_id))
      let done = false
      const publishing = store.events.insertEvents(workspaceId, drafts).finally(() => (done = true))
      const seen: number[] = []
      while (!done) {
        const page = await store.events.listEvents(workspaceId, { created_at_min: '2000-01-01T00:00:00.000Z', offset: 0, limit: 1000 })
        seen.push((JSON.parse(`[${page.eventsJsonText}]`) as { event_id: string }[]).filter((event) => ids.has(event.event_id)).length)
        await new Promise((resolve) => setImmediate(resolve))
      }
      await publishing
      for (const count of seen) assert.ok(count === 0 || count === drafts.length, `a read saw ${count} of ${drafts.length}`)
      overlappingReads = seen.length
    }
    assert.ok(overlappingReads >= 3, `reads went on while the publish was written (${overlappingReads} reads in the last of 20 publishes)`)
    // Its deliveries come after the commit, from the worker: 20 of each event, every event.
    const deadline = Date.now() + 30_000
    for (;;) {
      const first = await store.webhooks.listDeliveries(workspaceId, { event_id: drafts[0]!.event_id, limit: 100 })
      const last = await store.webhooks.listDeliveries(workspaceId, { event_id: drafts.at(-1)!.event_id, limit: 100 })
      if (first.deliveries.length === 20 && last.deliveries.length === 20) break
      assert.ok(Date.now() < deadline, `the worker made ${first.deliveries.length} and ${last.deliveries.length} of 20 deliveries`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  })
})
