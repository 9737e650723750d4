// Webhook delivery as operators run it: `seam-events serve` (and, scaled, `serve --no-worker`
// next to `seam-events worker`) delivering to a receiver on loopback that answers 200 at once,
// with the worker's default settings. Two figures:
// - throughput: a backlog published in batches of 100 to W webhooks, deliveries/s from the
//   first publish to the last receipt, every (event, webhook) pair checked to have arrived;
// - latency: one webhook, 1,000 events/s published at a steady pace, the time from sending
//   each publish to the event's first receipt.
// Each setup gets a fresh database and fresh processes, so one run's outbox cannot slow the next.

import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'

import { stopTestPostgres } from '../../test/support/postgres.ts'
import { postJson, publishEventIds } from '../lib/api.ts'
import { createFleet, publishBodies, type Fleet } from '../lib/fleet.ts'
import {
  createBenchDatabase,
  createWorkspace,
  startServe,
  startWorker,
  type Backend,
  type ServiceProcess,
} from '../lib/processes.ts'
import { sharedClockNow, startReceiverProcess, type Receipt, type ReceiverProcess } from '../lib/receiver-process.ts'
import { formatTable, percentile, type BenchRow } from '../lib/report.ts'

export type DeliveryTopology = 'single' | 'scaled'

export interface DeliveryWorkloadOptions {
  backend: Backend
  /** 'single': one `serve` with its worker inside. 'scaled': 2 `serve --no-worker` + 2 `worker`. */
  topology: DeliveryTopology
  /** One throughput run per entry, with this many webhooks. */
  webhookCounts: readonly number[]
  /**
   * Deliveries each throughput run aims at: it publishes backlogEvents / W events (in whole
   * batches), so that every W makes about the same number of deliveries (at least
   * minimumBacklogDeliveries).
   */
  backlogEvents: number
  /** How long the 1,000 events/s latency run publishes, after its warm-up second. */
  steadySeconds: number
  /** When set, every service process writes a .cpuprofile here on exit. */
  cpuProfileDirectory?: string
}

/** Below this, start-up and the last straggler weigh more than the rate being measured. */
const minimumBacklogDeliveries = 2000
const backlogBatchSize = 100
/** Two publishing clients, so that in the scaled topology both API processes are busy at once. */
const backlogPublishers = 2
const steadyEventsPerSecond = 1000
const steadyBatchSize = 10
const steadyIntervalMs = (1000 * steadyBatchSize) / steadyEventsPerSecond
/** Fresh processes compile their hot paths in the first second; those events are not counted. */
const steadyWarmUpSeconds = 1

export async function runDeliveryWorkload(options: DeliveryWorkloadOptions): Promise<BenchRow[]> {
  if (options.topology === 'scaled' && options.backend !== 'postgres') {
    // Several processes on one SQLite file would measure its write lock, not the design.
    throw new Error('the scaled topology runs on PostgreSQL only')
  }
  const workload =
    options.topology === 'scaled'
      ? `delivery (${options.backend}, 2 API + 2 workers)`
      : `delivery (${options.backend})`
  const fleet = createFleet()
  const receiver = await startReceiverProcess()
  const rows: BenchRow[] = []
  try {
    for (const webhookCount of options.webhookCounts) {
      rows.push(await withSetup(options, receiver, webhookCount, (setup) => measureBacklog(workload, setup, fleet, options)))
    }
    rows.push(...(await withSetup(options, receiver, 1, (setup) => measureSteadyLatency(workload, setup, fleet, options))))
  } finally {
    await receiver.stop()
  }
  return rows
}

interface Setup {
  receiver: ReceiverProcess
  apiKey: string
  /** Every API process's endpoint; publishes take turns over them. */
  apiEndpoints: readonly string[]
  /** The URL path of each webhook at the receiver, such as "/hook/3". */
  webhookPaths: readonly string[]
}

/** A fresh database, workspace, service processes and webhooks; all gone when `measure` is done. */
async function withSetup<T>(
  options: DeliveryWorkloadOptions,
  receiver: ReceiverProcess,
  webhookCount: number,
  measure: (setup: Setup) => Promise<T>,
): Promise<T> {
  const database = await createBenchDatabase(options.backend)
  const processes: ServiceProcess[] = []
  try {
    const { apiKey } = await createWorkspace(database.url, 'delivery bench')
    const start = {
      databaseUrl: database.url,
      directory: database.directory,
      // The backlog to 100 webhooks is past the default limit (MAX_WEBHOOKS_PER_WORKSPACE); the
      // limit is not what this workload measures.
      env: { MAX_WEBHOOKS_PER_WORKSPACE: String(Math.max(...options.webhookCounts)) },
      ...(options.cpuProfileDirectory === undefined
        ? {}
        : { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDirectory}`] }),
    }
    if (options.topology === 'single') {
      processes.push(await startServe(start))
    } else {
      for (let n = 0; n < 2; n++) processes.push(await startServe({ ...start, worker: false }))
      for (let n = 0; n < 2; n++) processes.push(await startWorker(start))
    }
    const apiEndpoints = processes.map((service) => service.endpoint).filter((endpoint) => endpoint !== '')
    const webhookPaths = Array.from({ length: webhookCount }, (_, n) => `/hook/${n + 1}`)
    for (const path of webhookPaths) {
      await postJson({ endpoint: apiEndpoints[0] as string, apiKey }, '/webhooks/create', JSON.stringify({ url: `${receiver.origin}${path}` }))
    }
    await receiver.reset()
    return await measure({ receiver, apiKey, apiEndpoints, webhookPaths })
  } finally {
    // Stopped one at a time: each waits for its in-flight deliveries, which need the others' database.
    for (const service of processes) await service.stop()
    await database.drop()
  }
}

async function measureBacklog(
  workload: string,
  setup: Setup,
  fleet: Fleet,
  options: DeliveryWorkloadOptions,
): Promise<BenchRow> {
  const webhookCount = setup.webhookPaths.length
  const targetDeliveries = Math.max(options.backlogEvents, minimumBacklogDeliveries)
  const batchCount = Math.ceil(targetDeliveries / webhookCount / backlogBatchSize)
  const eventCount = batchCount * backlogBatchSize
  const bodies = publishBodies(fleet, batchCount, backlogBatchSize)
  const deliveries = eventCount * webhookCount

  const eventIds: string[] = []
  let nextBody = 0
  const firstPublishAt = sharedClockNow()
  await Promise.all(
    Array.from({ length: backlogPublishers }, async () => {
      while (nextBody < bodies.length) {
        const body = nextBody++
        const endpoint = setup.apiEndpoints[body % setup.apiEndpoints.length] as string
        eventIds.push(...(await publishEventIds({ endpoint, apiKey: setup.apiKey }, bodies[body] as string)))
      }
    }),
  )
  const publishedAt = sharedClockNow()
  // Generous: at 100 deliveries/s a run would still finish; anything slower is broken, not slow.
  const counts = await setup.receiver.waitForUniqueDeliveries(deliveries, 60_000 + deliveries * 10)
  const receipts = await setup.receiver.firstReceipts()
  checkEveryPairArrived(receipts, eventIds, setup.webhookPaths)
  const lastReceiptAt = receipts.reduce((latest, receipt) => Math.max(latest, receipt.receivedAt), 0)
  const seconds = (lastReceiptAt - firstPublishAt) / 1000
  // Deliveries compete with the publishes for the same processes and database; the rate once
  // publishing is over tells a slow worker apart from a slow publish.
  const afterPublishing = receipts.filter((receipt) => receipt.receivedAt > publishedAt).length
  const drainRate = afterPublishing / ((lastReceiptAt - publishedAt) / 1000)
  return {
    workload,
    measure: `backlog to ${webhookCount} webhook${webhookCount === 1 ? '' : 's'}: ${eventCount.toLocaleString('en-US')} events, batches of ${backlogBatchSize}`,
    value: deliveries / seconds,
    unit: 'deliveries/s',
    target: '>= 5000',
    note:
      `${deliveries.toLocaleString('en-US')} deliveries in ${seconds.toFixed(1)} s from the first publish ` +
      `(publishing took ${((publishedAt - firstPublishAt) / 1000).toFixed(1)} s, then ` +
      `${afterPublishing.toLocaleString('en-US')} arrived at ${Math.round(drainRate).toLocaleString('en-US')}/s); ` +
      `${counts.duplicates} duplicates`,
  }
}

/** Every published event reached every webhook's path, and nothing else arrived. */
function checkEveryPairArrived(receipts: readonly Receipt[], eventIds: readonly string[], paths: readonly string[]): void {
  const published = new Set(eventIds)
  const knownPaths = new Set(paths)
  const perPath = new Map<string, number>()
  for (const receipt of receipts) {
    if (!published.has(receipt.event_id) || !knownPaths.has(receipt.path)) {
      throw new Error(`receiver got an unexpected delivery: ${receipt.path} ${receipt.event_id}`)
    }
    perPath.set(receipt.path, (perPath.get(receipt.path) ?? 0) + 1)
  }
  const short = paths.filter((path) => perPath.get(path) !== published.size)
  if (short.length > 0) {
    throw new Error(
      `webhooks missing deliveries: ${short.map((path) => `${path} got ${perPath.get(path) ?? 0}`).join(', ')} of ${published.size}`,
    )
  }
}

async function measureSteadyLatency(
  workload: string,
  setup: Setup,
  fleet: Fleet,
  options: DeliveryWorkloadOptions,
): Promise<BenchRow[]> {
  const warmUpBatches = (steadyWarmUpSeconds * 1000) / steadyIntervalMs
  const measuredBatches = Math.round((options.steadySeconds * 1000) / steadyIntervalMs)
  const bodies = publishBodies(fleet, warmUpBatches + measuredBatches, steadyBatchSize)

  // Publish send time of each measured event, by event_id, on the receiver's clock.
  const sentAtByEvent = new Map<string, number>()
  let measuredAnswered = 0
  let firstMeasuredSentAt = 0
  let lastMeasuredAnsweredAt = 0
  let mostBehindScheduleMs = 0
  const publishes: Promise<void>[] = []
  const started = performance.now()
  for (let batch = 0; batch < bodies.length; batch++) {
    // Each send is due at a fixed offset from the start, not from the previous send: a late
    // timer makes the next wait shorter, so the pace does not drift below 1,000/s. The
    // publishes are not awaited here: a slow answer must not hold back the next send.
    const dueAt = started + batch * steadyIntervalMs
    const waitMs = dueAt - performance.now()
    if (waitMs > 0) await sleep(waitMs)
    mostBehindScheduleMs = Math.max(mostBehindScheduleMs, performance.now() - dueAt)
    const measured = batch >= warmUpBatches
    const sentAt = sharedClockNow()
    if (batch === warmUpBatches) firstMeasuredSentAt = sentAt
    const endpoint = setup.apiEndpoints[batch % setup.apiEndpoints.length] as string
    publishes.push(
      publishEventIds({ endpoint, apiKey: setup.apiKey }, bodies[batch] as string).then((eventIds) => {
        if (!measured) return
        for (const eventId of eventIds) sentAtByEvent.set(eventId, sentAt)
        measuredAnswered += eventIds.length
        lastMeasuredAnsweredAt = Math.max(lastMeasuredAnsweredAt, sharedClockNow())
      }),
    )
  }
  await Promise.all(publishes)
  const totalEvents = bodies.length * steadyBatchSize
  await setup.receiver.waitForUniqueDeliveries(totalEvents, 60_000)

  const latencies: number[] = []
  for (const receipt of await setup.receiver.firstReceipts()) {
    const sentAt = sentAtByEvent.get(receipt.event_id)
    if (sentAt !== undefined) latencies.push(receipt.receivedAt - sentAt)
  }
  if (latencies.length !== measuredAnswered) {
    throw new Error(`${measuredAnswered - latencies.length} of ${measuredAnswered} measured events did not arrive`)
  }
  latencies.sort((a, b) => a - b)
  const measure = `publish to receipt, ${steadyEventsPerSecond.toLocaleString('en-US')} events/s for ${options.steadySeconds} s, 1 webhook`
  const note = `${latencies.length.toLocaleString('en-US')} events, batches of ${steadyBatchSize} every ${steadyIntervalMs} ms; max ${formatMs(latencies.at(-1) ?? NaN)}`
  return [
    { workload, measure: `${measure}, p50`, value: percentile(latencies, 0.5), unit: 'ms', target: '< 20', note },
    { workload, measure: `${measure}, p99`, value: percentile(latencies, 0.99), unit: 'ms', target: '< 100', note },
    {
      workload,
      measure: `publish pace achieved (${steadyEventsPerSecond.toLocaleString('en-US')} events/s asked)`,
      value: measuredAnswered / ((lastMeasuredAnsweredAt - firstMeasuredSentAt) / 1000),
      unit: 'events/s',
      note: `from the first measured send to the last answer; sends at most ${formatMs(mostBehindScheduleMs)} behind schedule`,
    },
  ]
}

function formatMs(milliseconds: number): string {
  return `${milliseconds.toFixed(1)} ms`
}

// Alone: `node --import tsx bench/workloads/delivery.ts [--backend postgres] [--topology scaled]
// [--webhooks 1,10,100] [--backlog 20000] [--steady-seconds 10] [--cpu-prof DIR]`.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      backend: { type: 'string', default: 'sqlite' },
      topology: { type: 'string', default: 'single' },
      webhooks: { type: 'string', default: '1,10' },
      backlog: { type: 'string', default: '5000' },
      'steady-seconds': { type: 'string', default: '5' },
      'cpu-prof': { type: 'string' },
    },
  })
  if (values.backend !== 'sqlite' && values.backend !== 'postgres') throw new Error('--backend is sqlite or postgres')
  if (values.topology !== 'single' && values.topology !== 'scaled') throw new Error('--topology is single or scaled')
  try {
    const rows = await runDeliveryWorkload({
      backend: values.backend,
      topology: values.topology,
      webhookCounts: values.webhooks.split(',').map(Number),
      backlogEvents: Number(values.backlog),
      steadySeconds: Number(values['steady-seconds']),
      ...(values['cpu-prof'] === undefined ? {} : { cpuProfileDirectory: values['cpu-prof'] }),
    })
    process.stdout.write(`${formatTable(rows)}\n`)
  } finally {
    await stopTestPostgres()
  }
}
