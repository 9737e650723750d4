// One-off measure of /events/histogram, outside the benchmark suite: a SQLite store seeded with
// EVENTS events (default 200,000) over 30 days beside a noise workspace of a tenth as many,
// then one histogram call over the 30 days through the real server, and a few more for the
// median; with the query plan SQLite chose. Run: node --import tsx bench/histogram-once.ts

import type { AddressInfo } from 'node:net'

import Database from 'better-sqlite3'
import { DummyDriver, Kysely, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler } from 'kysely'

import { resolveServerConfig } from '../src/config.ts'
import { buildServer } from '../src/http/server.ts'
import { createLogger } from '../src/logger.ts'
import { compileCountEventsByBucket } from '../src/store/event-list-sql.ts'
import { sqliteEventLayout } from '../src/store/sqlite/sqlite-dialect.ts'
import type { Tables } from '../src/store/schema.ts'
import { openStore } from '../src/store/open-store.ts'
import { createTargetGuard } from '../src/workers/start-delivery.ts'
import { createFleet } from './lib/fleet.ts'
import { createBenchDatabase, createWorkspace } from './lib/processes.ts'
import { seedEvents } from './lib/seed-events.ts'

const events = Number(process.env['EVENTS'] ?? 200_000)
const days = 30
const dayMs = 24 * 60 * 60 * 1000

const database = await createBenchDatabase('sqlite')
try {
  const workspace = await createWorkspace(database.url, 'Histogram')
  const noise = await createWorkspace(database.url, 'Noise')
  const seedStarted = performance.now()
  await seedEvents(database, { workspaceId: workspace.workspaceId, count: events, days, fleet: createFleet() })
  await seedEvents(database, { workspaceId: noise.workspaceId, count: events / 10, days, fleet: createFleet() })
  console.log(`seeded ${events + events / 10} events in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`)

  const store = await openStore(database.url)
  const logger = createLogger('silent')
  const config = resolveServerConfig({}, {})
  const targetGuard = createTargetGuard(config.delivery, logger)
  const app = buildServer({ store, logger, allowUnknownEventTypes: false, limits: config.limits, targetGuard })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const since = new Date(Date.now() - days * dayMs).toISOString()
  const call = async (query: string) => {
    const started = performance.now()
    const response = await fetch(`http://127.0.0.1:${port}/events/histogram?${query}`, {
      headers: { authorization: `Bearer ${workspace.apiKey}` },
    })
    const body = (await response.json()) as { histogram: { total_events: number; buckets: unknown[]; bucket_seconds: number } }
    return { ms: performance.now() - started, status: response.status, histogram: body.histogram }
  }
  for (const [label, query] of [
    ['30 days, default bucket', `since=${since}`],
    ['30 days, 1-hour buckets', `since=${since}&bucket_seconds=3600`],
    ['30 days, one event type', `since=${since}&event_type=lock.unlocked`],
  ] as const) {
    const first = await call(query)
    const times = [first.ms]
    for (let i = 0; i < 4; i++) times.push((await call(query)).ms)
    times.sort((a, b) => a - b)
    console.log(
      `${label}: status ${first.status}, ${first.histogram.total_events} events in ${first.histogram.buckets.length} buckets of ${first.histogram.bucket_seconds} s;` +
        ` first call ${first.ms.toFixed(0)} ms, median of 5 ${times[2]!.toFixed(0)} ms`,
    )
  }
  await app.close()
  await targetGuard.close()
  await store.close()

  // The plan of the same query, as the store compiles it.
  const builder = new Kysely<Tables>({
    dialect: {
      createAdapter: () => new SqliteAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new SqliteIntrospector(db),
      createQueryCompiler: () => new SqliteQueryCompiler(),
    },
  })
  const query = compileCountEventsByBucket(builder, workspace.workspaceId, { created_at_min: since }, 21_600, { layout: sqliteEventLayout, retainedFrom: () => [sqliteEventLayout.time(since)], createdAtBesideEventIds: 'events.created_at' })
  const db = new Database(database.url.slice('sqlite:'.length), { readonly: true })
  for (const row of db.prepare(`EXPLAIN QUERY PLAN ${query.sql}`).all(...(query.parameters as unknown[])) as { detail: string }[]) {
    console.log(`plan: ${row.detail}`)
  }
  db.close()
} finally {
  await database.drop()
}
