// Several `seam-events` processes on one PostgreSQL database, as operators scale out: migrations
// that start at once, and API nodes that each see what the others stored.
// Single backend (postgres): several processes share one database only on PostgreSQL.

import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'

import {
  cli,
  cliJson,
  startCommand,
  startServe,
  type RunningCommand,
} from './support/cli-process.ts'
import { skipUnlessBackend } from './support/backends.ts'
import { publish } from './support/http.ts'
import { createTestDatabase } from './support/postgres.ts'
import { newestSeamSdks, seamClient } from './support/seam-sdks.ts'
import {
  assertAllVerify,
  callOk,
  fastDeliveryEnv,
  lockUnlocked,
  waitForDeliveries,
} from './support/webhook-api.ts'
import { startWebhookReceiver } from './support/webhook-receiver.ts'

/** Requests one worker sends to one webhook at once. */
const perWebhookLimit = 16

/**
 * Workers that would not look for work on their own for a minute: every delivery below is
 * started by PostgreSQL's notification, or by a lease running out. A held request must not time
 * out before the kill (its retry would be a second request from a worker still alive), and the
 * lease must exceed the timeout by more than 5 s.
 */
const workerEnv = {
  ...fastDeliveryEnv,
  WEBHOOK_POLL_INTERVAL_MS: '60000',
  WEBHOOK_CONCURRENCY_PER_WEBHOOK: String(perWebhookLimit),
  WEBHOOK_TIMEOUT_SECONDS: '5',
  WEBHOOK_LEASE_SECONDS: '10.5',
}

describe('seam-events processes on one PostgreSQL database', { skip: skipUnlessBackend('postgres') }, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>
  const running: RunningCommand[] = []

  before(async () => {
    database = await createTestDatabase()
  })
  after(async () => {
    for (const server of running) {
      server.process.kill('SIGTERM')
      await server.exited
    }
    await database.drop()
  })

  it('migrates once when several processes start at once', async () => {
    const results = await Promise.all(
      [1, 2, 3].map(() => cli(['migrate', '--database', database.url, '--json'])),
    )
    for (const { stdout } of results) assert.deepEqual(JSON.parse(stdout), { migrated: true })
    const workspace = await cliJson(['workspaces', 'create', '--name', 'Fleet', '--database', database.url])
    const listed = await cliJson(['workspaces', 'list', '--database', database.url])
    assert.deepEqual(listed.workspaces.map((w: any) => w.workspace_id), [workspace.workspace_id])
  })

  it('lists on every API node what was published through any of them', async () => {
    const workspace = await cliJson(['workspaces', 'create', '--name', 'Nodes', '--database', database.url])
    const nodes = await Promise.all([1, 2].map(() => startServe(['--database', database.url, '--no-worker'])))
    running.push(...nodes)
    const since = new Date(Date.now() - 1000).toISOString()
    const published: string[] = []
    for (const [index, node] of nodes.entries()) {
      const events = await publish(node.endpoint, workspace.token, [lockUnlocked(), lockUnlocked()])
      published.push(...events.map((event) => event.event_id))
      // Read back at once through the other node.
      const other = nodes[(index + 1) % nodes.length]!
      const seam = seamClient(newestSeamSdks[1]!, other.endpoint, workspace.token)
      const listed = await seam.events.list({ since })
      assert.deepEqual(
        new Set(listed.map((event: any) => event.event_id)),
        new Set(published),
        `node ${(index + 1) % nodes.length} sees every event published so far`,
      )
    }
  })

  it('2 API nodes and 2 workers deliver every event, with a worker killed by SIGKILL midway', async (t) => {
    const workspace = await cliJson(['workspaces', 'create', '--name', 'Scale', '--database', database.url])
    const receiver = await startWebhookReceiver()
    // Every answer waits for the kill: once both workers have all their slots for the webhook
    // held, each has exactly perWebhookLimit requests in flight when one of them dies.
    let release: () => void = () => {}
    const released = new Promise<void>((resolve) => (release = resolve))
    receiver.reply = () => ({ status: 200, holdUntil: released })
    try {
      const nodes = await Promise.all(
        [1, 2].map(() => startServe(['--database', database.url, '--no-worker'], workerEnv)),
      )
      running.push(...nodes)
      const workers = [1, 2].map(() => startCommand(['worker', '--database', database.url], workerEnv))
      running.push(...workers)
      await Promise.all(workers.map((worker) => worker.waitForLog((line) => line['msg'] === 'delivery worker started')))
      const target = { endpoint: nodes[0]!.endpoint, apiKey: workspace.token }
      const webhook = (await callOk(target, '/webhooks/create', { url: receiver.url })).webhook

      const published: string[] = []
      const publishing = (async () => {
        for (let batch = 0; batch < 30; batch += 1) {
          const node = nodes[batch % nodes.length]!
          const events = await publish(node.endpoint, workspace.token, Array.from({ length: 10 }, () => lockUnlocked()))
          published.push(...events.map((event) => event.event_id))
          await new Promise((resolve) => setTimeout(resolve, 20))
        }
      })()
      await receiver.waitFor((received) => received.length === 2 * perWebhookLimit)
      workers[0]!.process.kill('SIGKILL')
      await workers[0]!.exited
      // The killed worker's requests in flight are the ones whose connections close unanswered.
      // Waited for before the release, so that none of them can be answered into a dead socket.
      const abandoned = () => receiver.received.filter((delivery) => delivery.abandonedAt !== undefined)
      await receiver.waitFor(() => abandoned().length === perWebhookLimit)
      const inFlightAtKill = abandoned()
      release()
      await publishing

      await receiver.waitFor((received) => {
        const arrived = new Set(received.map((delivery) => JSON.parse(delivery.body).event_id))
        return published.every((eventId) => arrived.has(eventId))
      }, 60_000)
      // Every delivery ends succeeded: the killed worker's claims came back after their lease
      // and the other worker sent them again. Only then are the duplicates all in.
      await waitForDeliveries(target, webhook.webhook_id, (items) =>
        items.length === published.length && items.every((item) => item.status === 'succeeded'),
      )
      assertAllVerify(receiver, webhook.secret)
      const eventIds = receiver.eventIds()
      const duplicates = eventIds.length - new Set(eventIds).size
      const sentAgain = new Set(eventIds.filter((eventId, index) => eventIds.indexOf(eventId) !== index))
      const inFlightEventIds = new Set(inFlightAtKill.map((delivery) => JSON.parse(delivery.body).event_id))
      t.diagnostic(
        `${published.length} events published through 2 nodes, ${new Set(eventIds).size} delivered, ` +
          `${duplicates} delivered twice (the killed worker's claims, sent again after their lease), ` +
          `${inFlightAtKill.length} requests in flight from the killed worker`,
      )
      assert.ok(duplicates > 0, "the killed worker's deliveries in flight were sent again")
      assert.ok(duplicates <= inFlightAtKill.length, `${duplicates} duplicates, but ${inFlightAtKill.length} requests in flight at the kill`)
      assert.deepEqual(
        [...sentAgain].filter((eventId) => !inFlightEventIds.has(eventId)),
        [],
        'only events whose requests were in flight in the killed worker are sent twice',
      )
    } finally {
      release()
      await receiver.close()
    }
  })
})
