// What the SDK cannot send: malformed and oversized bodies, wrong content types and methods,
// query arrays in every accepted form, revoked and under-scoped keys, publish refusals.

import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'

import { describeEachBackend } from './support/backends.ts'
import { publish, rawRequest, type RawResponse } from './support/http.ts'
import { startTestServer, type TestServer } from './support/test-server.ts'

const since = '2000-01-01T00:00:00Z'

function assertSeamError(response: RawResponse, status: number, type: string): void {
  assert.equal(response.status, status, response.text)
  assert.equal(response.json?.ok, false, response.text)
  assert.equal(response.json.error.type, type, response.text)
  assert.equal(typeof response.json.error.message, 'string')
  const requestId = response.headers.get('seam-request-id')
  assert.match(requestId ?? '', /^[0-9a-f-]{36}$/)
  assert.equal(response.json.error.request_id, requestId)
  // Nothing of the server's insides: no stack frames, file paths or SQL.
  assert.doesNotMatch(response.text, /\bat .+:\d+:\d+|\/src\/|node_modules|SELECT |INSERT |sqlite/i)
}

describeEachBackend('raw HTTP', (backend) => {
  let server: TestServer
  const url = (path: string) => `${server.endpoint}${path}`
  const post = (path: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    rawRequest(url(path), { method: 'POST', apiKey: server.apiKey, headers, body })

  before(async () => {
    server = await startTestServer({ backend })
  })
  after(async () => server.close())

  describe('errors', () => {
    it('malformed JSON is a 400 invalid_input', async () => {
      assertSeamError(await post('/events/list', '{"since": '), 400, 'invalid_input')
      assertSeamError(await post('/events/publish', '{"events": [}'), 400, 'invalid_input')
    })

    it('a body that is not JSON is a 400 invalid_content_type', async () => {
      assertSeamError(await post('/events/list', `since=${since}`, { 'content-type': 'application/x-www-form-urlencoded' }), 400, 'invalid_content_type')
      assertSeamError(await post('/events/publish', 'hello', { 'content-type': 'text/plain' }), 400, 'invalid_content_type')
    })

    it('a body over 1 MiB is a 413 payload_too_large', async () => {
      const huge = JSON.stringify({ since, customer_key: 'x'.repeat(1024 * 1024) })
      assertSeamError(await post('/events/list', huge), 413, 'payload_too_large')
    })

    it('an unknown route is a 404 in JSON', async () => {
      const response = await rawRequest(url('/no/such/route'), { apiKey: server.apiKey })
      assertSeamError(response, 404, 'not_found')
    })

    it('a wrong method is a 405 naming the allowed ones', async () => {
      const response = await rawRequest(url('/events/list'), { method: 'DELETE', apiKey: server.apiKey })
      assertSeamError(response, 405, 'method_not_allowed')
      assert.equal(response.headers.get('allow'), 'GET, POST')
      assertSeamError(await rawRequest(url('/events/publish'), { method: 'GET', apiKey: server.apiKey }), 405, 'method_not_allowed')
    })

    it('a missing, malformed or wrong key is a 401', async () => {
      assertSeamError(await rawRequest(url(`/events/list?since=${since}`)), 401, 'unauthorized')
      assertSeamError(await rawRequest(url(`/events/list?since=${since}`), { headers: { authorization: 'Basic abc' } }), 401, 'unauthorized')
      assertSeamError(await rawRequest(url(`/events/list?since=${since}`), { apiKey: 'seam_kNOPE_nope' }), 401, 'unauthorized')
    })

    it('a revoked key is refused at once', async () => {
      const { apiKeyId, apiKey } = await server.createKey(server.workspaceId, 'all')
      const list = () => rawRequest(url(`/events/list?since=${since}`), { apiKey })
      assert.equal((await list()).status, 200)
      await server.store.workspaces.revokeApiKey(apiKeyId)
      const refused = await list()
      assertSeamError(refused, 401, 'unauthorized')
      assert.match(refused.json.error.message, /revoked/)
    })

    it('a revoked key learns it before anything of the route: not its 400, 404 or its data', async () => {
      // Reads run beside their key's lookup (src/http/admission.ts), with the key the token had on
      // its last request; what they found is dropped. A refusal forgets that key, so each path
      // gets a key of its own, used once before it is revoked.
      const [event] = await publish(server.endpoint, server.apiKey, [
        { event_type: 'device.connected', device_id: randomUUID(), connected_account_id: randomUUID() },
      ])
      const answers: Record<string, [number, string | undefined]> = {
        [`/events/get?event_id=${event?.event_id}`]: [200, undefined],
        [`/events/list?since=${since}`]: [200, undefined],
        '/events/list?limit=many': [400, 'invalid_input'],
        [`/events/get?event_id=${randomUUID()}`]: [404, 'event_not_found'],
        '/webhooks/list': [200, undefined],
      }
      for (const [path, [status, type]] of Object.entries(answers)) {
        const { apiKeyId, apiKey } = await server.createKey(server.workspaceId, 'read')
        const before = await rawRequest(url(path), { apiKey })
        assert.equal(before.status, status, `${path}: ${before.text}`)
        if (type !== undefined) assert.equal(before.json.error.type, type)
        await server.store.workspaces.revokeApiKey(apiKeyId)
        const refused = await rawRequest(url(path), { apiKey })
        assertSeamError(refused, 401, 'unauthorized')
        assert.match(refused.json.error.message, /revoked/, path)
        assert.ok(!refused.text.includes(event?.event_id as string), path)
      }
    })

    it('a read key cannot publish and a publish key cannot read', async () => {
      const reader = await server.createKey(server.workspaceId, 'read')
      const publisher = await server.createKey(server.workspaceId, 'publish')
      const body = JSON.stringify({ event: { event_type: 'device.connected', device_id: randomUUID(), connected_account_id: randomUUID() } })
      const headers = { 'content-type': 'application/json' }
      assertSeamError(await rawRequest(url('/events/publish'), { method: 'POST', apiKey: reader.apiKey, headers, body }), 403, 'forbidden')
      assert.equal((await rawRequest(url('/events/publish'), { method: 'POST', apiKey: publisher.apiKey, headers, body })).status, 200)
      assertSeamError(await rawRequest(url(`/events/list?since=${since}`), { apiKey: publisher.apiKey }), 403, 'forbidden')
      assertSeamError(await rawRequest(url(`/events/get?event_type=device.connected`), { apiKey: publisher.apiKey }), 403, 'forbidden')
      assert.equal((await rawRequest(url(`/events/list?since=${since}`), { apiKey: reader.apiKey })).status, 200)
    })

    it('bad parameters name themselves in validation_errors', async () => {
      const cases: [query: string, param: string][] = [
        [`since=${since}&limit=-5`, 'limit'],
        [`since=${since}&event_type=Lock Unlocked`, 'event_type'],
        [`since=${since}&limit=0`, 'limit'],
        [`since=${since}&limit=abc`, 'limit'],
        [`since=${since}&unstable_offset=-1`, 'unstable_offset'],
        [`since=${since}&device_ids=${randomUUID()},nope`, 'device_ids'],
        [`since=${since}&event_ids=nope`, 'event_ids'],
        [`since=2024-02-30`, 'since'],
        [`between=2024-01-02&between=2024-01-01`, 'between'],
        [`between=2024-01-01`, 'between'],
        [`since=${since}&between=2024-01-01&between=2024-01-02`, 'between'],
      ]
      for (const [query, param] of cases) {
        const response = await rawRequest(url(`/events/list?${query}`), { apiKey: server.apiKey })
        assertSeamError(response, 400, 'invalid_input')
        assert.ok(response.json.error.validation_errors[param], `${query} names ${param}: ${response.text}`)
      }
      const neither = await rawRequest(url('/events/list'), { apiKey: server.apiKey })
      assertSeamError(neither, 400, 'invalid_input')
      assert.match(neither.json.error.message, /Must specify either since or between/)
    })
  })

  describe('query arrays', () => {
    let events: Record<string, any>[]
    const devices = [randomUUID(), randomUUID(), randomUUID()]

    before(async () => {
      events = await publish(
        server.endpoint,
        server.apiKey,
        devices.map((device_id) => ({ event_type: 'device.connected', device_id, connected_account_id: randomUUID() })),
      )
    })

    const listIds = async (query: string): Promise<string[]> => {
      const response = await rawRequest(url(`/events/list?since=${since}&_strict=true&${query}`), { apiKey: server.apiKey })
      assert.equal(response.status, 200, response.text)
      return response.json.events.map((event: any) => event.device_id)
    }
    const expected = [devices[2], devices[0]]

    it('accepts repeated keys, key[] and comma-separated values alike', async () => {
      assert.deepEqual(await listIds(`device_ids=${devices[0]}&device_ids=${devices[2]}`), expected)
      assert.deepEqual(await listIds(`device_ids[]=${devices[0]}&device_ids[]=${devices[2]}`), expected)
      assert.deepEqual(await listIds(`device_ids=${devices[0]},${devices[2]}`), expected)
      assert.deepEqual(await listIds(`device_ids%5B%5D=${devices[0]}&device_ids%5B%5D=${devices[2]}`), expected)
    })

    it('an empty list (key=) matches no event', async () => {
      assert.deepEqual(await listIds('device_ids='), [])
      assert.deepEqual(await listIds('event_types='), [])
    })

    it('merges the query string with the JSON body', async () => {
      const response = await rawRequest(url(`/events/list?device_id=${devices[1]}`), {
        method: 'POST',
        apiKey: server.apiKey,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ since }),
      })
      assert.equal(response.status, 200, response.text)
      assert.deepEqual(response.json.events, [events[1]])
    })

    it('a POST with no body reads its parameters from the query', async () => {
      const response = await rawRequest(url(`/events/list?since=${since}&device_id=${devices[1]}`), { method: 'POST', apiKey: server.apiKey })
      assert.equal(response.status, 200, response.text)
      assert.deepEqual(response.json.events, [events[1]])
    })
  })

  describe('publish', () => {
    it('fills in what the server owns and returns the events as listed', async () => {
      const device_id = randomUUID()
      const occurred_at = '2024-05-01T10:00:00+02:00'
      const [event] = await publish(server.endpoint, server.apiKey, [
        { event_type: 'lock.unlocked', device_id, connected_account_id: randomUUID(), method: 'manual', occurred_at, workspace_id: randomUUID(), created_at: '1999-01-01T00:00:00.000Z' },
      ])
      assert.equal(event!.workspace_id, server.workspaceId)
      assert.match(event!.event_id, /^[0-9a-f-]{36}$/)
      assert.match(event!.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
      assert.notEqual(event!.created_at, '1999-01-01T00:00:00.000Z')
      assert.equal(event!.occurred_at, '2024-05-01T08:00:00.000Z')
      assert.equal(typeof event!.event_description, 'string')
      assert.ok(event!.event_description.length > 0)
      const listed = await rawRequest(url(`/events/list?since=${since}&device_id=${device_id}`), { apiKey: server.apiKey })
      assert.deepEqual(listed.json.events, [event])
      // Byte for byte: the event's JSON text in the publish response is the one events/list sends.
      assert.ok(listed.text.includes(JSON.stringify(event)))
    })

    it('makes event ids that are UUIDs of version 7, in the order the events were published', async () => {
      const made: string[] = []
      for (let round = 0; round < 3; round += 1) {
        const events = await publish(server.endpoint, server.apiKey, Array.from({ length: 20 }, () => (
          { event_type: 'lock.locked', device_id: randomUUID(), connected_account_id: randomUUID(), method: 'manual' }
        )))
        made.push(...events.map((event) => event.event_id as string))
        await new Promise((resolve) => setTimeout(resolve, 2))
      }
      for (const id of made) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
      // Time-ordered: each later than the one before, as text (so as index keys too).
      assert.deepEqual([...made].sort(), made)
      assert.equal(new Set(made).size, made.length)
    })

    it('occurred_at defaults to created_at, and a given description is kept', async () => {
      const [event] = await publish(server.endpoint, server.apiKey, [
        { event_type: 'device.tampered', device_id: randomUUID(), connected_account_id: randomUUID(), event_description: 'Someone pried the lock.' },
      ])
      assert.equal(event!.occurred_at, event!.created_at)
      assert.equal(event!.event_description, 'Someone pried the lock.')
    })

    it('the same event_id published twice is stored once and returns the stored event', async () => {
      const event_id = randomUUID()
      const device_id = randomUUID()
      const draft = { event_id, event_type: 'device.connected', device_id, connected_account_id: randomUUID() }
      const [first] = await publish(server.endpoint, server.apiKey, [draft])
      const [again, sameBatch] = await publish(server.endpoint, server.apiKey, [{ ...draft, device_id: randomUUID() }, draft])
      assert.deepEqual(again, first)
      assert.deepEqual(sameBatch, first)
      const listed = await rawRequest(url(`/events/list?since=${since}&event_ids=${event_id}`), { apiKey: server.apiKey })
      assert.deepEqual(listed.json.events, [first])
    })

    it('a batch is all or nothing, and the refusal names each bad event by index and field', async () => {
      const device_id = randomUUID()
      const good = { event_type: 'device.connected', device_id, connected_account_id: randomUUID() }
      const response = await post('/events/publish', JSON.stringify({
        events: [
          good,
          { event_type: 'device.low_battery', device_id, connected_account_id: randomUUID(), battery_level: 1.5 },
          good,
          { event_type: 'lock.unlocked', connected_account_id: 'nope', method: 'telepathy' },
          { event_type: 'no.such_type' },
          { event_type: 'device.connected', device_id, connected_account_id: randomUUID(), event_id: 'nope' },
        ],
      }))
      assertSeamError(response, 400, 'invalid_input')
      const errors = response.json.error.validation_errors
      assert.ok(errors.events['1'].battery_level._errors.length > 0)
      assert.ok(errors.events['3'].connected_account_id._errors.length > 0)
      assert.ok(errors.events['3'].method._errors.length > 0)
      assert.ok(errors.events['4'].event_type._errors.length > 0)
      assert.ok(errors.events['5'].event_id._errors.length > 0)
      assert.equal(errors.events['0'], undefined)
      assert.match(response.json.error.message, /events\[1\]\.battery_level/)
      const listed = await rawRequest(url(`/events/list?since=${since}&device_id=${device_id}`), { apiKey: server.apiKey })
      assert.deepEqual(listed.json.events, [])
    })

    it('refuses an empty batch, more than 1,000 events, and a body without events', async () => {
      const one = { event_type: 'device.connected', device_id: randomUUID(), connected_account_id: randomUUID() }
      for (const body of [{ events: [] }, { events: Array.from({ length: 1001 }, () => one) }, { since }, { events: one }]) {
        const response = await post('/events/publish', JSON.stringify(body))
        assertSeamError(response, 400, 'invalid_input')
        assert.ok(response.json.error.validation_errors.events, response.text)
      }
    })

    it('accepts exactly 1,000 events in one batch', async () => {
      const device_id = randomUUID()
      const events = Array.from({ length: 1000 }, () => ({ event_type: 'device.connected', device_id, connected_account_id: randomUUID() }))
      assert.equal((await publish(server.endpoint, server.apiKey, events)).length, 1000)
    })
  })

  describe('health', () => {
    it('/health and /ready answer without a key', async () => {
      const health = await rawRequest(url('/health'))
      assert.equal(health.status, 200)
      assert.equal(health.json.ok, true)
      assert.ok(health.headers.get('seam-request-id'))
      const ready = await rawRequest(url('/ready'))
      assert.equal(ready.status, 200)
      assert.equal(ready.json.ok, true)
    })
  })
})

describeEachBackend('unknown event types', (backend) => {
  it('are refused by default and accepted with --allow-unknown-event-types', async () => {
    const strict = await startTestServer({ backend })
    const lenient = await startTestServer({ backend, allowUnknownEventTypes: true })
    try {
      const event = { event_type: 'widget.battery_swapped', device_id: randomUUID(), voltage: 3.1 }
      await assert.rejects(publish(strict.endpoint, strict.apiKey, [event]), /400.*widget\.battery_swapped/)
      const [stored] = await publish(lenient.endpoint, lenient.apiKey, [event])
      assert.equal(stored!.voltage, 3.1)
      const listed = await rawRequest(`${lenient.endpoint}/events/list?since=${since}&event_type=widget.battery_swapped&device_id=${event.device_id}`, { apiKey: lenient.apiKey })
      assert.deepEqual(listed.json.events, [stored])
      await assert.rejects(publish(lenient.endpoint, lenient.apiKey, [{ event_type: 'widget.x', device_id: 'nope' }]), /400/)
    } finally {
      await strict.close()
      await lenient.close()
    }
  })
})
