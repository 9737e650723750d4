// Query: events/list and events/get on a workspace of many events (1,000,000 by default)
// across 1,000 devices and 20 types over 30 days, beside other workspaces' events, through the
// real server. Also the footprint: start-up time and memory with that store, and its size.

import { createFleet } from '../lib/fleet.ts'
import { measureLatency, runLoad, runLoadOnEach, type LoadRequest } from '../lib/load.ts'
import {
  createBenchDatabase,
  createWorkspace,
  startServe,
  type Backend,
  type ServiceProcess,
} from '../lib/processes.ts'
import type { BenchRow } from '../lib/report.ts'
import { seedEvents } from '../lib/seed-events.ts'

export interface QueryOptions {
  backend: Backend
  /** Events in the measured workspace; each of 2 other workspaces holds a tenth as many. */
  events: number
  connections: number
  durationSeconds: number
  /** Also measures throughput through 2 `serve --no-worker` processes on the same database. */
  alsoScaled: boolean
  nodeArgs?: readonly string[]
}

const days = 30
const latencySamples = 2000
const hourMs = 60 * 60 * 1000

export async function runQueryWorkload(options: QueryOptions): Promise<BenchRow[]> {
  const workload = `query (${options.backend}, ${options.events.toLocaleString('en-US')} events)`
  const rows: BenchRow[] = []
  const database = await createBenchDatabase(options.backend)
  let server: ServiceProcess | undefined
  try {
    const fleet = createFleet()
    const workspace = await createWorkspace(database.url, 'Query')
    const eventIds: string[] = []
    const seedStarted = performance.now()
    await seedEvents(database, {
      workspaceId: workspace.workspaceId,
      count: options.events,
      days,
      fleet,
      keepEvent: (eventId) => eventIds.push(eventId),
    })
    for (const name of ['Noise A', 'Noise B']) {
      const noise = await createWorkspace(database.url, name)
      await seedEvents(database, { workspaceId: noise.workspaceId, count: Math.round(options.events / 10), days, fleet: createFleet() })
    }
    const seedSeconds = (performance.now() - seedStarted) / 1000
    const totalEvents = options.events * 1.2
    const sizeBytes = await database.sizeBytes()
    rows.push({
      workload,
      measure: 'database size per million events',
      value: sizeBytes / 2 ** 20 / (totalEvents / 1e6),
      unit: 'MB',
      note: `${(sizeBytes / 2 ** 20).toFixed(0)} MB for ${totalEvents.toLocaleString('en-US')} events (seeded in ${seedSeconds.toFixed(0)} s)`,
    })

    server = await startServe({ databaseUrl: database.url, directory: database.directory, nodeArgs: options.nodeArgs ?? [] })
    rows.push({ workload, measure: 'start-up, spawn to first /ready answer (database open)', value: server.startupMs, unit: 'ms', target: '< 1000' })
    // Let start-up garbage settle before calling it idle.
    await new Promise((resolve) => setTimeout(resolve, 2000))
    rows.push({ workload, measure: 'RSS at idle', value: server.memory().rssBytes / 2 ** 20, unit: 'MB' })

    const since = new Date(Date.now() - (days + 1) * 24 * hourMs).toISOString()
    const list = (body: Record<string, unknown>): LoadRequest => ({
      method: 'POST',
      path: '/events/list',
      body: JSON.stringify({ limit: 50, ...body }),
    })
    const windowStarts = Array.from({ length: 200 }, (_, index) => Date.now() - days * 24 * hourMs + index * 3.5 * hourMs)
    const deepCursors = await collectDeepCursors(server.endpoint, workspace.apiKey, since)
    const queries: [string, LoadRequest[]][] = [
      ['events/list since + device_id', fleet.devices.slice(0, 200).map((device) => list({ since, device_id: device.device_id }))],
      [
        'events/list since + event_types (2 types)',
        [['lock.locked', 'lock.unlocked'], ['device.connected', 'device.disconnected'], ['access_code.created', 'access_code.deleted']].map(
          (types) => list({ since, event_types: types }),
        ),
      ],
      [
        'events/list between (1 h windows)',
        windowStarts.map((start) => list({ between: [new Date(start).toISOString(), new Date(start + hourMs).toISOString()] })),
      ],
      ['events/list deep cursor page (pages 100-1000)', deepCursors.map((cursor) => list({ since, page_cursor: cursor }))],
      ['events/get by event_id', eventIds.slice(0, 500).map((eventId) => ({ method: 'POST', path: '/events/get', body: JSON.stringify({ event_id: eventId }) }))],
    ]
    for (const [measure, requests] of queries) {
      const result = await runLoad({
        endpoint: server.endpoint,
        apiKey: workspace.apiKey,
        requests,
        connections: options.connections,
        durationSeconds: options.durationSeconds,
      })
      if (result.failures > 0) throw new Error(`${measure}: ${result.failures} requests failed`)
      const latency = await measureLatency(server.endpoint, workspace.apiKey, requests, latencySamples)
      rows.push({
        workload,
        measure: `${measure}: throughput`,
        value: result.requestsPerSecond,
        unit: 'requests/s',
        note: `${options.connections} clients, limit 50; RSS after ${(server.memory().rssBytes / 2 ** 20).toFixed(0)} MB`,
      })
      rows.push({ workload, measure: `${measure}: p50`, value: latency.p50Ms, unit: 'ms', note: `${latencySamples} requests from 1 client` })
      rows.push({
        workload,
        measure: `${measure}: p99`,
        value: latency.p99Ms,
        unit: 'ms',
        target: '< 10',
        note: `under ${options.connections} clients: p99 ${result.p99Ms} ms (whole ms)`,
      })
    }
    rows.push({
      workload,
      measure: 'peak RSS under query load',
      value: server.memory().peakRssBytes / 2 ** 20,
      unit: 'MB',
      target: '< 200',
    })
    await server.stop()
    server = undefined

    if (options.alsoScaled) {
      const start = { databaseUrl: database.url, directory: database.directory, worker: false }
      const nodes = [await startServe(start), await startServe(start)]
      try {
        for (const [measure, requests] of queries) {
          const result = await runLoadOnEach(
            nodes.map((node) => node.endpoint),
            { apiKey: workspace.apiKey, requests, connections: options.connections, durationSeconds: options.durationSeconds },
          )
          if (result.failures > 0) throw new Error(`${measure}: ${result.failures} requests failed`)
          rows.push({
            workload: `${workload.slice(0, -1)}, 2 API)`,
            measure: `${measure}: throughput`,
            value: result.requestsPerSecond,
            unit: 'requests/s',
            note: `${options.connections} clients over 2 nodes; p99 ${result.p99Ms} ms (whole ms)`,
          })
        }
      } finally {
        for (const node of nodes) await node.stop()
      }
    }
  } finally {
    await server?.stop()
    await database.drop()
  }
  return rows
}

/** Cursors 100 to 1,000 pages deep into the whole workspace, newest first, every 50 pages. */
async function collectDeepCursors(endpoint: string, apiKey: string, since: string): Promise<string[]> {
  const cursors: string[] = []
  let cursor: string | undefined
  for (let page = 1; page <= 1000; page++) {
    const response = await fetch(`${endpoint}/events/list`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ since, limit: 50, ...(cursor === undefined ? {} : { page_cursor: cursor }) }),
    })
    const body = (await response.json()) as { pagination?: { next_page_cursor: string | null } }
    cursor = body.pagination?.next_page_cursor ?? undefined
    if (cursor === undefined) break
    if (page >= 100 && page % 50 === 0) cursors.push(cursor)
  }
  if (cursors.length === 0) throw new Error('query: no deep cursor (too few events?)')
  return cursors
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { formatTable } = await import('../lib/report.ts')
  const rows = await runQueryWorkload({
    backend: (process.argv[3] ?? 'sqlite') as 'sqlite' | 'postgres',
    events: Number(process.argv[2] ?? 100_000),
    connections: 4,
    durationSeconds: 3,
    alsoScaled: process.argv[3] === 'postgres',
  })
  const { stopTestPostgres } = await import('../../test/support/postgres.ts')
  await stopTestPostgres()
  process.stdout.write(`${formatTable(rows)}\n`)
}
