// Ingest: events/s through POST /events/publish, in batches of 100 and one event at a time,
// from several keep-alive clients, beside two ceilings measured in the same run: the stored
// rows inserted again straight into a fresh database of the same schema (no HTTP), and a bare
// Fastify route that only parses the same bodies.

import { spawn } from 'node:child_process'
import { once } from 'node:events'

import { insertDirectly, readStoredRows } from '../ceilings/direct-insert.ts'
import { createFleet, publishBodies } from '../lib/fleet.ts'
import { runLoadOnEach, type LoadResult } from '../lib/load.ts'
import {
  createBenchDatabase,
  createWorkspace,
  startServe,
  startWorker,
  type Backend,
  type ServiceProcess,
} from '../lib/processes.ts'
import type { BenchRow } from '../lib/report.ts'

export interface IngestOptions {
  backend: Backend
  /** 'scaled': 2 `serve --no-worker` and 2 `worker` processes, publishes spread over both. */
  topology: 'single' | 'scaled'
  connections: number
  durationSeconds: number
  nodeArgs?: readonly string[]
}

/** Distinct bodies cycled by the clients; events get their ids from the server, so repeats are new events. */
const bodyCount = 200

export async function runIngestWorkload(options: IngestOptions): Promise<BenchRow[]> {
  const workload =
    options.topology === 'scaled' ? `ingest (${options.backend}, 2 API + 2 workers)` : `ingest (${options.backend})`
  const fleet = createFleet()
  const rows: BenchRow[] = []
  const ours = new Map<number, number>()

  const database = await createBenchDatabase(options.backend)
  const processes: ServiceProcess[] = []
  try {
    const workspace = await createWorkspace(database.url, 'Ingest')
    const start = { databaseUrl: database.url, directory: database.directory, nodeArgs: options.nodeArgs ?? [] }
    if (options.topology === 'scaled') {
      processes.push(await startServe({ ...start, worker: false }), await startServe({ ...start, worker: false }))
      processes.push(await startWorker(start), await startWorker(start))
    } else {
      processes.push(await startServe(start))
    }
    const endpoints = processes.map((process) => process.endpoint).filter(Boolean)

    for (const batchSize of [100, 1]) {
      const bodies = publishBodies(fleet, bodyCount, batchSize)
      const result = await loadSpread(endpoints, workspace.apiKey, options, bodies)
      const eventsPerSecond = result.requestsPerSecond * batchSize
      ours.set(batchSize, eventsPerSecond)
      rows.push({
        workload,
        measure: `publish, ${batchSize === 1 ? 'single events' : `batches of ${batchSize}`}, ${options.connections} clients`,
        value: eventsPerSecond,
        unit: 'events/s',
        ...(options.backend === 'sqlite' && options.topology === 'single'
          ? { target: batchSize === 1 ? '>= 10000' : '>= 50000' }
          : {}),
        note: `latency p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms`,
      })
    }
    const memory = Math.max(...processes.map((process) => process.memory().peakRssBytes))
    rows.push({ workload, measure: 'peak RSS of a serve process under ingest', value: memory / 2 ** 20, unit: 'MB' })
  } finally {
    for (const process of processes) await process.stop()
  }

  // Ceiling 1: the rows just stored, inserted again by the driver into a fresh database.
  const stored = await readStoredRows(database, 50_000)
  await database.drop()
  for (const transactionSize of [100, 1]) {
    const fresh = await createBenchDatabase(options.backend)
    try {
      const { workspaceId } = await createWorkspace(fresh.url, 'Ceiling')
      // Single-row transactions are slow: fewer rows keep the run short.
      const sample = transactionSize === 1 ? stored.slice(0, 5_000) : stored
      const ceiling = await insertDirectly(fresh, workspaceId, sample, transactionSize)
      const ourFigure = ours.get(transactionSize) as number
      rows.push({
        workload,
        measure: `ceiling: stored rows inserted directly, ${transactionSize === 1 ? '1 row' : `${transactionSize} rows`} a transaction`,
        value: ceiling,
        unit: 'rows/s',
        note: `publish reaches ${(ourFigure / ceiling).toFixed(2)} of it`,
      })
      if (transactionSize === 100) {
        const bare = await createBenchDatabase(options.backend)
        try {
          const { workspaceId: bareWorkspaceId } = await createWorkspace(bare.url, 'Ceiling, no index')
          const tableOnly = await insertDirectly(bare, bareWorkspaceId, sample, transactionSize, { withoutSecondaryIndexes: true })
          rows.push({
            workload,
            measure: 'ceiling: the same rows into the table with no secondary index, 100 rows a transaction',
            value: tableOnly,
            unit: 'rows/s',
            note: `the indexes take ${((1 - ceiling / tableOnly) * 100).toFixed(0)}% of the insert time; publish reaches ${(ourFigure / tableOnly).toFixed(2)} of it`,
          })
        } finally {
          await bare.drop()
        }
        rows.push({
          workload,
          measure: 'publish (batches of 100) / direct insert',
          value: ourFigure / ceiling,
          unit: 'x',
          ...(options.backend === 'sqlite' && options.topology === 'single' ? { target: '>= 0.5' } : {}),
        })
      }
    } finally {
      await fresh.drop()
    }
  }

  // Ceiling 2: the same bodies to a route that parses them and does nothing else.
  const bare = await startBareFastify()
  try {
    for (const batchSize of [100, 1]) {
      const bodies = publishBodies(fleet, bodyCount, batchSize)
      const result = await loadSpread([bare.endpoint], 'none', options, bodies)
      const ourFigure = ours.get(batchSize) as number
      rows.push({
        workload,
        measure: `ceiling: bare Fastify parsing the same bodies, ${batchSize === 1 ? 'single events' : `batches of ${batchSize}`}`,
        value: result.requestsPerSecond * batchSize,
        unit: 'events/s',
        note: `publish reaches ${(ourFigure / (result.requestsPerSecond * batchSize)).toFixed(2)} of it`,
      })
    }
  } finally {
    await bare.stop()
  }
  return rows
}

async function loadSpread(
  endpoints: readonly string[],
  apiKey: string,
  options: IngestOptions,
  bodies: readonly string[],
): Promise<LoadResult> {
  const result = await runLoadOnEach(endpoints, {
    apiKey,
    requests: bodies.map((body) => ({ method: 'POST', path: '/events/publish', body })),
    connections: options.connections,
    durationSeconds: options.durationSeconds,
  })
  if (result.failures > 0) throw new Error(`ingest: ${result.failures} publishes failed`)
  return result
}

async function startBareFastify(): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const script = new URL('../ceilings/bare-fastify.ts', import.meta.url).pathname
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] })
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer]
  child.stdout.resume()
  return {
    endpoint: `http://127.0.0.1:${chunk.toString().trim()}`,
    async stop() {
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      await exited
    },
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { formatTable } = await import('../lib/report.ts')
  const rows = await runIngestWorkload({ backend: 'sqlite', topology: 'single', connections: 16, durationSeconds: 5 })
  process.stdout.write(`${formatTable(rows)}\n`)
}
