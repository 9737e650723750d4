// Retention on every backend of the run: a workspace's setting hides older events from
// every read at once, and `seam-events retention` exports a day to NDJSON before removing it,
// on PostgreSQL by dropping the day's partition once every workspace is past it.

import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import pg from 'pg'

import { openStore } from '../src/store/open-store.ts'
import { pgMigrations } from '../src/store/postgres/pg-migrations.ts'
import { ageEvents, partitionExists } from './support/age-events.ts'
import { describeEachBackend, skipUnlessBackend } from './support/backends.ts'
import { cli, cliJson, startServe } from './support/cli-process.ts'
import { publish } from './support/http.ts'
import { createTestDatabase } from './support/postgres.ts'
import { newestSeamSdks, seamClient } from './support/seam-sdks.ts'
import { startTestServer, type TestServer } from './support/test-server.ts'
import { callOk, deviceConnected, waitForDeliveries } from './support/webhook-api.ts'
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.ts'

const dayMs = 24 * 60 * 60 * 1000
const sdk = newestSeamSdks.at(-1)!

function dayOf(json: string): string {
  return (JSON.parse(json) as { created_at: string }).created_at.slice(0, 10)
}

describeEachBackend('retention', (backend) => {
  let server: TestServer
  let exportDir: string
  let receiver: WebhookReceiver
  const since = () => new Date(Date.now() - 400 * dayMs).toISOString()
  const setRetention = (workspaceId: string, days: number) =>
    cliJson(['workspaces', 'update', '--workspace', workspaceId, '--retention-days', String(days), '--database', server.databaseUrl])

  before(async () => {
    server = await startTestServer({ backend })
    receiver = await startWebhookReceiver()
    exportDir = mkdtempSync(join(tmpdir(), 'seam-events-export-'))
  })
  after(async () => {
    await server.close()
    await receiver.close()
    rmSync(exportDir, { recursive: true, force: true })
  })

  it('hides events past the workspace retention from list and get at once, until it grows', async () => {
    const own = await server.createWorkspace('Hiding')
    const seam = seamClient(sdk, server.endpoint, own.apiKey)
    const [old1, old2] = await publish(server.endpoint, own.apiKey, [deviceConnected(), deviceConnected()])
    const [recent] = await publish(server.endpoint, own.apiKey, [deviceConnected()])
    const aged = await ageEvents(server, own.workspaceId, [old1!.event_id, old2!.event_id], 40)

    const listed = await seam.events.list({ since: since() })
    assert.deepEqual(listed.map((event: any) => event.event_id), [recent!.event_id])
    await assert.rejects(seam.events.get({ event_id: old1!.event_id }), (error: any) => error.code === 'event_not_found')

    const updated = await setRetention(own.workspaceId, 60)
    assert.equal(updated.event_retention_days, 60)
    const relisted = await seam.events.list({ since: since() })
    assert.deepEqual(relisted, [recent, JSON.parse(aged.get(old2!.event_id)!), JSON.parse(aged.get(old1!.event_id)!)])
    assert.equal((await seam.events.get({ event_id: old1!.event_id })).created_at, JSON.parse(aged.get(old1!.event_id)!).created_at)
  })

  it('exports each day past retention, then removes it; a day past every workspace goes whole', async () => {
    const short = await server.createWorkspace('Short retention')
    const long = await server.createWorkspace('Long retention')
    await setRetention(long.workspaceId, 90)
    const shortTarget = { endpoint: server.endpoint, apiKey: short.apiKey }
    const webhook = (await callOk(shortTarget, '/webhooks/create', { url: receiver.url })).webhook
    const [a1, a2] = await publish(server.endpoint, short.apiKey, [deviceConnected(), deviceConnected()])
    const [a3] = await publish(server.endpoint, short.apiKey, [deviceConnected()])
    const [a4] = await publish(server.endpoint, short.apiKey, [deviceConnected()])
    const [b1] = await publish(server.endpoint, long.apiKey, [deviceConnected()])
    const [b2] = await publish(server.endpoint, long.apiKey, [deviceConnected()])
    // 100 days: past both workspaces' retention. 40 days: past the short one's only.
    await waitForDeliveries(shortTarget, webhook.webhook_id, (deliveries) =>
      deliveries.length === 4 && deliveries.every((delivery) => delivery.status === 'succeeded'),
    )
    const veryOld = await ageEvents(server, short.workspaceId, [a1!.event_id, a2!.event_id], 100)
    const old = await ageEvents(server, short.workspaceId, [a3!.event_id], 40)
    const keptOld = await ageEvents(server, long.workspaceId, [b1!.event_id], 40)
    const veryOldDay = dayOf(veryOld.get(a1!.event_id)!)
    const oldDay = dayOf(old.get(a3!.event_id)!)
    const keptDay = dayOf(keptOld.get(b1!.event_id)!)

    const report = await cliJson(['retention', '--database', server.databaseUrl, '--export-dir', exportDir])
    assert.equal(report.ran, true)
    const removedVeryOld = report.removed_days.find((day: any) => day.day === veryOldDay)
    assert.equal(removedVeryOld.whole_day, true)
    assert.equal(removedVeryOld.events_removed, 2)
    assert.equal(removedVeryOld.events_exported, 2)
    const removedOld = report.removed_days.find((day: any) => day.day === oldDay)
    assert.equal(removedOld.whole_day, false)
    assert.ok(removedOld.workspace_ids.includes(short.workspaceId))
    assert.ok(!removedOld.workspace_ids.includes(long.workspaceId))
    assert.equal(removedOld.events_removed, 1)

    // The export holds each removed event exactly as events/list showed it, oldest first.
    const exportedLines = (day: string, workspaceId: string) =>
      readFileSync(join(exportDir, day, `${workspaceId}.ndjson`), 'utf8').split('\n').filter(Boolean)
    assert.deepEqual(exportedLines(veryOldDay, short.workspaceId), [veryOld.get(a1!.event_id), veryOld.get(a2!.event_id)])
    assert.deepEqual(exportedLines(oldDay, short.workspaceId), [old.get(a3!.event_id)])
    assert.ok(!readdirSync(join(exportDir, oldDay)).includes(`${long.workspaceId}.ndjson`))

    // The next pass visits the old day again (the long workspace keeps it) and finds the short
    // one's export there: nothing exported or removed, so no day to report.
    const again = await cliJson(['retention', '--database', server.databaseUrl, '--export-dir', exportDir])
    assert.equal(again.ran, true)
    assert.deepEqual(again.removed_days, [])

    // Removed for good: a longer retention now brings nothing back. The long one keeps its own.
    await setRetention(short.workspaceId, 365)
    const shortList = await seamClient(sdk, server.endpoint, short.apiKey).events.list({ since: since() })
    assert.deepEqual(shortList.map((event: any) => event.event_id), [a4!.event_id])
    const longList = await seamClient(sdk, server.endpoint, long.apiKey).events.list({ since: since() })
    assert.deepEqual(longList.map((event: any) => event.event_id), [b2!.event_id, b1!.event_id])

    // The removed events' delivery history goes with them; the kept event's stays.
    const deliveriesOfEvent = async (eventId: string) =>
      (await callOk(shortTarget, '/webhooks/deliveries/list', { event_id: eventId })).deliveries
    assert.deepEqual(await deliveriesOfEvent(a1!.event_id), [])
    assert.deepEqual(await deliveriesOfEvent(a3!.event_id), [])
    assert.equal((await deliveriesOfEvent(a4!.event_id)).length, 1)

    if (server.backend === 'postgres') {
      assert.equal(await partitionExists(server, veryOldDay), false, 'the whole day is dropped as a partition')
      assert.equal(await partitionExists(server, keptDay), true, 'a day some workspace keeps stays')
    }
  })

  it('recover re-sends only the events the workspace still keeps', async () => {
    const own = await server.createWorkspace('Recovering')
    const target = { endpoint: server.endpoint, apiKey: own.apiKey }
    const ownReceiver = await startWebhookReceiver()
    try {
      const webhook = (await callOk(target, '/webhooks/create', { url: ownReceiver.url })).webhook
      const [past, kept] = await publish(server.endpoint, own.apiKey, [deviceConnected(), deviceConnected()])
      await ownReceiver.waitFor((received) => received.length === 2)
      ownReceiver.received.length = 0
      // Past the default 30 days: hidden from every read, not yet removed by a pass.
      await ageEvents(server, own.workspaceId, [past!.event_id], 40)

      const { recovery } = await callOk(target, '/webhooks/recover', { webhook_id: webhook.webhook_id, since: since() })
      assert.equal(recovery.events_total, 1)
      let progress
      do {
        progress = (await callOk(target, '/webhooks/recoveries/get', { recovery_id: recovery.recovery_id })).recovery
      } while (progress.status !== 'completed' || progress.deliveries.pending > 0)
      assert.equal(progress.deliveries_queued, 1)
      assert.deepEqual(ownReceiver.eventIds(), [kept!.event_id])
    } finally {
      await ownReceiver.close()
    }
  })

  it('refuses a retention outside 1 to 3650 days, naming the option', async () => {
    for (const days of ['0', '3651', '2.5', 'week']) {
      await assert.rejects(
        cli(['workspaces', 'update', '--workspace', server.workspaceId, '--retention-days', days, '--database', server.databaseUrl]),
        (error: any) => error.code === 1 && /--retention-days must be a whole number of days from 1 to 3650/.test(error.stderr),
      )
    }
    const created = await cliJson(['workspaces', 'create', '--name', 'Weekly', '--retention-days', '7', '--database', server.databaseUrl])
    assert.equal(created.event_retention_days, 7)
    const listed = await cliJson(['workspaces', 'list', '--database', server.databaseUrl])
    const byId = new Map(listed.workspaces.map((workspace: any) => [workspace.workspace_id, workspace.event_retention_days]))
    assert.equal(byId.get(created.workspace_id), 7)
    assert.equal(byId.get(server.workspaceId), 30, 'the default is 30 days')
  })
})

// Single backend (sqlite): `serve` on a database file of its own.
describe('the retention pass in the background of `serve`', { skip: skipUnlessBackend('sqlite') }, () => {
  it('exports and removes what is past retention without an operator', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'seam-events-retention-job-'))
    const databaseUrl = `sqlite:${join(directory, 'events.db')}`
    const exportDir = join(directory, 'export')
    const workspace = await cliJson(['workspaces', 'create', '--name', 'Background', '--database', databaseUrl])
    let exitCode: number | null = null
    const server = await startServe(['--database', databaseUrl], {
      RETENTION_EXPORT_DIR: exportDir,
      RETENTION_INTERVAL_SECONDS: '3600',
      LOG_LEVEL: 'info',
    })
    try {
      const [event] = await publish(server.endpoint, workspace.token, [deviceConnected()])
      // The first pass runs 5 s after start: age the event before it.
      const aged = await ageEvents({ backend: 'sqlite', databaseUrl } as TestServer, workspace.workspace_id, [event!.event_id], 45)
      const removed = await server.waitForLog((line) => line['msg'] === 'retention exported and removed events')
      assert.equal(removed['events_removed'], 1)
      const file = join(exportDir, dayOf(aged.get(event!.event_id)!), `${workspace.workspace_id}.ndjson`)
      assert.equal(readFileSync(file, 'utf8'), `${aged.get(event!.event_id)}\n`)
    } finally {
      server.process.kill('SIGTERM')
      exitCode = await server.exited
      rmSync(directory, { recursive: true, force: true })
    }
    assert.equal(exitCode, 0)
  })
})

describe('retention of PostgreSQL day partitions', { skip: skipUnlessBackend('postgres') }, () => {
  let server: TestServer
  let client: pg.Client
  before(async () => {
    server = await startTestServer({ backend: 'postgres' })
    client = new pg.Client({ connectionString: server.databaseUrl })
    await client.connect()
  })
  after(async () => {
    await client.end()
    await server.close()
  })

  const partitionOf = (day: string) => `events_${day.replaceAll('-', '')}`

  it('drops a day while a publish holds its workspace, and leaves workspaces unlocked', async () => {
    const [event] = await publish(server.endpoint, server.apiKey, [deviceConnected()])
    const day = dayOf((await ageEvents(server, server.workspaceId, [event!.event_id], 100)).get(event!.event_id)!)
    // A publish in flight holds its workspace's row, as insertEvents does until it commits.
    const publishing = new pg.Client({ connectionString: server.databaseUrl })
    await publishing.connect()
    try {
      await publishing.query('BEGIN')
      await publishing.query('SELECT 1 FROM workspaces WHERE workspace_id = $1 FOR NO KEY UPDATE', [server.workspaceId])
      let settled = false
      const pass = cliJson(['retention', '--database', server.databaseUrl]).finally(() => {
        settled = true
      })
      // Until the pass is done, or something waits for a table: the tables waited for.
      const waitedFor = async (): Promise<string[]> => {
        while (!settled) {
          const { rows } = await client.query<{ name: string }>(
            `SELECT relation::regclass::text AS name FROM pg_locks
             WHERE locktype = 'relation' AND NOT granted
               AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
          )
          if (rows.length > 0) return rows.map((row) => row.name)
          await new Promise((resolve) => setTimeout(resolve, 10))
        }
        return []
      }
      const waited = await waitedFor()
      await publishing.query('COMMIT')
      const report = await pass
      assert.deepEqual(waited, [], 'the pass waited behind the publish')
      assert.equal(report.removed_days.find((removed: any) => removed.day === day).events_removed, 1)
      assert.equal(await partitionExists(server, day), false)
    } finally {
      await publishing.end()
    }
    // No day's table refers to workspaces, not even one made now: such a key, which ATTACH
    // copies from events, made ATTACH lock workspaces and DROP lock it exclusively.
    await server.store.retention.prepareEventDays([new Date(Date.now() - 200 * dayMs).toISOString().slice(0, 10)])
    const { rows: keys } = await client.query<{ name: string }>(
      `SELECT conrelid::regclass::text AS name FROM pg_constraint
       WHERE contype = 'f' AND confrelid = 'workspaces'::regclass AND conrelid::regclass::text LIKE 'events%'`,
    )
    assert.deepEqual(keys, [])
  })

  it('finds and drops a day left detached by a pass interrupted before its DROP', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'seam-events-export-'))
    try {
      const [event] = await publish(server.endpoint, server.apiKey, [deviceConnected()])
      const aged = await ageEvents(server, server.workspaceId, [event!.event_id], 120)
      const day = dayOf(aged.get(event!.event_id)!)
      await client.query(`ALTER TABLE events DETACH PARTITION ${partitionOf(day)} CONCURRENTLY`)
      assert.equal(await partitionExists(server, day), true, 'detached, the table is still there')

      const report = await cliJson(['retention', '--database', server.databaseUrl, '--export-dir', directory])
      const removed = report.removed_days.find((removedDay: any) => removedDay.day === day)
      assert.equal(removed.whole_day, true)
      assert.equal(removed.events_removed, 1)
      assert.equal(await partitionExists(server, day), false)
      // Read from the detached table itself, which events no longer shows, before the drop.
      assert.equal(readFileSync(join(directory, day, `${server.workspaceId}.ndjson`), 'utf8'), `${aged.get(event!.event_id)}\n`)
    } finally {
      rmSync(directory, { recursive: true, force: true })
    }
  })
})

describe('partitioning an existing PostgreSQL events table', { skip: skipUnlessBackend('postgres') }, () => {
  it('moves the events of a database made before partitioning into day partitions', async () => {
    const database = await createTestDatabase()
    const client = new pg.Client({ connectionString: database.url })
    await client.connect()
    const workspaceId = randomUUID()
    const today = new Date()
    const yesterday = new Date(today.getTime() - dayMs)
    const rows = [yesterday, today].map((createdAt, index) => {
      const event = {
        event_id: randomUUID(),
        event_type: 'device.connected',
        workspace_id: workspaceId,
        created_at: createdAt.toISOString(),
        occurred_at: createdAt.toISOString(),
        device_id: randomUUID(),
        connected_account_id: randomUUID(),
        seq: index + 1,
      }
      const { seq: _seq, ...json } = event
      return { ...event, json: JSON.stringify(json) }
    })
    try {
      // The schema as the first release made it, with two events in it.
      await client.query('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY)')
      await client.query(pgMigrations[0]!)
      await client.query('INSERT INTO schema_migrations (version) VALUES (1)')
      await client.query(`INSERT INTO workspaces (workspace_id, name, created_at) VALUES ($1, 'Before', $2)`, [
        workspaceId,
        yesterday.toISOString(),
      ])
      for (const row of rows) {
        await client.query(
          `INSERT INTO events (workspace_id, event_id, event_type, created_at, occurred_at, device_id, connected_account_id, json)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
          [workspaceId, row.event_id, row.event_type, row.created_at, row.occurred_at, row.device_id, row.connected_account_id, row.json],
        )
      }

      const store = await openStore(database.url)
      try {
        const page = await store.events.listEvents(workspaceId, { created_at_min: yesterday.toISOString(), offset: 0, limit: 10 })
        assert.equal(page.eventsJsonText, rows.map((row) => row.json).reverse().join(','))
        const { rows: partitions } = await client.query<{ name: string }>(
          `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
           WHERE i.inhparent = 'events'::regclass ORDER BY 1`,
        )
        const names = partitions.map((partition) => partition.name)
        for (const row of rows) assert.ok(names.includes(`events_${row.created_at.slice(0, 10).replaceAll('-', '')}`))

        // event_id stays unique across the move: publishing a moved id again returns the stored one.
        const [again] = await store.events.insertEvents(workspaceId, [
          { event_id: rows[0]!.event_id, event_type: 'device.connected', occurred_at: undefined, fields: {} },
        ])
        assert.equal(again!.json, rows[0]!.json)
        const [fresh] = await store.events.insertEvents(workspaceId, [
          { event_id: randomUUID(), event_type: 'device.connected', occurred_at: undefined, fields: {} },
        ])
        const newest = await store.events.listEvents(workspaceId, { created_at_min: yesterday.toISOString(), offset: 0, limit: 1 })
        assert.equal(newest.eventsJsonText, fresh!.json)
      } finally {
        await store.close()
      }
    } finally {
      await client.end()
      await database.drop()
    }
  })
})
