// GET /events/stream as clients use it: raw fetch reading the wire, and the `eventsource`
// package (the EventSource of Node and browsers), whose reconnect sends Last-Event-ID.

import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'

import { EventSource } from 'eventsource'

import { describeEachBackend } from './support/backends.ts'
import { publish, rawRequest, type RawResponse } from './support/http.ts'
import { openStream, type SseConnection } from './support/sse.ts'
import { startTestServer, type TestServer } from './support/test-server.ts'
import { deviceConnected, lockUnlocked } from './support/webhook-api.ts'

function assertSeamError(response: RawResponse, status: number, type: string, field?: string): void {
  assert.equal(response.status, status, response.text)
  assert.equal(response.json?.ok, false, response.text)
  assert.equal(response.json.error.type, type, response.text)
  assert.equal(response.json.error.request_id, response.headers.get('seam-request-id'))
  if (field !== undefined) {
    assert.match(response.json.error.message, new RegExp(field), response.text)
    assert.ok(response.json.error.validation_errors[field]._errors.length > 0, response.text)
  }
  assert.doesNotMatch(response.text, /\bat .+:\d+:\d+|\/src\/|SELECT /)
}

const eventIds = (messages: readonly { data: string }[]) => messages.map((message) => JSON.parse(message.data).event_id)

// A stream that misses what it waits for fails its test rather than hanging the run.
describeEachBackend('GET /events/stream', { timeout: 60_000 }, (backend) => {
  let server: TestServer
  const streams: SseConnection[] = []
  const open = async (query = '', options: { apiKey?: string; lastEventId?: string } = {}) => {
    const stream = await openStream(`${server.endpoint}/events/stream${query}`, { apiKey: server.apiKey, ...options })
    streams.push(stream)
    assert.equal(stream.response.status, 200)
    return stream
  }

  before(async () => {
    // A short heartbeat, so that a test can wait for one; streams that would not read on their
    // own for five minutes, so that every event below arrives by the publish's wakeup.
    server = await startTestServer({ backend, env: { STREAM_HEARTBEAT_SECONDS: '0.2', STREAM_POLL_SECONDS: '300' } })
  })
  after(async () => {
    for (const stream of streams) stream.close()
    await server.close()
  })

  it('sends each event published after it opened, as events/list returns it, with its position as id', async () => {
    await publish(server.endpoint, server.apiKey, [lockUnlocked()])
    const stream = await open()
    assert.equal(stream.response.headers.get('content-type'), 'text/event-stream; charset=utf-8')
    assert.equal(stream.response.headers.get('cache-control'), 'no-cache')
    assert.equal(stream.response.headers.get('x-accel-buffering'), 'no')
    assert.match(stream.response.headers.get('seam-request-id') ?? '', /^[0-9a-f-]{36}$/)

    const published = await publish(server.endpoint, server.apiKey, [lockUnlocked(), deviceConnected()])
    const messages = await stream.take(2)
    assert.deepEqual(eventIds(messages), published.map((event) => event.event_id))

    const listed = await rawRequest(`${server.endpoint}/events/list?since=2000-01-01&limit=2`, { apiKey: server.apiKey })
    const listedJson = (listed.json.events as unknown[]).map((event) => JSON.stringify(event)).reverse()
    assert.deepEqual(messages.map((message) => message.data), listedJson, 'data is the stored JSON, byte for byte')
    for (const message of messages) assert.equal(message.event, undefined, 'default message type: onmessage fires')

    // The id is a position events/list understands: the page after the newer event is the older one.
    const page = await rawRequest(
      `${server.endpoint}/events/list?since=2000-01-01&limit=1&page_cursor=${messages[1]!.id}`,
      { apiKey: server.apiKey },
    )
    assert.deepEqual(page.json.events.map((event: any) => event.event_id), [published[0]!.event_id])
  })

  it('gives each of many streams every event once, in order, while publishes keep coming', async () => {
    // Streams with equal filters share their reads; one with other filters reads its own.
    const device = randomUUID()
    const alike = await Promise.all(Array.from({ length: 30 }, () => open('?event_types=lock.unlocked')))
    const onDevice = await open(`?device_id=${device}`)
    const published: string[] = []
    const onDevicePublished: string[] = []
    const publishes = Array.from({ length: 10 }, async (_, n) => {
      const batch = await publish(server.endpoint, server.apiKey, [
        lockUnlocked(),
        deviceConnected(n % 2 === 0 ? device : randomUUID()),
        lockUnlocked(n % 2 === 0 ? device : randomUUID()),
      ])
      return batch
    })
    // Publishes run at once and commit one after another: the streams' order is commit order,
    // which events/list (newest first) gives back.
    for (const batch of await Promise.all(publishes)) {
      for (const event of batch) {
        if (event.event_type === 'lock.unlocked') published.push(event.event_id)
        if (event.device_id === device) onDevicePublished.push(event.event_id)
      }
    }
    const listed = await rawRequest(`${server.endpoint}/events/list?since=2000-01-01&limit=10000`, { apiKey: server.apiKey })
    const commitOrder = (listed.json.events as { event_id: string }[]).map((event) => event.event_id).reverse()
    const inCommitOrder = (ids: readonly string[]) =>
      commitOrder.filter((id) => ids.includes(id))
    for (const stream of alike) {
      assert.deepEqual(eventIds(await stream.take(20)), inCommitOrder(published))
    }
    assert.deepEqual(eventIds(await onDevice.take(10)), inCommitOrder(onDevicePublished))
    // Nothing more came: no event was sent twice.
    await publish(server.endpoint, server.apiKey, [lockUnlocked(device)])
    for (const stream of [...alike, onDevice]) {
      const [next] = await stream.take(1, stream === onDevice ? 10 : 20)
      assert.equal(JSON.parse(next!.data).device_id, device)
    }
  })

  it('starts with a retry hint and a comment, and sends heartbeats', async () => {
    const stream = await open()
    await stream.waitForComment((comment) => comment.trim() === 'stream open')
    assert.equal(typeof stream.retry, 'number')
    const start = await stream.waitForTyped('start')
    // The key's workspace: what `seam-events listen` derives its signing secret from.
    assert.deepEqual(JSON.parse(start.data), { workspace_id: server.workspaceId })
    assert.ok(start.id, 'the start message carries the position the stream starts from')
    await stream.waitForComment((comment) => comment.trim() === 'heartbeat')
    assert.equal(stream.messages.length, 0)
  })

  it('sends only events that match its filters, and only of its own workspace', async () => {
    const deviceId = randomUUID()
    const other = await server.createWorkspace('Other')
    const stream = await open(`?event_types=lock.unlocked,lock.locked&device_id=${deviceId}`)
    await publish(server.endpoint, other.apiKey, [lockUnlocked(deviceId)])
    await publish(server.endpoint, server.apiKey, [deviceConnected(deviceId), lockUnlocked(randomUUID())])
    const [matching] = await publish(server.endpoint, server.apiKey, [lockUnlocked(deviceId)])
    // Events arrive in commit order: anything that should not match would have come first.
    const [first] = await stream.take(1)
    assert.equal(JSON.parse(first!.data).event_id, matching!.event_id)

    const [next] = await publish(server.endpoint, server.apiKey, [
      lockUnlocked(randomUUID()),
      { ...lockUnlocked(deviceId), event_type: 'lock.locked' },
    ])
    void next
    const [, second] = await stream.take(2)
    assert.equal(JSON.parse(second!.data).event_type, 'lock.locked')
    assert.equal(JSON.parse(second!.data).device_id, deviceId)
  })

  it('resumes after a disconnect with Last-Event-ID: exactly what was missed, in order, then live', async () => {
    const deviceId = randomUUID()
    const query = `?device_id=${deviceId}`
    const first = await open(query)
    const before = await publish(server.endpoint, server.apiKey, [lockUnlocked(deviceId), lockUnlocked(deviceId), lockUnlocked(deviceId)])
    const seen = await first.take(3)
    assert.deepEqual(eventIds(seen), before.map((event) => event.event_id))
    first.close()

    // Published while no one is connected: one batch, and one at a time.
    const missed = [
      ...(await publish(server.endpoint, server.apiKey, [lockUnlocked(deviceId), lockUnlocked(deviceId)])),
      ...(await publish(server.endpoint, server.apiKey, [lockUnlocked(deviceId)])),
      ...(await publish(server.endpoint, server.apiKey, [lockUnlocked(deviceId)])),
    ]
    const resumed = await open(query, { lastEventId: seen[2]!.id! })
    const replayed = await resumed.take(missed.length)
    assert.deepEqual(eventIds(replayed), missed.map((event) => event.event_id))

    const live = await publish(server.endpoint, server.apiKey, [lockUnlocked(deviceId)])
    const [next] = await resumed.take(1, missed.length)
    assert.equal(JSON.parse(next!.data).event_id, live[0]!.event_id, 'the next message is the live event: nothing repeated')

    // A client that drops before any event arrived resumes from the start message's id.
    const idle = await open(query)
    const start = await idle.waitForTyped('start')
    idle.close()
    const afterStart = await publish(server.endpoint, server.apiKey, [lockUnlocked(deviceId)])
    const fromStart = await open(query, { lastEventId: start.id! })
    assert.deepEqual(eventIds(await fromStart.take(1)), [afterStart[0]!.event_id])
    live.push(...afterStart)

    // The same in a workspace with no event yet, whose start message names no event at all.
    const empty = await server.createWorkspace('no events yet')
    const idleEmpty = await open('', { apiKey: empty.apiKey })
    const emptyStart = await idleEmpty.waitForTyped('start')
    idleEmpty.close()
    const firstEver = await publish(server.endpoint, empty.apiKey, [lockUnlocked(deviceId)])
    const fromEmptyStart = await open('', { apiKey: empty.apiKey, lastEventId: emptyStart.id! })
    assert.deepEqual(eventIds(await fromEmptyStart.take(1)), [firstEver[0]!.event_id])

    // Resuming from the middle of the replay, through the query parameter, gives the rest.
    const fromParam = await open(`${query}&last_event_id=${replayed[1]!.id}`)
    const rest = await fromParam.take(missed.length - 2 + live.length)
    assert.deepEqual(eventIds(rest), [...missed.slice(2), ...live].map((event) => event.event_id))
  })

  it('replays from since, then goes on live', async () => {
    const deviceId = randomUUID()
    const since = new Date(Date.now() - 1000).toISOString()
    const earlier = await publish(server.endpoint, server.apiKey, [lockUnlocked(deviceId), deviceConnected(deviceId)])
    const stream = await open(`?device_ids=${deviceId}&since=${since}`)
    const replayed = await stream.take(2)
    assert.deepEqual(eventIds(replayed), earlier.map((event) => event.event_id))
    const live = await publish(server.endpoint, server.apiKey, [lockUnlocked(deviceId)])
    assert.deepEqual(eventIds(await stream.take(1, 2)), [live[0]!.event_id])
  })

  it('EventSource reconnects after a dropped connection with Last-Event-ID and misses nothing', async () => {
    const deviceId = randomUUID()
    const requests: { lastEventId: string | null }[] = []
    let drop = () => {}
    const source = new EventSource(`${server.endpoint}/events/stream?device_id=${deviceId}`, {
      fetch: async (input, init) => {
        const headers = new Headers(init.headers)
        headers.set('authorization', `Bearer ${server.apiKey}`)
        requests.push({ lastEventId: headers.get('last-event-id') })
        const response = await fetch(input, { ...init, headers })
        // A body the test can break, as a network failure would: aborting the request instead
        // would read to EventSource as its own close(), after which it does not reconnect.
        const reader = response.body!.getReader()
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            drop = () => {
              controller.error(new TypeError('connection reset'))
              void reader.cancel().catch(() => {})
            }
          },
          async pull(controller) {
            const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }))
            try {
              if (done) controller.close()
              else controller.enqueue(value)
            } catch {
              // Already broken by drop().
            }
          },
          cancel: (reason) => reader.cancel(reason),
        })
        return { body, url: response.url, status: response.status, redirected: response.redirected, headers: response.headers }
      },
    })
    const received: string[] = []
    const receivedIds: string[] = []
    let onReceived = () => {}
    source.onmessage = (message) => {
      received.push(JSON.parse(message.data).event_id)
      receivedIds.push(message.lastEventId)
      onReceived()
    }
    const receive = (count: number) =>
      new Promise<void>((resolve) => {
        onReceived = () => {
          if (received.length >= count) resolve()
        }
        onReceived()
      })
    try {
      await new Promise<void>((resolve, reject) => {
        source.onopen = () => resolve()
        source.onerror = (error) => reject(new Error(`EventSource failed to open: ${error.message}`))
      })
      source.onerror = () => {}
      const first = await publish(server.endpoint, server.apiKey, [lockUnlocked(deviceId), lockUnlocked(deviceId)])
      await receive(2)

      drop()
      const whileDown = await publish(server.endpoint, server.apiKey, [lockUnlocked(deviceId), lockUnlocked(deviceId)])
      await receive(4)
      assert.equal(requests.length, 2, 'one reconnect')
      assert.equal(requests[1]!.lastEventId, receivedIds[1], 'the reconnect sent the last id it saw')
      const live = await publish(server.endpoint, server.apiKey, [lockUnlocked(deviceId)])
      await receive(5)
      assert.deepEqual(received, [...first, ...whileDown, ...live].map((event) => event.event_id))
    } finally {
      source.close()
    }
  })

  describe('refusals, as Seam errors before the stream starts', () => {
    const get = (query: string, apiKey: string | null = server.apiKey, headers: Record<string, string> = {}) =>
      rawRequest(`${server.endpoint}/events/stream${query}`, apiKey === null ? { headers } : { apiKey, headers })

    it('needs a key that can read', async () => {
      assertSeamError(await get('', null), 401, 'unauthorized')
      assertSeamError(await get('', 'seam_not_a_key'), 401, 'unauthorized')
      const { apiKey } = await server.createKey(server.workspaceId, 'publish')
      assertSeamError(await get('', apiKey), 403, 'forbidden')
    })

    it('names a bad filter, a bad Last-Event-ID, and paging parameters', async () => {
      assertSeamError(await get('?event_type=Lock.Nope'), 400, 'invalid_input', 'event_type')
      assertSeamError(await get('?device_ids=not-a-uuid'), 400, 'invalid_input', 'device_ids')
      assertSeamError(await get('?since=yesterday'), 400, 'invalid_input', 'since')
      assertSeamError(await get('', server.apiKey, { 'last-event-id': 'garbage' }), 400, 'invalid_input', 'Last-Event-ID')
      assertSeamError(await get('?last_event_id=garbage'), 400, 'invalid_input', 'last_event_id')
      for (const param of ['limit=10', 'page_cursor=abc', 'unstable_offset=1']) {
        const name = param.split('=')[0]!
        assertSeamError(await get(`?${param}`), 400, 'invalid_input', name)
      }
      const between = await get('?between=2020-01-01,2020-01-02')
      assertSeamError(between, 400, 'invalid_input', 'between')
      assert.match(between.json.error.message, /since/)
    })

    it('answers other methods with method_not_allowed', async () => {
      const response = await rawRequest(`${server.endpoint}/events/stream`, { method: 'POST', apiKey: server.apiKey })
      assertSeamError(response, 405, 'method_not_allowed')
      assert.equal(response.headers.get('allow'), 'GET')
    })
  })
})

describeEachBackend('GET /events/stream ends', { timeout: 60_000 }, (backend) => {
  it('when its key is revoked; the reconnect is refused', async () => {
    const logLines: string[] = []
    const server = await startTestServer({ backend, logLines, env: { STREAM_POLL_SECONDS: '0.2' } })
    try {
      const { apiKeyId, apiKey } = await server.createKey(server.workspaceId, 'read')
      const stream = await openStream(`${server.endpoint}/events/stream`, { apiKey })
      await publish(server.endpoint, server.apiKey, [lockUnlocked()])
      await stream.take(1)
      await server.store.workspaces.revokeApiKey(apiKeyId)
      await stream.ended
      assertSeamError(await rawRequest(`${server.endpoint}/events/stream`, { apiKey }), 401, 'unauthorized')
      const logged = logLines.map((line) => JSON.parse(line)).find((line) => line.url === '/events/stream' && line.status_code === 200)
      assert.equal(logged?.ended_by, 'unauthorized')
    } finally {
      await server.close()
    }
  })

  it('at shutdown, so that the server closes, each logged', async () => {
    const logLines: string[] = []
    const server = await startTestServer({ backend, logLines })
    const streams = await Promise.all(
      [1, 2].map(() => openStream(`${server.endpoint}/events/stream`, { apiKey: server.apiKey })),
    )
    await publish(server.endpoint, server.apiKey, [lockUnlocked()])
    await Promise.all(streams.map((stream) => stream.take(1)))
    await server.close()
    await Promise.all(streams.map((stream) => stream.ended))
    const logged = logLines.map((line) => JSON.parse(line)).filter((line) => line.url === '/events/stream')
    assert.deepEqual(logged.map((line) => [line.msg, line.status_code, line.ended_by]).sort(), [
      ['request', 200, 'server'],
      ['request', 200, 'server'],
    ])
    assert.deepEqual(logged.map((line) => line.events_sent).sort(), [1, 1])
  })
})
