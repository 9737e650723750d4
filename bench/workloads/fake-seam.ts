// Side by side with Seam's own fake (@seamapi/fake-seam-connect): the same events/list requests
// against `seam-events serve` on SQLite and against the fake, both holding the same events.
// The fake keeps its events in one array and filters all of it on every request; the figure
// that matters is how far ahead we stay as the store grows (issue 5: 50x at 10,000 events,
// 500x at 100,000).
// Both are seeded with the very same events: published to ours over HTTP, then copied as stored
// (ids, created_at, occurred_at, every field) into the fake. Before timing, every request of
// the load is checked to find the same events on both, so both are doing the same work.
// Device events only: the fake lets an event without the filtered field (device_id here)
// through every filter, and ours does not, so any other event would make the answers differ.

import type { Server } from 'node:http'
import { parseArgs } from 'node:util'

import { createFake } from '@seamapi/fake-seam-connect'

import { freePort } from '../../test/support/webhook-receiver.ts'
import { postJson, type ApiTarget } from '../lib/api.ts'
import { createFleet, fleetEventTypes, publishBodies } from '../lib/fleet.ts'
import { runLoad, type LoadRequest, type LoadResult } from '../lib/load.ts'
import { createBenchDatabase, createWorkspace, startServe, type ServiceProcess } from '../lib/processes.ts'
import { formatTable, type BenchRow } from '../lib/report.ts'

export interface FakeSeamWorkloadOptions {
  /** Events in the store, each a multiple of the publish batch. */
  sizes: readonly number[]
  durationSeconds: number
  connections: number
}

const workload = 'vs Seam fake (sqlite)'
const publishBatchSize = 1000
/** Sent to both; the fake ignores it and answers every match (see the fake's rows). */
const pageLimit = 50
const warmUpSeconds = 1
/** Distinct values per request kind (devices, type pairs, windows), cycled by the load. */
const variantsPerRequest = 10

/** Our throughput over the fake's, as issue 17 asks it (issue 5 asked 50x at 10,000); other sizes are reported without one. */
const ratioTargets: Readonly<Record<number, string>> = { 10_000: '>= 80', 100_000: '>= 500' }

/** An event as our publish answers it: the wire form, with the fields the server set. */
interface StoredEvent {
  event_id: string
  event_type: string
  workspace_id: string
  created_at: string
  occurred_at: string
  event_description: string
  device_id: string
  [field: string]: unknown
}

/** One kind of events/list request, in several variants that the load cycles through. */
interface ListRequestSet {
  label: string
  /** Request bodies, `limit` included. */
  variants: readonly Record<string, unknown>[]
}

interface FakeService extends ApiTarget {
  stop(): Promise<void>
}

export async function runFakeSeamWorkload(options: FakeSeamWorkloadOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = []
  for (const size of options.sizes) rows.push(...(await compareAtSize(size, options)))
  return rows
}

async function compareAtSize(size: number, options: FakeSeamWorkloadOptions): Promise<BenchRow[]> {
  if (size <= 0 || size % publishBatchSize !== 0) {
    throw new Error(`fake-seam: a size is a positive multiple of ${publishBatchSize}; got ${size}`)
  }
  const database = await createBenchDatabase('sqlite')
  let serve: ServiceProcess | undefined
  let fake: FakeService | undefined
  try {
    const workspace = await createWorkspace(database.url, 'fake-seam bench')
    serve = await startServe({ databaseUrl: database.url, directory: database.directory })
    const ours: ApiTarget = { endpoint: serve.endpoint, apiKey: workspace.apiKey }

    const fleet = createFleet()
    const stored = await publishEvents(ours, publishBodies(fleet, size / publishBatchSize, publishBatchSize))
    fake = await startFake(workspace.workspaceId, stored)

    const requestSets = listRequestSets(stored, fleet.devices.map((device) => device.device_id))
    const rows: BenchRow[] = []
    for (const requestSet of requestSets) {
      const fakeAnswerSizes = await checkSameAnswers(ours, fake, requestSet, size)
      const load = (target: ApiTarget) =>
        timeLoad(target, requestSet, options, `${requestSet.label}, ${size} events`)
      const oursResult = await load(ours)
      const fakeResult = await load(fake)

      const measure = `events/list ${requestSet.label}, ${size.toLocaleString('en-US')} events`
      const meanFakeAnswer = Math.round(fakeAnswerSizes.reduce((sum, n) => sum + n, 0) / fakeAnswerSizes.length)
      const target = ratioTargets[size]
      rows.push(
        {
          workload,
          measure: `${measure}: ours`,
          value: oursResult.requestsPerSecond,
          unit: 'req/s',
          note: `${latencies(oursResult)}; serve in its own process, limit=${pageLimit}`,
        },
        {
          workload,
          measure: `${measure}: Seam fake`,
          value: fakeResult.requestsPerSecond,
          unit: 'req/s',
          note:
            `${latencies(fakeResult)}; in the benchmark's process, sharing its event loop with the load; ` +
            `ignores limit=${pageLimit}: answers all ${meanFakeAnswer} matches on average`,
        },
        {
          workload,
          measure: `${measure}: ours / fake`,
          value: oursResult.requestsPerSecond / fakeResult.requestsPerSecond,
          unit: 'x',
          ...(target === undefined ? {} : { target }),
          note: `${options.connections} connections, ${options.durationSeconds} s each, ${requestSet.variants.length} variants cycled`,
        },
      )
    }
    return rows
  } finally {
    await fake?.stop()
    await serve?.stop()
    await database.drop()
  }
}

/** Publishes the bodies one after another and returns the events as the server stored them. */
async function publishEvents(ours: ApiTarget, bodies: readonly string[]): Promise<StoredEvent[]> {
  const stored: StoredEvent[] = []
  for (const body of bodies) {
    const answer = (await postJson(ours, '/events/publish', body)) as { events: StoredEvent[] }
    for (const event of answer.events) {
      // The fake's filters let an event without device_id through (see the top of this file).
      if (typeof event.device_id !== 'string') throw new Error(`fake-seam: ${event.event_type} has no device_id`)
      stored.push(event)
    }
  }
  return stored
}

async function startFake(workspaceId: string, events: readonly StoredEvent[]): Promise<FakeService> {
  const fake = await createFake()
  // Our workspace id, so that the seeded events belong to the fake's workspace as they are.
  // One workspace only: the fake's events/list does not filter by workspace.
  fake.database.addWorkspace({ name: 'fake-seam bench', workspace_id: workspaceId })
  const { token } = fake.database.addApiKey({ workspace_id: workspaceId })
  if (token === undefined) throw new Error('fake-seam: the fake made an API key without a token')
  // One loadJSON of the whole state instead of addEvent per event: addEvent copies the whole array on every call,
  // which takes about two minutes for 100,000 events. The event ids are ours (UUIDs), so the
  // fake's id counter cannot collide with them; it is advanced all the same, as addEvent would
  // have, so that the state is one the fake could have reached by itself.
  const state = await fake.toJSON()
  await fake.loadJSON({
    ...state,
    events: [...state.events, ...events],
    _counters: { ...state._counters, event: (state._counters['event'] ?? 0) + events.length },
  })

  const port = await freePort()
  const { server } = await fake.startServer({ port, baseUrl: `http://127.0.0.1:${port}` })
  // startServer listens on every interface; like every server of the suite, this one stays on
  // loopback.
  await closeServer(server)
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()))
  return {
    endpoint: `http://127.0.0.1:${port}`,
    apiKey: token,
    // Not fake.stopServer(): it does not wait for the server to close.
    stop: () => closeServer(server),
  }
}

async function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())))
  server.closeAllConnections()
  await closed
}

/**
 * The three requests, each in variants that spread the load over the store:
 * - since + device_id: one device's events of the later half;
 * - since + event_types: two types' events of the last tenth, as a poller catching up;
 * - between: one publish batch in the middle. A batch shares one created_at, so no window can
 *   be narrower: (t - 1 ms, t + 1 ms), exclusive on both services, holds the events stored at t.
 * Every `since` is an instant no event was created at: our `since` is inclusive and the fake's
 * exclusive, and the two agree only where no event sits on the bound.
 */
function listRequestSets(stored: readonly StoredEvent[], deviceIds: readonly string[]): ListRequestSet[] {
  const createdAt = stored.map((event) => Date.parse(event.created_at)).sort((a, b) => a - b)
  const taken = new Set(createdAt)
  /** The last free instant before the event at `position` (a fraction of the store) was created. */
  const freeInstantBefore = (position: number): string => {
    let instant = createdAt[Math.min(createdAt.length - 1, Math.floor(position * createdAt.length))] as number
    do instant -= 1
    while (taken.has(instant))
    return new Date(instant).toISOString()
  }
  const variants = Array.from({ length: variantsPerRequest }, (_, index) => index)

  const middle = freeInstantBefore(0.5)
  const lastTenth = freeInstantBefore(0.9)
  const batchInstants = [...taken].sort((a, b) => a - b)
  // Up to `variantsPerRequest` batches, evenly spaced over the middle two fifths of the store.
  const first = Math.floor(batchInstants.length * 0.3)
  const last = Math.max(first, Math.ceil(batchInstants.length * 0.7) - 1)
  const middleBatches = [
    ...new Set(
      variants.map((index) => batchInstants[first + Math.floor((index * (last - first + 1)) / variantsPerRequest)] as number),
    ),
  ]
  const windows = middleBatches.map((instant) => [
    new Date(instant - 1).toISOString(),
    new Date(instant + 1).toISOString(),
  ])

  return [
    {
      label: 'since + device_id',
      variants: variants.map((index) => ({
        since: middle,
        device_id: deviceIds[Math.floor((index * deviceIds.length) / variantsPerRequest)],
        limit: pageLimit,
      })),
    },
    {
      label: 'since + event_types (2)',
      variants: variants.map((index) => ({
        since: lastTenth,
        event_types: [2 * index, 2 * index + 1].map((type) => fleetEventTypes[type % fleetEventTypes.length]),
        limit: pageLimit,
      })),
    },
    {
      label: 'between (one batch)',
      variants: windows.map((between) => ({ between, limit: pageLimit })),
    },
  ]
}

/**
 * Throws unless ours (every page, following cursors) and the fake (one answer) find the same
 * event ids for every variant. Returns the number of events of each of the fake's answers.
 */
async function checkSameAnswers(
  ours: ApiTarget,
  fake: ApiTarget,
  requestSet: ListRequestSet,
  size: number,
): Promise<number[]> {
  const answerSizes: number[] = []
  for (const body of requestSet.variants) {
    const oursIds = (await listEveryPage(ours, body)).sort()
    const fakeAnswer = (await postJson(fake, '/events/list', JSON.stringify(body))) as { events: StoredEvent[] }
    const fakeIds = fakeAnswer.events.map((event) => event.event_id).sort()
    const request = `${requestSet.label} at ${size} events, ${JSON.stringify(body)}`
    if (fakeIds.length === 0) throw new Error(`fake-seam: ${request} matches no event; it would time nothing`)
    const difference = oursIds.findIndex((id, index) => id !== fakeIds[index])
    if (oursIds.length !== fakeIds.length || difference !== -1) {
      throw new Error(
        `fake-seam: ${request}: ours found ${oursIds.length} events, the fake ${fakeIds.length}` +
          (difference === -1 ? '' : `; first different id in sorted order: ${oursIds[difference]} vs ${fakeIds[difference]}`),
      )
    }
    answerSizes.push(fakeIds.length)
  }
  return answerSizes
}

async function listEveryPage(ours: ApiTarget, body: Record<string, unknown>): Promise<string[]> {
  const ids: string[] = []
  let cursor: string | null = null
  do {
    const page = (await postJson(
      ours,
      '/events/list',
      JSON.stringify(cursor === null ? body : { ...body, page_cursor: cursor }),
    )) as { events: StoredEvent[]; pagination: { next_page_cursor: string | null } }
    for (const event of page.events) ids.push(event.event_id)
    cursor = page.pagination.next_page_cursor
  } while (cursor !== null)
  return ids
}

async function timeLoad(
  target: ApiTarget,
  requestSet: ListRequestSet,
  options: FakeSeamWorkloadOptions,
  what: string,
): Promise<LoadResult> {
  const requests: LoadRequest[] = requestSet.variants.map((body) => ({
    method: 'POST',
    path: '/events/list',
    body: JSON.stringify(body),
  }))
  const load = { ...target, requests, connections: options.connections }
  // Unrecorded, so that neither side is timed while its JIT (or SQLite's page cache) warms up.
  await runLoad({ ...load, durationSeconds: warmUpSeconds })
  const result = await runLoad({ ...load, durationSeconds: options.durationSeconds })
  if (result.failures > 0) throw new Error(`fake-seam: ${result.failures} failed requests timing ${what} on ${target.endpoint}`)
  return result
}

function latencies(result: LoadResult): string {
  return `p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms`
}

// Alone: `node --import tsx bench/workloads/fake-seam.ts [--sizes 10000,100000] [--seconds 10]
// [--connections 4]`.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '10000' },
      seconds: { type: 'string', default: '10' },
      connections: { type: 'string', default: '4' },
    },
  })
  const rows = await runFakeSeamWorkload({
    sizes: values.sizes.split(',').map(Number),
    durationSeconds: Number(values.seconds),
    connections: Number(values.connections),
  })
  process.stdout.write(`${formatTable(rows)}\n`)
}
