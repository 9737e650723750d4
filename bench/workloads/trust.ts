// What one tenant or client can do to everyone else: a publish of 1,000 events into a workspace
// at the webhook limit (every event fanned out to 50 deliveries), measured by how long /health
// takes to answer meanwhile, beside the same publish with no webhook; and connections whose
// request body trickles in a byte a second, measured by when the server cuts them and by /health
// while they are open.

import { randomUUID } from 'node:crypto'
import net from 'node:net'

import { postJson } from '../lib/api.ts'
import { createBenchDatabase, createWorkspace, startServe, type Backend } from '../lib/processes.ts'
import { percentile, type BenchRow } from '../lib/report.ts'

export interface TrustWorkloadOptions {
  backend: Backend
  /** Slow connections held open at once; 0 leaves that part out. */
  slowConnections?: number
  /** Publishes timed per workspace, alternating between the two. */
  rounds?: number
}

const webhookLimit = 50
const eventsPerPublish = 1000

export async function runTrustWorkload({ backend, slowConnections = 500, rounds = 3 }: TrustWorkloadOptions): Promise<BenchRow[]> {
  const workload = `trust (${backend})`
  const database = await createBenchDatabase(backend)
  const fannedOut = await createWorkspace(database.url, 'At the webhook limit')
  const plain = await createWorkspace(database.url, 'No webhooks')
  // No worker: the figure is the publish itself, not the deliveries that follow it.
  const serve = await startServe({ databaseUrl: database.url, directory: database.directory, worker: false })
  const rows: BenchRow[] = []
  try {
    const target = { endpoint: serve.endpoint, apiKey: fannedOut.apiKey }
    for (let i = 0; i < webhookLimit; i += 1) {
      await postJson(target, '/webhooks/create', JSON.stringify({ url: `http://127.0.0.1:9/hook-${i}` }))
    }

    const timings = { fannedOut: [] as number[], plain: [] as number[] }
    const health = { fannedOut: [] as number[], plain: [] as number[] }
    for (let round = 0; round < rounds; round += 1) {
      for (const [name, workspace] of [['fannedOut', fannedOut], ['plain', plain]] as const) {
        const measured = await publishWhilePollingHealth(serve.endpoint, workspace.apiKey)
        timings[name].push(measured.publishMs)
        health[name].push(...measured.healthMs)
      }
    }
    const median = (values: number[]) => percentile([...values].sort((a, b) => a - b), 0.5)
    const worst = (values: number[]) => Math.max(...values)
    rows.push(
      {
        workload,
        measure: `publish of ${eventsPerPublish} events, workspace with ${webhookLimit} webhooks (median of ${rounds})`,
        value: Math.round(median(timings.fannedOut)),
        unit: 'ms',
        note: `${(median(timings.fannedOut) / median(timings.plain)).toFixed(1)}x the same publish with no webhook (${Math.round(median(timings.plain))} ms); ${eventsPerPublish * webhookLimit} deliveries owed each`,
      },
      {
        workload,
        measure: `publish of ${eventsPerPublish} events, workspace with no webhook (median of ${rounds})`,
        value: Math.round(median(timings.plain)),
        unit: 'ms',
      },
      {
        workload,
        measure: `/health during that publish, slowest answer`,
        value: Math.round(worst(health.fannedOut)),
        unit: 'ms',
        target: '< 1000',
        note: `${health.fannedOut.length} polls, p50 ${percentile([...health.fannedOut].sort((a, b) => a - b), 0.5).toFixed(1)} ms; with no webhook the slowest was ${Math.round(worst(health.plain))} ms`,
      },
    )

    if (slowConnections === 0) return rows
    const slow = await holdSlowBodies(serve.endpoint, slowConnections)
    rows.push(
      {
        workload,
        measure: `${slowConnections} request bodies sent a byte a second, no key: cut after`,
        value: Math.round(slow.cutAfterMs.median / 100) / 10,
        unit: 's',
        note: `REQUEST_TIMEOUT_SECONDS=30; the last cut after ${(slow.cutAfterMs.max / 1000).toFixed(1)} s, each answered ${slow.statuses}`,
      },
      {
        workload,
        measure: `/health while they were open, slowest answer`,
        value: Math.round(slow.healthMs.max * 10) / 10,
        unit: 'ms',
        note: `${slow.healthMs.count} polls, p50 ${slow.healthMs.median.toFixed(1)} ms`,
      },
    )
  } finally {
    await serve.stop()
    await database.drop()
  }
  return rows
}

/** One publish of 1,000 events, with /health asked every 5 ms from here until it is answered. */
async function publishWhilePollingHealth(endpoint: string, apiKey: string): Promise<{ publishMs: number; healthMs: number[] }> {
  const events = Array.from({ length: eventsPerPublish }, () => ({
    event_type: 'lock.unlocked',
    device_id: randomUUID(),
    connected_account_id: randomUUID(),
    method: 'keycode',
  }))
  const body = JSON.stringify({ events })
  let publishing = true
  const healthMs: number[] = []
  const poller = (async () => {
    while (publishing) {
      const started = performance.now()
      const response = await fetch(`${endpoint}/health`)
      await response.text()
      healthMs.push(performance.now() - started)
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  })()
  const started = performance.now()
  await postJson({ endpoint, apiKey }, '/events/publish', body)
  const publishMs = performance.now() - started
  publishing = false
  await poller
  return { publishMs, healthMs }
}

interface SlowBodies {
  cutAfterMs: { median: number; max: number }
  statuses: string
  healthMs: { median: number; max: number; count: number }
}

/** Opens `count` POSTs whose bodies arrive a byte a second, and waits for the server to cut each. */
async function holdSlowBodies(endpoint: string, count: number): Promise<SlowBodies> {
  const port = Number(new URL(endpoint).port)
  const statuses = new Map<string, number>()
  const cuts: Promise<number>[] = []
  for (let i = 0; i < count; i += 1) {
    cuts.push(
      new Promise((resolve) => {
        const socket = net.connect(port, '127.0.0.1')
        const opened = performance.now()
        let received = ''
        let timer: NodeJS.Timeout | undefined
        socket.setEncoding('utf8')
        socket.on('data', (chunk) => (received += chunk))
        socket.on('error', () => {})
        socket.on('close', () => {
          clearInterval(timer)
          const status = /^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? 'none'
          statuses.set(status, (statuses.get(status) ?? 0) + 1)
          resolve(performance.now() - opened)
        })
        socket.write(
          'POST /events/publish HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n',
        )
        timer = setInterval(() => socket.write('{'), 1000)
      }),
    )
  }
  let open = true
  const healthMs: number[] = []
  const poller = (async () => {
    while (open) {
      const started = performance.now()
      await (await fetch(`${endpoint}/health`)).text()
      healthMs.push(performance.now() - started)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  })()
  const cutAfter = (await Promise.all(cuts)).sort((a, b) => a - b)
  open = false
  await poller
  const sortedHealth = healthMs.sort((a, b) => a - b)
  return {
    cutAfterMs: { median: percentile(cutAfter, 0.5), max: cutAfter.at(-1) ?? NaN },
    statuses: [...statuses].map(([status, n]) => `${status} x${n}`).join(', '),
    healthMs: { median: percentile(sortedHealth, 0.5), max: sortedHealth.at(-1) ?? NaN, count: sortedHealth.length },
  }
}
