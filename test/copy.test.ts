// Single backend: not one but both at once, in every test (skipped unless the run has both).
//
// `seam-events copy` between the two kinds of database, both ways: an installation made on a real
// SQLite server is copied to a new PostgreSQL database, served there by a real `seam-events
// serve`, copied back to a new SQLite file and served again; the same keys, events, webhooks and
// pending deliveries answer on each. Needs both backends in the run, with PostgreSQL databases of
// its own.

import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { skipUnlessBackend } from './support/backends.ts'
import { cli, startCommand, startServe, type RunningServer } from './support/cli-process.ts'
import { listEveryEvent } from './support/event-pages.ts'
import { publish, rawRequest } from './support/http.ts'
import { createTestDatabase } from './support/postgres.ts'
import { startTestServer, type TestServer } from './support/test-server.ts'
import { call, callOk, deviceConnected, lockUnlocked, waitForDeliveries, type ApiTarget } from './support/webhook-api.ts'

const skip = skipUnlessBackend('postgres') || skipUnlessBackend('sqlite')

describe('seam-events copy (sqlite to postgres and back)', { skip, timeout: 300_000 }, () => {
  let source: TestServer
  let directory: string
  const databases: { drop(): Promise<void> }[] = []
  const servers: RunningServer[] = []

  before(async () => {
    // A worker whose first retry is an hour away: the deliveries it tries (to a closed port) stay
    // pending with their first attempt, unchanged while the copy runs.
    source = await startTestServer({ backend: 'sqlite', env: { WEBHOOK_RETRY_SCHEDULE: '3600' } })
    directory = mkdtempSync(join(tmpdir(), 'seam-events-copy-'))
  })
  after(async () => {
    for (const server of servers) {
      server.process.kill('SIGTERM')
      await server.exited
    }
    await source?.close()
    for (const database of databases) await database.drop()
    rmSync(directory, { recursive: true, force: true })
  })

  const serve = async (databaseUrl: string): Promise<RunningServer> => {
    const server = await startServe(['--database', databaseUrl, '--no-worker'], { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', LOG_LEVEL: 'info' })
    servers.push(server)
    return server
  }

  /** What a key sees of the installation: events, webhooks with secrets, pending deliveries. */
  const snapshot = async (target: ApiTarget) => {
    const { events } = await listEveryEvent(target)
    // Without delivery_stats, which is counted over the 24 hours up to the moment it is read.
    const webhooks = (await callOk(target, '/webhooks/list', {})).webhooks.map(({ delivery_stats: _, ...webhook }: any) => webhook)
    const deliveries = (await callOk(target, '/webhooks/deliveries/list', { status: 'pending', limit: 1000 })).deliveries
    return { events, webhooks, deliveries }
  }

  it('moves workspaces, keys, webhooks, events and pending deliveries, and the same key works on each copy', async () => {
    const api = { endpoint: source.endpoint, apiKey: source.apiKey }
    const second = await source.createWorkspace('second')
    const { apiKey: readKey } = await source.createKey(source.workspaceId, 'read')
    const { apiKeyId: revokedId, apiKey: revokedKey } = await source.createKey(source.workspaceId, 'read')
    await cli(['api-keys', 'revoke', revokedId, '--database', source.databaseUrl])
    await cli(['seed', '--workspace', source.workspaceId, '--days', '5', '--events', '2000', '--seed', '3', '--database', source.databaseUrl])
    const webhook = (await callOk(api, '/webhooks/create', { url: 'http://127.0.0.1:9/hook', event_types: ['lock.*'] })).webhook
    await publish(source.endpoint, source.apiKey, [lockUnlocked(), deviceConnected(), lockUnlocked()])
    await publish(source.endpoint, second.apiKey, [deviceConnected()])
    await waitForDeliveries(api, webhook.webhook_id, (items) => items.length === 2 && items.every((item) => item.attempts.length === 1))
    const before = await snapshot(api)
    assert.equal(before.events.length, 2003)
    assert.equal(before.deliveries.length, 2)
    assert.equal(before.webhooks[0].secret, webhook.secret)
    assert.equal((await call(api, '/events/list', { since: '2000-01-01T00:00:00Z' }, readKey)).status, 200)

    // SQLite to PostgreSQL.
    const postgres = await createTestDatabase()
    databases.push(postgres)
    const { stdout, stderr } = await cli(['copy', '--from', source.databaseUrl, '--to', postgres.url, '--json'])
    assert.deepEqual({ ...JSON.parse(stdout), seconds: 0 }, { workspaces: 2, api_keys: 4, webhooks: 1, events: 2004, pending_deliveries: 2, pending_fanouts: 0, seconds: 0 })
    assert.match(stderr, /using the SQLite database/)
    assert.match(stderr, /using the PostgreSQL database/)
    const onPostgres = await serve(postgres.url)
    const copied = { endpoint: onPostgres.endpoint, apiKey: source.apiKey }
    assert.deepEqual(await snapshot(copied), before)
    assert.equal((await call(copied, '/events/list', { since: '2000-01-01T00:00:00Z' }, readKey)).status, 200)
    assert.equal((await call(copied, '/events/list', { since: '2000-01-01T00:00:00Z' }, revokedKey)).status, 401)
    assert.equal((await listEveryEvent({ endpoint: onPostgres.endpoint, apiKey: second.apiKey })).events.length, 1)
    // The copy is a live installation: a publish goes on from there. With no worker on it, the
    // publish's outbox row waits (the API makes its delivery when deliveries are read).
    const [late] = await publish(onPostgres.endpoint, source.apiKey, [lockUnlocked()])
    const after = await snapshot(copied)
    assert.equal(after.events.length, 2004)
    assert.equal(after.deliveries.length, 3)

    // A target with workspaces is refused, and left as it was.
    const refused = await cli(['copy', '--from', source.databaseUrl, '--to', postgres.url]).catch((error: { code: number; stderr: string }) => error)
    assert.equal((refused as { code: number }).code, 1)
    assert.match((refused as { stderr: string }).stderr, /the target already has 2 workspaces/)

    // And back: PostgreSQL to a new SQLite file.
    const back = `sqlite:${join(directory, 'back.db')}`
    const backSummary = JSON.parse((await cli(['copy', '--from', postgres.url, '--to', back, '--json'])).stdout)
    assert.deepEqual([backSummary.pending_deliveries, backSummary.pending_fanouts], [3, 0])
    const onSqlite = await serve(back)
    const backTarget = { endpoint: onSqlite.endpoint, apiKey: source.apiKey }
    assert.deepEqual(await snapshot(backTarget), after)
    const { json } = await rawRequest(`${onSqlite.endpoint}/events/get?event_id=${JSON.parse(before.events[0] as string).event_id}`, { apiKey: readKey })
    assert.equal(JSON.stringify(json.event), before.events[0])
    // A worker on the copy sends the pending deliveries, that of the publish on PostgreSQL among them.
    const worker = startCommand(['worker', '--database', back], { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' })
    try {
      await waitForDeliveries(backTarget, webhook.webhook_id, (items) =>
        items.some((delivery) => delivery.event_id === late?.event_id && delivery.attempts.length > 0),
      )
    } finally {
      worker.process.kill('SIGTERM')
      assert.equal(await worker.exited, 0)
    }
  })
})
