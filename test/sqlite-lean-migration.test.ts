// The upgrade to SQLite's lean event layout (migration 8, sqlite-event-layout.ts), on a database
// made by the release before it (test/fixtures/make-pre-lean-database.ts): the upgraded server
// answers every recorded request with the same bytes as the old release did, keeps its pending
// deliveries deliverable, and a migration cut off by a crash leaves the database as it was, to be
// run again whole.

import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { gunzipSync } from 'node:zlib'

import Database from 'better-sqlite3'

import { sqliteMigrations } from '../src/store/sqlite/sqlite-migrations.ts'
import { skipUnlessBackend } from './support/backends.ts'
import { cli, startCommand, startServe, type RunningServer } from './support/cli-process.ts'
import { call, callOk, fastDeliveryEnv } from './support/webhook-api.ts'
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.ts'

interface Expected {
  /** The old server's address, which next_page_url names. */
  endpoint: string
  workspaces: string[]
  webhook_id: string
  requests: { api_key: string; path: string; body: Record<string, unknown>; response: string }[]
}

const fixture = new URL('./fixtures/pre-lean-database/', import.meta.url).pathname
const expected = JSON.parse(gunzipSync(readFileSync(join(fixture, 'expected.json.gz'))).toString('utf8')) as Expected
const leanVersion = sqliteMigrations.length

/** The fixture's database, unpacked into a folder of its own. */
function unpackFixture(): { directory: string; path: string; url: string } {
  const directory = mkdtempSync(join(tmpdir(), 'seam-events-lean-'))
  const path = join(directory, 'events.db')
  writeFileSync(path, gunzipSync(readFileSync(join(fixture, 'events.db.gz'))))
  return { directory, path, url: `sqlite:${path}` }
}

/** A recorded answer as this server gives it: its next_page_url names this server. */
function answeredBy(response: string, endpoint: string): string {
  return response.replaceAll(`"next_page_url":"${expected.endpoint}/`, `"next_page_url":"${endpoint}/`)
}

function schemaVersion(path: string): number {
  const db = new Database(path, { readonly: true })
  try {
    return db.prepare('SELECT max(version) FROM schema_migrations').pluck().get() as number
  } finally {
    db.close()
  }
}

describe('upgrading a SQLite database to the lean event layout', { skip: skipUnlessBackend('sqlite') }, () => {
  const database = unpackFixture()
  let server: RunningServer
  let receiver: WebhookReceiver
  const keyA = expected.requests[0]!.api_key

  before(async () => {
    assert.equal(schemaVersion(database.path), 7, 'the fixture is a database of the release before the lean layout')
    receiver = await startWebhookReceiver()
    // No worker in the server: the fixture's pending deliveries fall due an hour after it was
    // made, and an attempt would change the deliveries list it recorded. The last test starts one.
    server = await startServe(['--database', database.url, '--no-worker'], fastDeliveryEnv)
  })
  after(async () => {
    server?.process.kill('SIGTERM')
    await server?.exited
    await receiver?.close()
    rmSync(database.directory, { recursive: true, force: true })
  })

  it('answers every request the old release answered, byte for byte', async () => {
    assert.equal(schemaVersion(database.path), leanVersion)
    for (const request of expected.requests) {
      const response = await call({ endpoint: server.endpoint, apiKey: request.api_key }, request.path, request.body)
      assert.equal(response.status, 200, `${request.path} ${JSON.stringify(request.body)}: ${response.text}`)
      assert.equal(response.text, answeredBy(request.response, server.endpoint), `${request.path} ${JSON.stringify(request.body)}`)
    }
  })

  it('stores the events leaner: integer workspace keys and times, 16-byte ids', () => {
    const db = new Database(database.path, { readonly: true })
    try {
      const columns = db.prepare('SELECT name, type FROM pragma_table_info(?)').all('events') as { name: string; type: string }[]
      const types = Object.fromEntries(columns.map(({ name, type }) => [name, type]))
      assert.equal(types['workspace_key'], 'INTEGER')
      assert.equal(types['created_at'], 'INTEGER')
      assert.equal(types['event_id'], 'BLOB')
      assert.equal(types['workspace_id'], undefined)
      const stored = db.prepare('SELECT typeof(event_id) AS id, length(event_id) AS bytes, typeof(created_at) AS time FROM events GROUP BY 1, 2, 3').all()
      assert.deepEqual(stored, [{ id: 'blob', bytes: 16, time: 'integer' }])
      const keys = db.prepare('SELECT count(DISTINCT workspace_key) FROM workspaces').pluck().get()
      assert.equal(keys, expected.workspaces.length)
    } finally {
      db.close()
    }
  })

  it('publishes on after the upgrade: a new event lists first, and a new workspace gets a key of its own', async () => {
    const target = { endpoint: server.endpoint, apiKey: keyA }
    const [published] = (await callOk(target, '/events/publish', { events: [{ event_type: 'device.connected', device_id: crypto.randomUUID(), connected_account_id: crypto.randomUUID() }] })).events
    const page = await callOk(target, '/events/list', { between: ['2000-01-01T00:00:00.000Z', '2100-01-01T00:00:00.000Z'], limit: 2 })
    assert.equal(page.events[0].event_id, published.event_id)
    const recorded = JSON.parse(expected.requests[0]!.response) as { events: unknown[] }
    assert.deepEqual(page.events[1], recorded.events[0])

    const { stdout } = await cli(['workspaces', 'create', '--name', 'After', '--json', '--database', database.url])
    const fresh = JSON.parse(stdout) as { token: string }
    const freshTarget = { endpoint: server.endpoint, apiKey: fresh.token }
    const empty = await callOk(freshTarget, '/events/list', { between: ['2000-01-01T00:00:00.000Z', '2100-01-01T00:00:00.000Z'] })
    assert.deepEqual(empty.events, [])
    const [own] = (await callOk(freshTarget, '/events/publish', { events: [{ event_type: 'device.connected', device_id: crypto.randomUUID(), connected_account_id: crypto.randomUUID() }] })).events
    const ownList = await callOk(freshTarget, '/events/list', { between: ['2000-01-01T00:00:00.000Z', '2100-01-01T00:00:00.000Z'] })
    assert.deepEqual(ownList.events.map((event: { event_id: string }) => event.event_id), [own.event_id])
  })

  it('delivers the deliveries the old release left pending, with their events as stored', async () => {
    const target = { endpoint: server.endpoint, apiKey: keyA }
    await callOk(target, '/webhooks/update', { webhook_id: expected.webhook_id, url: receiver.url })
    const { deliveries } = await callOk(target, '/webhooks/deliveries/list', { webhook_id: expected.webhook_id })
    assert.equal(deliveries.length, 3)
    for (const delivery of deliveries) await callOk(target, '/webhooks/deliveries/retry', { delivery_id: delivery.delivery_id })
    const worker = startCommand(['worker', '--database', database.url], fastDeliveryEnv)
    try {
      await receiver.waitFor((received) => received.length >= 3)
    } finally {
      worker.process.kill('SIGTERM')
      await worker.exited
    }
    const stored = await Promise.all(
      deliveries.map(async (delivery: { event_id: string }) => JSON.stringify((await callOk(target, '/events/get', { event_id: delivery.event_id })).event)),
    )
    assert.deepEqual(receiver.received.map((delivery) => delivery.body).sort(), stored.sort())
  })
})

describe('a lean-layout migration cut off by a crash', { skip: skipUnlessBackend('sqlite') }, () => {
  const database = unpackFixture()
  after(() => rmSync(database.directory, { recursive: true, force: true }))

  it('leaves the database as it was, and the next start migrates it whole, once', async () => {
    // A process that has done all of migration 8's work and dies before its commit.
    const script = `
      const Database = require('better-sqlite3')
      const db = new Database(process.argv[1])
      db.exec('BEGIN IMMEDIATE')
      db.exec(process.argv[2])
      process.kill(process.pid, 'SIGKILL')`
    const crashed = spawnSync(process.execPath, ['-e', script, database.path, sqliteMigrations[leanVersion - 1]!], { encoding: 'utf8' })
    assert.equal(crashed.signal, 'SIGKILL', crashed.stderr)
    assert.equal(schemaVersion(database.path), 7)

    const counts = () => {
      const db = new Database(database.path, { readonly: true })
      try {
        return db.prepare('SELECT count(*) AS events, max(seq) AS newest FROM events').get()
      } finally {
        db.close()
      }
    }
    const before = counts()
    await cli(['migrate', '--database', database.url])
    assert.equal(schemaVersion(database.path), leanVersion)
    assert.deepEqual(counts(), before)
    await cli(['migrate', '--database', database.url])
    assert.equal(schemaVersion(database.path), leanVersion)
    assert.deepEqual(counts(), before)

    const server = await startServe(['--database', database.url, '--no-worker'])
    try {
      const first = expected.requests[0]!
      const response = await call({ endpoint: server.endpoint, apiKey: first.api_key }, first.path, first.body)
      assert.equal(response.text, answeredBy(first.response, server.endpoint))
    } finally {
      server.process.kill('SIGTERM')
      await server.exited
    }
  })
})
