// Delivery across real processes: `seam-events serve` killed with SIGKILL mid-delivery and
// restarted, a `serve --no-worker` paired with a `seam-events worker`, and the start-up checks.
// Single backend (sqlite): processes on a database file; on PostgreSQL, see postgres-processes.

import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { skipUnlessBackend } from './support/backends.ts'
import { cli, cliJson, startCommand, startServe, type RunningServer } from './support/cli-process.ts'
import { publish } from './support/http.ts'
import {
  assertAllVerify,
  callOk,
  fastDeliveryEnv,
  lockUnlocked,
  waitForDeliveries,
} from './support/webhook-api.ts'
import { startWebhookReceiver } from './support/webhook-receiver.ts'


describe('webhook delivery across processes', { skip: skipUnlessBackend('sqlite') }, () => {
  let directory: string
  const running: RunningServer[] = []

  before(() => {
    directory = mkdtempSync(join(tmpdir(), 'seam-events-delivery-'))
  })
  after(async () => {
    for (const server of running) server.process.kill('SIGKILL')
    rmSync(directory, { recursive: true, force: true })
  })

  async function serve(database: string, args: string[] = []): Promise<RunningServer> {
    const server = await startServe(['--database', database, ...args], fastDeliveryEnv)
    running.push(server)
    return server
  }

  it('delivers every acknowledged event after the server is killed with SIGKILL mid-delivery', async (t) => {
    const database = join(directory, 'crash.db')
    const workspace = await cliJson(['workspaces', 'create', '--name', 'Crash', '--database', database])
    const receiver = await startWebhookReceiver()
    // Each answer takes a while, so that many deliveries are in flight when the process dies.
    receiver.reply = () => ({ status: 200, holdUntil: new Promise((resolve) => setTimeout(resolve, 150)) })
    try {
      let server = await serve(database)
      const target = () => ({ endpoint: server.endpoint, apiKey: workspace.token })
      const webhook = (await callOk(target(), '/webhooks/create', { url: receiver.url })).webhook

      // Publish in batches until the process dies under us: every batch that was acknowledged
      // must be delivered; one cut off mid-request may or may not have been stored.
      const acknowledged: string[] = []
      const publishing = (async () => {
        for (let batch = 0; batch < 200; batch += 1) {
          try {
            const events = await publish(server.endpoint, workspace.token, Array.from({ length: 10 }, () => lockUnlocked()))
            acknowledged.push(...events.map((event) => event.event_id))
          } catch {
            return
          }
          await new Promise((resolve) => setTimeout(resolve, 20))
        }
      })()
      await receiver.waitFor((received) => received.length >= 60)
      server.process.kill('SIGKILL')
      await server.exited
      await publishing
      assert.ok(acknowledged.length >= 60, 'events were acknowledged before the crash')
      assert.ok(acknowledged.length < 2000, 'the crash cut the publishing short')

      server = await serve(database)
      await receiver.waitFor((received) => {
        const arrived = new Set(received.map((delivery) => JSON.parse(delivery.body).event_id))
        return acknowledged.every((eventId) => arrived.has(eventId))
      }, 60_000)

      // Every delivery ends succeeded, none stays stuck in a claim; only then are all the
      // resends of the claims that died with the process in.
      const deliveries = await waitForDeliveries(target(), webhook.webhook_id, (items) =>
        items.length >= acknowledged.length && items.every((item) => item.status === 'succeeded'),
      )
      assertAllVerify(receiver, webhook.secret)
      const eventIds = receiver.eventIds()
      const duplicates = eventIds.length - new Set(eventIds).size
      t.diagnostic(
        `${acknowledged.length} events acknowledged, ${new Set(eventIds).size} delivered, ` +
          `${duplicates} delivered twice (claims in flight at the kill, resent after their lease)`,
      )
      const deliveredEventIds = new Set(deliveries.map((delivery) => delivery.event_id))
      assert.ok(acknowledged.every((eventId) => deliveredEventIds.has(eventId)))
      server.process.kill('SIGTERM')
      assert.equal(await server.exited, 0)
    } finally {
      await receiver.close()
    }
  })

  it('serve --no-worker stores the outbox that a separate `seam-events worker` sends', async () => {
    const database = join(directory, 'split.db')
    const workspace = await cliJson(['workspaces', 'create', '--name', 'Split', '--database', database])
    const receiver = await startWebhookReceiver()
    try {
      const server = await serve(database, ['--no-worker'])
      const target = { endpoint: server.endpoint, apiKey: workspace.token }
      const webhook = (await callOk(target, '/webhooks/create', { url: receiver.url })).webhook
      const published = await publish(server.endpoint, workspace.token, [lockUnlocked(), lockUnlocked()])

      // Without a worker, the deliveries wait: the publish's outbox row is made into them when
      // they are read, and nothing is sent.
      const waiting = await waitForDeliveries(target, webhook.webhook_id, (items) => items.length === 2)
      assert.deepEqual(
        waiting.map((delivery) => delivery.status),
        ['pending', 'pending'],
      )
      assert.equal(receiver.received.length, 0)

      const worker = startCommand(['worker', '--database', database], fastDeliveryEnv)
      try {
        await receiver.waitFor((received) => received.length === 2)
        assert.deepEqual(new Set(receiver.eventIds()), new Set(published.map((event) => event.event_id)))
        assertAllVerify(receiver, webhook.secret)
        const delivered = await waitForDeliveries(target, webhook.webhook_id, (items) =>
          items.length === 2 && items.every((item) => item.status === 'succeeded'),
        )
        assert.deepEqual(new Set(delivered.map((delivery) => delivery.event_id)), new Set(published.map((event) => event.event_id)))
      } finally {
        worker.process.kill('SIGTERM')
        assert.equal(await worker.exited, 0)
      }
      assert.match(worker.output(), /"msg":"stopped"/)
      server.process.kill('SIGTERM')
      assert.equal(await server.exited, 0)
    } finally {
      await receiver.close()
    }
  })

  it('two workers on one database never send the same delivery twice', async (t) => {
    const database = join(directory, 'two-workers.db')
    const workspace = await cliJson(['workspaces', 'create', '--name', 'Two', '--database', database])
    const receiver = await startWebhookReceiver()
    receiver.reply = () => ({ status: 200, holdUntil: new Promise((resolve) => setTimeout(resolve, 20)) })
    const server = await serve(database, ['--no-worker'])
    // A generous timeout: on a busy machine a 1 s one can expire, and the retry that follows is
    // a second attempt by design, not the double claim this test looks for.
    const workerEnv = { ...fastDeliveryEnv, WEBHOOK_TIMEOUT_SECONDS: '15', WEBHOOK_LEASE_SECONDS: '30' }
    const workers = [1, 2].map(() => startCommand(['worker', '--database', database], workerEnv))
    try {
      await Promise.all(workers.map((worker) => worker.waitForLog((line) => line['msg'] === 'delivery worker started')))
      const target = { endpoint: server.endpoint, apiKey: workspace.token }
      const webhook = (await callOk(target, '/webhooks/create', { url: receiver.url })).webhook
      const published: string[] = []
      for (let batch = 0; batch < 6; batch += 1) {
        const events = await publish(server.endpoint, workspace.token, Array.from({ length: 50 }, () => lockUnlocked()))
        published.push(...events.map((event) => event.event_id))
      }
      await receiver.waitFor((received) => new Set(received.map((r) => JSON.parse(r.body).event_id)).size === published.length)
      await waitForDeliveries(target, webhook.webhook_id, (items) =>
        items.length === published.length && items.every((item) => item.status === 'succeeded' && item.attempts.length === 1),
      )
      const deliveryIds = receiver.received.map((delivery) => delivery.headers['svix-id'])
      t.diagnostic(`${published.length} events, ${deliveryIds.length} requests received`)
      assert.equal(new Set(deliveryIds).size, deliveryIds.length, 'no delivery was sent twice')
      assert.deepEqual(new Set(receiver.eventIds()), new Set(published))
    } finally {
      for (const worker of workers) worker.process.kill('SIGTERM')
      for (const worker of workers) assert.equal(await worker.exited, 0)
      server.process.kill('SIGTERM')
      await server.exited
      await receiver.close()
    }
  })

  it('refuses a lease not longer than the timeout plus 5 s, naming the setting', async () => {
    const database = join(directory, 'settings.db')
    for (const command of [['serve', '--port', '0'], ['worker']]) {
      await assert.rejects(
        cli([...command, '--database', database], { WEBHOOK_TIMEOUT_SECONDS: '20', WEBHOOK_LEASE_SECONDS: '25' }),
        (error: any) => {
          assert.equal(error.code, 1)
          assert.match(error.stderr, /WEBHOOK_LEASE_SECONDS/)
          return true
        },
      )
    }
  })

  it('refuses a bad retry schedule, naming the setting', async () => {
    await assert.rejects(
      cli(['worker', '--database', join(directory, 'settings.db')], { WEBHOOK_RETRY_SCHEDULE: '5,soon' }),
      (error: any) => {
        assert.equal(error.code, 1)
        assert.match(error.stderr, /WEBHOOK_RETRY_SCHEDULE/)
        return true
      },
    )
  })
})
