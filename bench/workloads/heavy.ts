// Heavy requests beside light ones: 8 clients send the heaviest reads the API allows (events/list
// with 1,000 event_ids, a page of 10,000 events, the histogram of the whole retention window,
// round-robin), while one client asks /health and another a 10-event list, one request after
// another. What the light clients see is what any other tenant sees while one tenant asks for a
// lot: on a server whose database work waits on one event loop, they wait for all of it.

import { Client } from 'undici'

import { createFleet } from '../lib/fleet.ts'
import { runLoad, type LoadRequest } from '../lib/load.ts'
import { createBenchDatabase, createWorkspace, startServe, type Backend } from '../lib/processes.ts'
import { percentile, type BenchRow } from '../lib/report.ts'
import { seedEvents } from '../lib/seed-events.ts'

export interface HeavyOptions {
  backend: Backend
  events: number
  heavyClients: number
  durationSeconds: number
  nodeArgs?: readonly string[]
  /** Settings of the server, e.g. SQLITE_READERS. */
  env?: Record<string, string>
}

const days = 30

export async function runHeavyWorkload(options: HeavyOptions): Promise<BenchRow[]> {
  const workload = `heavy requests (${options.backend}, ${options.events.toLocaleString('en-US')} events)`
  const database = await createBenchDatabase(options.backend)
  const rows: BenchRow[] = []
  try {
    const workspace = await createWorkspace(database.url, 'Heavy')
    const eventIds: string[] = []
    await seedEvents(database, {
      workspaceId: workspace.workspaceId,
      count: options.events,
      days,
      fleet: createFleet(),
      keepEvent: (eventId) => eventIds.push(eventId),
    })
    const server = await startServe({
      databaseUrl: database.url,
      directory: database.directory,
      worker: false,
      nodeArgs: options.nodeArgs ?? [],
      ...(options.env === undefined ? {} : { env: options.env }),
    })
    try {
      const since = new Date(Date.now() - days * 24 * 3600 * 1000).toISOString()
      // 1,000 ids spread over the whole window (the seed keeps every 997th).
      const ids = Array.from({ length: 1000 }, (_, i) => eventIds[i % eventIds.length] as string)
      const heavy: LoadRequest[] = [
        { method: 'POST', path: '/events/list', body: JSON.stringify({ since, event_ids: ids, limit: 1000 }) },
        { method: 'POST', path: '/events/list', body: JSON.stringify({ since, limit: 10_000 }) },
        { method: 'POST', path: '/events/histogram', body: JSON.stringify({ since }) },
      ]
      const light = {
        health: { method: 'GET', path: '/health' } as LoadRequest,
        list: { method: 'POST', path: '/events/list', body: JSON.stringify({ since, limit: 10 }) } as LoadRequest,
      }

      // Idle first, for the figures beside.
      const idle = {
        health: await timeRequests(server.endpoint, workspace.apiKey, light.health, { count: 200 }),
        list: await timeRequests(server.endpoint, workspace.apiKey, light.list, { count: 200 }),
      }
      let loaded = true
      const heavyRun = runLoad({
        endpoint: server.endpoint,
        apiKey: workspace.apiKey,
        requests: heavy,
        connections: options.heavyClients,
        durationSeconds: options.durationSeconds,
      }).finally(() => (loaded = false))
      // Let the heavy clients reach full load before timing.
      await new Promise((resolve) => setTimeout(resolve, 1000))
      const [health, list, heavyResult] = await Promise.all([
        timeRequests(server.endpoint, workspace.apiKey, light.health, { while: () => loaded }),
        timeRequests(server.endpoint, workspace.apiKey, light.list, { while: () => loaded }),
        heavyRun,
      ])
      const rssMb = server.memory().peakRssBytes / 2 ** 20
      const clients = `${options.heavyClients} clients sending heavy requests`
      rows.push(
        {
          workload,
          measure: `/health p95, ${clients}`,
          value: health.p95,
          unit: 'ms',
          target: '< 50',
          note: `p50 ${health.p50.toFixed(1)} ms, max ${health.max.toFixed(0)} ms, ${health.count} requests; idle p95 ${idle.health.p95.toFixed(1)} ms`,
        },
        {
          workload,
          measure: `10-event list p95, ${clients}`,
          value: list.p95,
          unit: 'ms',
          target: '< 100',
          note: `p50 ${list.p50.toFixed(1)} ms, max ${list.max.toFixed(0)} ms, ${list.count} requests; idle p95 ${idle.list.p95.toFixed(1)} ms`,
        },
        {
          workload,
          measure: `heavy requests answered (1,000 event_ids / 10,000-event page / 30-day histogram)`,
          value: heavyResult.requestsPerSecond,
          unit: 'requests/s',
          note: `p50 ${heavyResult.p50Ms} ms, p99 ${heavyResult.p99Ms} ms, ${heavyResult.failures} failed; peak RSS ${rssMb.toFixed(0)} MB`,
        },
      )
    } finally {
      await server.stop()
    }
  } finally {
    await database.drop()
  }
  return rows
}

interface Timings {
  p50: number
  p95: number
  max: number
  count: number
}

/** One request after another on one keep-alive connection, `count` of them or while told to. */
async function timeRequests(
  endpoint: string,
  apiKey: string,
  request: LoadRequest,
  until: { count: number } | { while: () => boolean },
): Promise<Timings> {
  const client = new Client(endpoint)
  const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }
  const samples: number[] = []
  try {
    while ('count' in until ? samples.length < until.count : until.while()) {
      const started = performance.now()
      const response = await client.request({ method: request.method, path: request.path, headers, body: request.body ?? null })
      await response.body.arrayBuffer()
      if (response.statusCode !== 200) throw new Error(`${request.path} answered ${response.statusCode}`)
      samples.push(performance.now() - started)
    }
  } finally {
    await client.close()
  }
  samples.sort((a, b) => a - b)
  return { p50: percentile(samples, 0.5), p95: percentile(samples, 0.95), max: samples.at(-1) ?? NaN, count: samples.length }
}
