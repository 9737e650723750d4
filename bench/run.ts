// `npm run bench`: the benchmark suite of issue 5. Runs each workload against the real service
// (child processes on loopback), prints one table, and writes every figure with its target to
// bench/results.json (and as a Markdown table to bench/results.md). Ratios are measured side by side in the same run, since absolute figures
// drift on shared machines. See docs/benchmarks.md for the method.
//
//   npm run bench -- [--only ingest,query,heavy,fake,delivery,stream,trust] [--backends sqlite,postgres]
//                    [--events 1000000] [--heavy-events 200000] [--duration 5] [--clients 16] [--fake-sizes 10000,100000]
//                    [--delivery-events 20000] [--steady-seconds 10] [--streams 1,100,1000]
//                    [--stream-events-per-second 50] [--cpu-prof DIR]

import { writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { parseArgs } from 'node:util'

import { stopTestPostgres } from '../test/support/postgres.ts'
import type { Backend } from './lib/processes.ts'
import { formatMarkdown, formatTable, targetMet, type BenchRow } from './lib/report.ts'
import { runDeliveryWorkload } from './workloads/delivery.ts'
import { runFakeSeamWorkload } from './workloads/fake-seam.ts'
import { runHeavyWorkload } from './workloads/heavy.ts'
import { runIngestWorkload } from './workloads/ingest.ts'
import { runQueryWorkload } from './workloads/query.ts'
import { runStreamWorkload } from './workloads/stream.ts'
import { runTrustWorkload } from './workloads/trust.ts'

const workloadNames = ['ingest', 'query', 'heavy', 'fake', 'delivery', 'stream', 'trust'] as const

const { values } = parseArgs({
  options: {
    only: { type: 'string', default: workloadNames.join(',') },
    backends: { type: 'string', default: 'sqlite,postgres' },
    events: { type: 'string', default: '1000000' },
    'heavy-events': { type: 'string', default: '200000' },
    duration: { type: 'string', default: '5' },
    clients: { type: 'string', default: '16' },
    'fake-sizes': { type: 'string', default: '10000,100000' },
    'delivery-events': { type: 'string', default: '20000' },
    'steady-seconds': { type: 'string', default: '10' },
    streams: { type: 'string', default: '1,100,1000' },
    'stream-events-per-second': { type: 'string', default: '50' },
    'cpu-prof': { type: 'string' },
  },
})

const only = new Set(values.only.split(',').map((name) => name.trim()))
for (const name of only) {
  if (!(workloadNames as readonly string[]).includes(name)) {
    throw new Error(`--only takes ${workloadNames.join(', ')}; got "${name}"`)
  }
}
const backends = values.backends.split(',').map((name) => name.trim()) as Backend[]
for (const backend of backends) {
  if (backend !== 'sqlite' && backend !== 'postgres') throw new Error(`--backends takes sqlite, postgres; got "${backend}"`)
}
const positive = (name: string, value: string): number => {
  const number = Number(value)
  if (!Number.isFinite(number) || number <= 0) throw new Error(`--${name} must be a positive number; got "${value}"`)
  return number
}
const durationSeconds = positive('duration', values.duration)
const clients = positive('clients', values.clients)
const nodeArgs = values['cpu-prof'] === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`]

const rows: BenchRow[] = []
const started = performance.now()
const step = async (label: string, run: () => Promise<BenchRow[]>): Promise<void> => {
  process.stderr.write(`${label}...\n`)
  const stepStarted = performance.now()
  const produced = await run()
  rows.push(...produced)
  process.stderr.write(`${formatTable(produced)}\n(${((performance.now() - stepStarted) / 1000).toFixed(0)} s)\n\n`)
}

try {
  for (const backend of backends) {
    if (only.has('ingest')) {
      await step(`ingest, ${backend}`, () =>
        runIngestWorkload({ backend, topology: 'single', connections: clients, durationSeconds, nodeArgs }),
      )
      if (backend === 'postgres') {
        await step('ingest, postgres, 2 API + 2 workers', () =>
          runIngestWorkload({ backend, topology: 'scaled', connections: clients, durationSeconds, nodeArgs }),
        )
      }
    }
    if (only.has('query')) {
      await step(`query, ${backend}`, () =>
        runQueryWorkload({
          backend,
          events: positive('events', values.events),
          connections: 4,
          durationSeconds,
          alsoScaled: backend === 'postgres',
          nodeArgs,
        }),
      )
    }
    if (only.has('heavy')) {
      await step(`heavy requests, ${backend}`, () =>
        runHeavyWorkload({ backend, events: positive('heavy-events', values['heavy-events']), heavyClients: 8, durationSeconds: Math.max(durationSeconds, 10), nodeArgs }),
      )
    }
    if (only.has('delivery')) {
      const deliveryOptions = {
        backend,
        webhookCounts: [1, 10, 100],
        backlogEvents: positive('delivery-events', values['delivery-events']),
        steadySeconds: positive('steady-seconds', values['steady-seconds']),
        ...(values['cpu-prof'] === undefined ? {} : { cpuProfileDirectory: values['cpu-prof'] }),
      }
      await step(`delivery, ${backend}`, () => runDeliveryWorkload({ ...deliveryOptions, topology: 'single' }))
      if (backend === 'postgres') {
        await step('delivery, postgres, 2 API + 2 workers', () =>
          runDeliveryWorkload({ ...deliveryOptions, topology: 'scaled' }),
        )
      }
    }
    if (only.has('stream')) {
      await step(`event stream, ${backend}`, () =>
        runStreamWorkload({
          backend,
          streamCounts: values.streams.split(',').map((count) => positive('streams', count)),
          eventsPerSecond: positive('stream-events-per-second', values['stream-events-per-second']),
          seconds: durationSeconds,
        }),
      )
    }
    if (only.has('trust')) {
      await step(`trust, ${backend}`, () => runTrustWorkload({ backend }))
    }
  }
  if (only.has('fake')) {
    await step("side by side with Seam's fake", () =>
      runFakeSeamWorkload({
        sizes: values['fake-sizes'].split(',').map((size) => positive('fake-sizes', size)),
        durationSeconds,
        connections: 4,
      }),
    )
  }
} finally {
  await stopTestPostgres()
}

process.stdout.write(`${formatTable(rows)}\n`)
const missed = rows.filter((row) => targetMet(row) === false)
process.stdout.write(
  `\n${rows.length} figures in ${((performance.now() - started) / 60_000).toFixed(1)} min; ` +
    `${rows.filter((row) => row.target !== undefined).length - missed.length} targets met, ${missed.length} missed ` +
    '(docs/benchmarks.md says what bounds each).\n',
)
writeFileSync(new URL('./results.md', import.meta.url), `${formatMarkdown(rows)}\n`)
writeFileSync(
  new URL('./results.json', import.meta.url),
  `${JSON.stringify(
    {
      generated_at: new Date().toISOString(),
      machine: { cpus: cpus().length, cpu_model: cpus()[0]?.model, memory_bytes: totalmem(), node: process.version },
      options: values,
      rows: rows.map((row) => ({ ...row, target_met: targetMet(row) ?? null })),
    },
    null,
    2,
  )}\n`,
)
