// /events/histogram on every backend of the run: its counts are what /events/list returns
// for the same filters, bucketed independently here; every bucket of the range is there; the
// default width; and refusals in Seam's envelope. The SDK has no method for this route of ours,
// so it is called over raw HTTP, GET with a query string and POST with JSON.

import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'

import { ageEvents } from './support/age-events.ts'
import { describeEachBackend } from './support/backends.ts'
import { publish, rawRequest, type RawResponse } from './support/http.ts'
import { sampleEventFor } from './support/sample-events.ts'
import { startTestServer, type TestServer, type TestWorkspace } from './support/test-server.ts'
import { deviceConnected, lockUnlocked } from './support/webhook-api.ts'

const hourMs = 60 * 60 * 1000
const dayMs = 24 * hourMs

function assertSeamError(response: RawResponse, status: number, type: string): void {
  assert.equal(response.status, status, response.text)
  assert.equal(response.json?.ok, false, response.text)
  assert.equal(response.json.error.type, type, response.text)
  assert.equal(response.json.error.request_id, response.headers.get('seam-request-id'))
  assert.doesNotMatch(response.text, /\bat .+:\d+:\d+|\/src\/|node_modules|SELECT |sqlite/i)
}

/** A 400 invalid_input whose message and validation_errors name `field`. */
function assertNamesField(response: RawResponse, field: string): void {
  assertSeamError(response, 400, 'invalid_input')
  assert.match(response.json.error.message, new RegExp(`\\b${field}\\b`), response.text)
  assert.ok(response.json.error.validation_errors?.[field]?._errors?.length > 0, response.text)
}

function lockLocked(deviceId: string) {
  return { ...sampleEventFor('lock.locked'), device_id: deviceId }
}

function floorTo(ms: number, width: number): number {
  return Math.floor(ms / width) * width
}

interface Histogram {
  bucket_seconds: number
  start: string
  end: string
  event_types: string[]
  buckets: { start: string; counts: Record<string, number>; total: number }[]
  total_events: number
}

describeEachBackend('events/histogram', (backend) => {
  let server: TestServer
  let workspace: TestWorkspace
  const devices = [randomUUID(), randomUUID(), randomUUID()] as const
  const now = Date.now()

  const post = (path: string, body: Record<string, unknown>, apiKey = workspace.apiKey) =>
    rawRequest(`${server.endpoint}${path}`, {
      method: 'POST',
      apiKey,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
  const get = (query: string, apiKey = workspace.apiKey) =>
    rawRequest(`${server.endpoint}/events/histogram?${query}`, { apiKey })
  async function histogram(params: Record<string, unknown>, apiKey = workspace.apiKey): Promise<Histogram> {
    const response = await post('/events/histogram', params, apiKey)
    assert.equal(response.status, 200, response.text)
    assert.equal(response.json.ok, true)
    return response.json.histogram
  }
  async function listed(params: Record<string, unknown>, apiKey = workspace.apiKey): Promise<any[]> {
    const response = await post('/events/list', { ...params, limit: 10_000 }, apiKey)
    assert.equal(response.status, 200, response.text)
    assert.equal(response.json.pagination.has_next_page, false)
    return response.json.events
  }

  /** Every bucket of the histogram in order, each with the counts of the listed events in it. */
  function assertMatchesList(result: Histogram, events: readonly any[]): void {
    const widthMs = result.bucket_seconds * 1000
    const expected = new Map<number, Map<string, number>>()
    const totals = new Map<string, number>()
    for (const event of events) {
      const bucket = floorTo(Date.parse(event.created_at), widthMs)
      const counts = expected.get(bucket) ?? new Map<string, number>()
      counts.set(event.event_type, (counts.get(event.event_type) ?? 0) + 1)
      expected.set(bucket, counts)
      totals.set(event.event_type, (totals.get(event.event_type) ?? 0) + 1)
    }
    const starts = result.buckets.map((bucket) => Date.parse(bucket.start))
    assert.equal(starts[0], floorTo(Date.parse(result.start), widthMs), 'the first bucket holds the start')
    assert.ok(Date.parse(result.end) < starts.at(-1)! + widthMs, 'the last bucket holds the end')
    starts.forEach((start, index) => {
      assert.equal(start % widthMs, 0, 'aligned to the epoch')
      if (index > 0) assert.equal(start - starts[index - 1]!, widthMs, 'consecutive, ascending')
    })
    for (const bucket of result.buckets) {
      const counts = expected.get(Date.parse(bucket.start)) ?? new Map()
      assert.deepEqual(bucket.counts, Object.fromEntries(counts), `bucket ${bucket.start}`)
      assert.equal(bucket.total, [...counts.values()].reduce((sum, count) => sum + count, 0))
      expected.delete(Date.parse(bucket.start))
    }
    assert.deepEqual([...expected.keys()], [], 'every listed event is in a bucket of the response')
    assert.equal(result.total_events, events.length)
    assert.deepEqual(
      result.event_types,
      [...totals.entries()].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1)).map(([type]) => type),
    )
  }

  before(async () => {
    server = await startTestServer({ backend })
    workspace = await server.createWorkspace('Histogram')
    // 24 events of three types over three devices, spread over a week by ageing some of them.
    const drafts = Array.from({ length: 24 }, (_, index) => {
      const device = devices[index % 3]!
      return [lockUnlocked(device), deviceConnected(device), lockLocked(device)][index % 4 === 3 ? 2 : index % 2]!
    })
    const published = await publish(server.endpoint, workspace.apiKey, drafts)
    const agesInDays = [0, 1 / 24, 3 / 24, 1, 2.5, 5]
    for (const [group, days] of agesInDays.entries()) {
      if (days === 0) continue
      const ids = published.filter((_, index) => index % agesInDays.length === group).map((event) => event.event_id)
      await ageEvents(server, workspace.workspaceId, ids, days)
    }
  })
  after(async () => server.close())

  const week = () => [new Date(now - 7 * dayMs).toISOString(), new Date(now + hourMs).toISOString()]
  const filterSets: Record<string, unknown>[] = [
    {},
    { device_id: devices[0] },
    { event_types: ['lock.unlocked', 'lock.locked'] },
    { device_ids: [devices[1], devices[2]], event_type: 'lock.locked' },
    { device_id: randomUUID() },
  ]

  it('counts per bucket and type what events/list returns for the same filters (between)', async () => {
    for (const filters of filterSets) {
      for (const bucket_seconds of [3600, 86_400]) {
        const params = { ...filters, between: week() }
        const result = await histogram({ ...params, bucket_seconds })
        assert.equal(result.bucket_seconds, bucket_seconds)
        assertMatchesList(result, await listed(params))
      }
    }
    assert.equal((await histogram({ between: week(), bucket_seconds: 3600 })).total_events, 24)
  })

  it('counts the same in many narrow buckets as in a few wide ones', async () => {
    // Many (type, bucket) pairs: on SQLite the store weighs counting each pair on the type
    // index against one GROUP BY over the rows; either way the counts are these.
    for (const filters of [{}, { event_types: ['lock.locked', 'lock.unlocked'] }]) {
      const params = { ...filters, between: [new Date(now - 16 * 3600_000).toISOString(), new Date(now).toISOString()] }
      const result = await histogram({ ...params, bucket_seconds: 60 })
      assert.equal(result.buckets.length > 900, true)
      assertMatchesList(result, await listed(params))
    }
  })

  it('counts what events/list returns for since, up to now', async () => {
    for (const filters of filterSets) {
      const params = { ...filters, since: new Date(now - 6 * dayMs).toISOString() }
      const result = await histogram(params)
      assertMatchesList(result, await listed(params))
      const end = Date.parse(result.end)
      assert.ok(end >= now && end <= Date.now(), `the range ends now (${result.end})`)
    }
  })

  it('takes the filters as a query string too', async () => {
    const [from, to] = week()
    const query = `between=${from}&between=${to}&event_types=lock.unlocked,device.connected&device_ids[]=${devices[0]}&bucket_seconds=3600`
    const response = await get(query)
    assert.equal(response.status, 200, response.text)
    assertMatchesList(
      response.json.histogram,
      await listed({ between: [from, to], event_types: ['lock.unlocked', 'device.connected'], device_ids: [devices[0]] }),
    )
  })

  it('lists every bucket of the range, the empty ones with no counts and a zero total', async () => {
    const own = await server.createWorkspace('Zero-filled')
    const [event] = await publish(server.endpoint, own.apiKey, [lockUnlocked()])
    const aged = await ageEvents(server, own.workspaceId, [event!.event_id], 2)
    const createdAt = Date.parse(JSON.parse(aged.get(event!.event_id)!).created_at)
    const hour = floorTo(createdAt, hourMs)
    const result = await histogram(
      { between: [new Date(hour - 3 * hourMs).toISOString(), new Date(hour + 3 * hourMs).toISOString()], bucket_seconds: 3600 },
      own.apiKey,
    )
    assert.deepEqual(result, {
      bucket_seconds: 3600,
      start: new Date(hour - 3 * hourMs).toISOString(),
      end: new Date(hour + 3 * hourMs).toISOString(),
      event_types: ['lock.unlocked'],
      buckets: [-3, -2, -1, 0, 1, 2].map((offset) => ({
        start: new Date(hour + offset * hourMs).toISOString(),
        counts: offset === 0 ? { 'lock.unlocked': 1 } : {},
        total: offset === 0 ? 1 : 0,
      })),
      total_events: 1,
    })
  })

  it('picks the narrowest bucket that draws the range in at most 120', async () => {
    const midnight = floorTo(now, dayMs) - 300 * dayMs
    const between = (hours: number) => [new Date(midnight).toISOString(), new Date(midnight + hours * hourMs).toISOString()]
    const cases: [number, number, number][] = [
      // [hours, expected width, expected buckets]
      [2, 60, 120],
      [2.5, 300, 30],
      [10, 300, 120],
      [30, 900, 120],
      [5 * 24, 3600, 120],
      [30 * 24, 21_600, 120],
      [60 * 24, 43_200, 120],
      [200 * 24, 86_400, 200],
    ]
    for (const [hours, width, count] of cases) {
      const result = await histogram({ between: between(hours) })
      assert.equal(result.bucket_seconds, width, `${hours} h`)
      assert.equal(result.buckets.length, count, `${hours} h`)
    }
    const lastHour = await histogram({ since: new Date(Date.now() - hourMs).toISOString() })
    assert.equal(lastHour.bucket_seconds, 60)
    assert.ok(lastHour.buckets.length === 61 || lastHour.buckets.length === 60, `${lastHour.buckets.length}`)
  })

  it('never counts another workspace’s events', async () => {
    const other = await server.createWorkspace('Other tenant')
    const otherDevice = randomUUID()
    await publish(server.endpoint, other.apiKey, [lockUnlocked(otherDevice), lockUnlocked(otherDevice), deviceConnected(otherDevice)])
    const mine = await histogram({ between: week(), bucket_seconds: 86_400 })
    assert.equal(mine.total_events, 24)
    assertMatchesList(mine, await listed({ between: week() }))
    assert.equal((await histogram({ between: week(), device_id: otherDevice })).total_events, 0)
    const theirs = await histogram({ between: week(), bucket_seconds: 86_400 }, other.apiKey)
    assert.deepEqual(theirs.event_types, ['lock.unlocked', 'device.connected'])
    assert.equal(theirs.total_events, 3)
  })

  it('leaves out events past the workspace retention, as events/list does', async () => {
    const own = await server.createWorkspace('Retention')
    const [old, recent] = await publish(server.endpoint, own.apiKey, [deviceConnected(), deviceConnected()])
    await ageEvents(server, own.workspaceId, [old!.event_id], 40)
    const params = { since: new Date(now - 60 * dayMs).toISOString() }
    const result = await histogram(params, own.apiKey)
    assert.equal(result.total_events, 1)
    assertMatchesList(result, await listed(params, own.apiKey))
    assert.deepEqual((await listed(params, own.apiKey)).map((event) => event.event_id), [recent!.event_id])
  })

  describe('refusals', () => {
    const since = () => new Date(Date.now() - dayMs).toISOString()

    it('needs since or between, as events/list does', async () => {
      const neither = await post('/events/histogram', { bucket_seconds: 3600 })
      assertSeamError(neither, 400, 'invalid_input')
      assert.match(neither.json.error.message, /since or between/)
      assertNamesField(await post('/events/histogram', { since: 'yesterday' }), 'since')
      assertNamesField(await post('/events/histogram', { since: since(), between: week() }), 'between')
      assertNamesField(await post('/events/histogram', { between: [week()[1], week()[0]] }), 'between')
      assertNamesField(await post('/events/histogram', { since: since(), device_id: 'not-a-uuid' }), 'device_id')
      assertNamesField(await post('/events/histogram', { since: since(), event_type: 'no such type' }), 'event_type')
    })

    it('takes only the listed bucket widths', async () => {
      for (const bucket_seconds of [120, 0, -60, 3600.5, 'hour']) {
        assertNamesField(await post('/events/histogram', { since: since(), bucket_seconds }), 'bucket_seconds')
      }
      assertNamesField(await get(`since=${since()}&bucket_seconds=7200`), 'bucket_seconds')
      assert.equal((await get(`since=${since()}&bucket_seconds=900`)).json.histogram.bucket_seconds, 900)
    })

    it('refuses more than 1000 buckets', async () => {
      const twoDays = await post('/events/histogram', { since: new Date(Date.now() - 2 * dayMs).toISOString(), bucket_seconds: 60 })
      assertNamesField(twoDays, 'bucket_seconds')
      assert.match(twoDays.json.error.message, /1000/)
      const start = floorTo(now, dayMs) - 2000 * dayMs
      const between = [new Date(start).toISOString(), new Date(start + 1500 * dayMs).toISOString()]
      assertNamesField(await post('/events/histogram', { between }), 'between')
      assertNamesField(await post('/events/histogram', { between, bucket_seconds: 86_400 }), 'bucket_seconds')
    })

    it('refuses the paging parameters of events/list, by name', async () => {
      for (const [name, value] of [['limit', 10], ['page_cursor', 'abc'], ['unstable_offset', 0]] as const) {
        const response = await post('/events/histogram', { since: since(), [name]: value })
        assertNamesField(response, name)
        assert.match(response.json.error.message, /no pages/)
      }
      assertNamesField(await get(`since=${since()}&limit=5`), 'limit')
    })

    it('needs a key that may read', async () => {
      assertSeamError(await rawRequest(`${server.endpoint}/events/histogram?since=${since()}`), 401, 'unauthorized')
      assertSeamError(await get(`since=${since()}`, 'seam_kNOPE_nope'), 401, 'unauthorized')
      const publisher = await server.createKey(workspace.workspaceId, 'publish')
      assertSeamError(await get(`since=${since()}`, publisher.apiKey), 403, 'forbidden')
      const reader = await server.createKey(workspace.workspaceId, 'read')
      assert.equal((await get(`since=${since()}`, reader.apiKey)).status, 200)
    })
  })
})
