// Runs workloads of `npm run bench` against two builds, alternating, so that a change's before
// and after are measured in one run on one (shared, drifting) machine:
//
//   node --import tsx bench/compare-builds.ts --before ../old-checkout/bin/seam-events.js \
//     [--rounds 2] [--only ingest,query,heavy,delivery,scaled,trust,stream] [--backends sqlite,postgres]
//     [--events 200000] [--steady-seconds 30]
//
// The older checkout must be built (`npm run build` there). Prints each figure with both builds'
// values per round and the ratio of the medians (after / before).

import { parseArgs } from 'node:util'

import { stopTestPostgres } from '../test/support/postgres.ts'
import type { Backend } from './lib/processes.ts'
import type { BenchRow } from './lib/report.ts'
import { runDeliveryWorkload } from './workloads/delivery.ts'
import { runHeavyWorkload } from './workloads/heavy.ts'
import { runIngestWorkload } from './workloads/ingest.ts'
import { runQueryWorkload } from './workloads/query.ts'
import { runStreamWorkload } from './workloads/stream.ts'
import { runTrustWorkload } from './workloads/trust.ts'

const { values } = parseArgs({
  options: {
    before: { type: 'string' },
    rounds: { type: 'string', default: '2' },
    only: { type: 'string', default: 'ingest,query,delivery,stream' },
    backends: { type: 'string', default: 'sqlite,postgres' },
    events: { type: 'string', default: '200000' },
    'steady-seconds': { type: 'string', default: '30' },
  },
})
if (values.before === undefined) throw new Error('--before <path to an older build\'s bin/seam-events.js> is required')
const builds = { before: values.before, after: new URL('../bin/seam-events.js', import.meta.url).pathname }
const only = new Set(values.only.split(','))
const backends = values.backends.split(',') as Backend[]

const workloads: [string, (backend: Backend) => Promise<BenchRow[]>][] = []
if (only.has('ingest')) workloads.push(['ingest', (backend) => runIngestWorkload({ backend, topology: 'single', connections: 16, durationSeconds: 5 })])
if (only.has('query')) {
  workloads.push(['query', (backend) => runQueryWorkload({ backend, events: Number(values.events), connections: 4, durationSeconds: 5, alsoScaled: false })])
}
if (only.has('heavy')) workloads.push(['heavy', (backend) => runHeavyWorkload({ backend, events: 200_000, heavyClients: 8, durationSeconds: 10 })])
if (only.has('delivery')) {
  workloads.push(['delivery', (backend) => runDeliveryWorkload({ backend, topology: 'single', webhookCounts: [1, 10], backlogEvents: 20_000, steadySeconds: Number(values['steady-seconds']) })])
}
if (only.has('scaled')) {
  // 2 API + 2 worker processes: PostgreSQL only (several processes on one SQLite file measure its lock).
  workloads.push([
    'scaled',
    async (backend) =>
      backend === 'postgres'
        ? await runDeliveryWorkload({ backend, topology: 'scaled', webhookCounts: [1], backlogEvents: 20_000, steadySeconds: Number(values['steady-seconds']) })
        : [],
  ])
}
// The publish at the webhook limit beside the same publish with no webhook (not the slow bodies).
if (only.has('trust')) workloads.push(['trust', (backend) => runTrustWorkload({ backend, slowConnections: 0 })])
if (only.has('stream')) workloads.push(['stream', (backend) => runStreamWorkload({ backend, streamCounts: [100], eventsPerSecond: 50, seconds: 5 })])

const results = new Map<string, { before: number[]; after: number[]; unit: string }>()
try {
  for (let round = 1; round <= Number(values.rounds); round += 1) {
    for (const backend of backends) {
      for (const [name, run] of workloads) {
        // Alternate which build goes first, so that neither always meets a warmer machine.
        const order = round % 2 === 1 ? (['before', 'after'] as const) : (['after', 'before'] as const)
        for (const build of order) {
          process.env['SEAM_EVENTS_BIN'] = builds[build]
          process.stderr.write(`round ${round}: ${name} (${backend}), ${build}...\n`)
          for (const row of await run(backend)) {
            const key = `${row.workload} | ${row.measure}`
            const entry = results.get(key) ?? { before: [], after: [], unit: row.unit }
            entry[build].push(row.value)
            results.set(key, entry)
          }
        }
      }
    }
  }
} finally {
  delete process.env['SEAM_EVENTS_BIN']
  await stopTestPostgres()
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)] ?? NaN
const format = (value: number) => (Math.abs(value) >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1))
process.stdout.write('| figure | before | after | after / before |\n| --- | --- | --- | --- |\n')
for (const [key, { before, after, unit }] of results) {
  const ratio = median(after) / median(before)
  process.stdout.write(`| ${key} | ${before.map(format).join(', ')} ${unit} | ${after.map(format).join(', ')} ${unit} | ${ratio.toFixed(2)} |\n`)
}
