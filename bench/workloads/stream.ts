// The live event stream as its users hold it: S clients on GET /events/stream of one workspace
// while events are published at a steady pace. Figures per S: the time from sending a publish to
// each stream receiving the event (p50, p99 over every (event, stream) pair), whether every
// stream received every event exactly once, and the serving process's memory with the streams
// open. On PostgreSQL the streams are held on one API node and the publishes go through another,
// so every event crosses nodes by NOTIFY.
//
// The clients run in this process and read only each message's `id` (the position names the
// event), so that parsing JSON here does not become what is measured.

import { parseArgs } from 'node:util'

import { createParser } from 'eventsource-parser'

import { decodePageCursor } from '../../src/domain/page-cursor.ts'
import { stopTestPostgres } from '../../test/support/postgres.ts'
import { publishEventIds } from '../lib/api.ts'
import { createFleet, publishBodies } from '../lib/fleet.ts'
import { createBenchDatabase, createWorkspace, startServe, type Backend, type ServiceProcess } from '../lib/processes.ts'
import { formatTable, percentile, type BenchRow } from '../lib/report.ts'

export interface StreamWorkloadOptions {
  backend: Backend
  /** One run per entry, with this many streams open. */
  streamCounts: readonly number[]
  eventsPerSecond: number
  seconds: number
}

const publishIntervalMs = 100
/** How long the last events may take to reach every stream before they count as missing. */
const drainDeadlineMs = 30_000

interface StreamClient {
  /** event_id -> when this stream received it (performance.now()); repeats counted apart. */
  received: Map<string, number>
  repeats: number
  close(): void
}

export async function runStreamWorkload(options: StreamWorkloadOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = []
  for (const streamCount of options.streamCounts) rows.push(...(await measureStreams(options, streamCount)))
  return rows
}

async function measureStreams(options: StreamWorkloadOptions, streamCount: number): Promise<BenchRow[]> {
  const crossNode = options.backend === 'postgres'
  const workload = crossNode ? 'event stream (postgres, 2 API nodes)' : `event stream (${options.backend})`
  const database = await createBenchDatabase(options.backend)
  const processes: ServiceProcess[] = []
  const clients: StreamClient[] = []
  try {
    const { apiKey } = await createWorkspace(database.url, 'stream bench')
    const start = { databaseUrl: database.url, directory: database.directory }
    const streamNode = await startServe(start)
    processes.push(streamNode)
    const publishNode = crossNode ? await startServe(start) : streamNode
    if (crossNode) processes.push(publishNode)

    // Opened in groups, each stream ready (its start message in) before the publishing begins.
    for (let opened = 0; opened < streamCount; opened += 50) {
      const group = Math.min(50, streamCount - opened)
      clients.push(...(await Promise.all(Array.from({ length: group }, () => openClient(streamNode.endpoint, apiKey)))))
    }
    const idleRss = streamNode.memory().rssBytes

    const batchSize = Math.max(1, Math.round((options.eventsPerSecond * publishIntervalMs) / 1000))
    const batches = Math.round((options.seconds * 1000) / publishIntervalMs)
    const bodies = publishBodies(createFleet(), batches, batchSize)
    const sentAt = new Map<string, number>()
    const begun = performance.now()
    const publishes: Promise<void>[] = []
    for (const [index, body] of bodies.entries()) {
      const due = begun + index * publishIntervalMs
      const wait = due - performance.now()
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
      const sent = performance.now()
      publishes.push(
        publishEventIds({ endpoint: publishNode.endpoint, apiKey }, body).then((eventIds) => {
          for (const eventId of eventIds) sentAt.set(eventId, sent)
        }),
      )
    }
    await Promise.all(publishes)

    const drainUntil = performance.now() + drainDeadlineMs
    const everyoneHasAll = (): boolean => clients.every((client) => [...sentAt.keys()].every((id) => client.received.has(id)))
    while (!everyoneHasAll() && performance.now() < drainUntil) {
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    const peakRss = streamNode.memory().peakRssBytes

    const latencies: number[] = []
    let missing = 0
    for (const client of clients) {
      for (const [eventId, sent] of sentAt) {
        const receivedAt = client.received.get(eventId)
        if (receivedAt === undefined) missing++
        else latencies.push(receivedAt - sent)
      }
    }
    latencies.sort((a, b) => a - b)
    const repeats = clients.reduce((total, client) => total + client.repeats, 0)
    const measure = `${streamCount} stream${streamCount === 1 ? '' : 's'}, ${options.eventsPerSecond} events/s`
    const note = `${sentAt.size} events x ${streamCount} streams${crossNode ? ', published on the other node' : ''}`
    return [
      { workload, measure: `${measure}: publish to receipt, p50`, value: percentile(latencies, 0.5), unit: 'ms', note },
      { workload, measure: `${measure}: publish to receipt, p99`, value: percentile(latencies, 0.99), unit: 'ms', note },
      {
        workload,
        measure: `${measure}: events missed or repeated`,
        value: missing + repeats,
        unit: 'events',
        target: '<= 0',
        note: `${missing} missed, ${repeats} repeated`,
      },
      {
        workload,
        measure: `${measure}: RSS of the node holding the streams`,
        value: Math.round(peakRss / 2 ** 20),
        unit: 'MB',
        note: `${Math.round(idleRss / 2 ** 20)} MB with the streams open before publishing`,
      },
    ]
  } finally {
    for (const client of clients) client.close()
    for (const service of processes) await service.stop()
    await database.drop()
  }
}

/** Opens one stream and resolves once its start message has arrived. */
async function openClient(endpoint: string, apiKey: string): Promise<StreamClient> {
  const abort = new AbortController()
  const client: StreamClient = { received: new Map(), repeats: 0, close: () => abort.abort() }
  const response = await fetch(`${endpoint}/events/stream`, {
    headers: { authorization: `Bearer ${apiKey}` },
    signal: abort.signal,
  })
  if (response.status !== 200 || response.body === null) {
    throw new Error(`/events/stream answered ${response.status}: ${await response.text()}`)
  }
  let started: () => void = () => {}
  const startMessage = new Promise<void>((resolve) => {
    started = resolve
  })
  const parser = createParser({
    onEvent: (message) => {
      if (message.event === 'start') {
        started()
        return
      }
      const eventId = message.id === undefined ? undefined : decodePageCursor(message.id)?.event_id
      if (eventId === undefined) return
      if (client.received.has(eventId)) client.repeats++
      else client.received.set(eventId, performance.now())
    },
  })
  void (async () => {
    const decoder = new TextDecoder()
    try {
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) parser.feed(decoder.decode(chunk, { stream: true }))
    } catch {
      // Aborted by close().
    }
  })()
  await startMessage
  return client
}

// Alone: `node --import tsx bench/workloads/stream.ts [--backend postgres] [--streams 1,100,1000]
// [--events-per-second 50] [--seconds 5]`.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      backend: { type: 'string', default: 'sqlite' },
      streams: { type: 'string', default: '1,100,1000' },
      'events-per-second': { type: 'string', default: '50' },
      seconds: { type: 'string', default: '5' },
    },
  })
  try {
    const rows = await runStreamWorkload({
      backend: values.backend as Backend,
      streamCounts: values.streams.split(',').map(Number),
      eventsPerSecond: Number(values['events-per-second']),
      seconds: Number(values.seconds),
    })
    process.stdout.write(`${formatTable(rows)}\n`)
  } finally {
    await stopTestPostgres()
  }
}
