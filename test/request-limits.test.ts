// What protects the service, and every other tenant, from one slow, greedy or careless client:
// request and keep-alive timeouts (which never cut an event stream), a rate limit per API key,
// a cap on webhooks per workspace, bodies nested too deep, and links built on PUBLIC_URL rather
// than on whatever Host a client sends.

import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import http from 'node:http'
import net from 'node:net'
import { after, before, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'

import { describeEachBackend } from './support/backends.ts'
import { publish, rawRequest } from './support/http.ts'
import { seamClient, seamSdks } from './support/seam-sdks.ts'
import { openStream } from './support/sse.ts'
import { startTestServer, type TestServer } from './support/test-server.ts'

const lockEvent = () => ({
  event_type: 'lock.unlocked',
  device_id: randomUUID(),
  connected_account_id: randomUUID(),
  method: 'keycode',
})

interface RawExchange {
  /** Everything the server sent. */
  received: string
  /** Whether the server closed the connection (rather than the test giving up on it). */
  closedByServer: boolean
}

/**
 * Sends `head`, then the body one byte at a time every `byteEveryMs`, until the server answers
 * and closes the connection.
 */
function slowRequest(endpoint: string, head: string, body: string, byteEveryMs: number): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(new URL(endpoint).port), '127.0.0.1')
    let received = ''
    let sent = 0
    let timer: NodeJS.Timeout | undefined
    socket.setEncoding('utf8')
    socket.on('data', (chunk) => (received += chunk))
    socket.on('error', reject)
    socket.on('close', () => {
      clearInterval(timer)
      resolve({ received, closedByServer: true })
    })
    socket.write(head, () => {
      timer = setInterval(() => {
        if (sent < body.length && !socket.destroyed) socket.write(body[sent++] ?? '')
      }, byteEveryMs)
    })
  })
}

function parseRawResponse(raw: string): { status: number; headers: string; body: any } {
  const [head = '', body = ''] = raw.split('\r\n\r\n')
  return { status: Number(head.split(' ')[1]), headers: head, body: JSON.parse(body) }
}

describeEachBackend('request and keep-alive timeouts', { timeout: 60_000 }, (backend) => {
  let server: TestServer
  before(async () => {
    server = await startTestServer({
      backend,
      env: { REQUEST_TIMEOUT_SECONDS: '1', KEEP_ALIVE_TIMEOUT_SECONDS: '1', STREAM_HEARTBEAT_SECONDS: '0.3' },
    })
  })
  after(() => server.close())

  for (const withKey of [true, false]) {
    it(`answers a body that trickles in 408 and closes the connection (${withKey ? 'with' : 'without'} a key)`, async () => {
      const body = JSON.stringify({ events: [lockEvent()] })
      const head =
        'POST /events/publish HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n' +
        `content-length: ${body.length}\r\n${withKey ? `authorization: Bearer ${server.apiKey}\r\n` : ''}\r\n`
      const exchange = await slowRequest(server.endpoint, head, body, 200)
      assert.ok(exchange.closedByServer)
      const response = parseRawResponse(exchange.received)
      assert.equal(response.status, 408)
      assert.equal(response.body.error.type, 'request_timeout')
      assert.match(response.headers, /\r\nseam-request-id: [0-9a-f-]{36}/)
      assert.match(response.headers, /\r\nconnection: close/i)
      // Nothing of the cut request was stored.
      const listed = await rawRequest(`${server.endpoint}/events/list?since=2000-01-01`, { apiKey: server.apiKey })
      assert.deepEqual(listed.json.events, [])
    })
  }

  it('answers headers that trickle in 408 too', async () => {
    const exchange = await slowRequest(server.endpoint, '', 'GET /health HTTP/1.1\r\nhost: 127.0.0.1\r\nx-slow: yes', 200)
    assert.equal(parseRawResponse(exchange.received).status, 408)
  })

  it('closes an idle keep-alive connection after KEEP_ALIVE_TIMEOUT_SECONDS, having answered on it', async () => {
    const socket = net.connect(Number(new URL(server.endpoint).port), '127.0.0.1')
    socket.setEncoding('utf8')
    let received = ''
    const answered = (count: number) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (received.split('HTTP/1.1 200').length - 1 < count) return
          socket.off('data', check)
          resolve()
        }
        socket.on('data', check)
      })
    socket.on('data', (chunk) => (received += chunk))
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
    const request = 'GET /health HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: keep-alive\r\n\r\n'
    socket.write(request)
    await answered(1)
    socket.write(request)
    await answered(2)
    assert.match(received, /keep-alive: timeout=1/i)
    // The test sends nothing more and closes nothing: the server ends the idle connection.
    await closed
  })

  it('never cuts an event stream, which outlives both timeouts', async () => {
    const stream = await openStream(`${server.endpoint}/events/stream`, { apiKey: server.apiKey })
    assert.equal(stream.response.status, 200)
    await sleep(2500)
    const [published] = await publish(server.endpoint, server.apiKey, [lockEvent()])
    const [message] = await stream.take(1)
    assert.equal(JSON.parse(message?.data ?? '{}').event_id, published?.event_id)
    assert.ok(stream.comments.filter((comment) => comment.includes('heartbeat')).length >= 3)
    stream.close()
  })
})

describeEachBackend('a rate limit per API key', { timeout: 60_000 }, (backend) => {
  let server: TestServer
  before(async () => {
    server = await startTestServer({ backend, env: { RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '2' } })
  })
  after(() => server.close())

  it('answers 429 rate_limited with retry-after past the burst, for that key alone', async () => {
    const list = (apiKey: string) => rawRequest(`${server.endpoint}/events/list?since=2000-01-01`, { apiKey })
    const { apiKey: other } = await server.createKey(server.workspaceId, 'read')
    const answers = [await list(server.apiKey), await list(server.apiKey), await list(server.apiKey)]
    assert.deepEqual(answers.map((answer) => answer.status), [200, 200, 429])
    const limited = answers[2]!
    assert.equal(limited.json.error.type, 'rate_limited')
    assert.equal(limited.json.ok, false)
    assert.match(limited.headers.get('retry-after') ?? '', /^[1-9]\d*$/)
    assert.match(limited.headers.get('seam-request-id') ?? '', /^[0-9a-f-]{36}$/)
    // Another key, and the routes that need none, are not held back by it.
    assert.equal((await list(other)).status, 200)
    assert.equal((await rawRequest(`${server.endpoint}/health`)).status, 200)
    // The bucket refills at the rate: after retry-after, the key is let in again.
    await sleep(Number(limited.headers.get('retry-after')) * 1000)
    assert.equal((await list(server.apiKey)).status, 200)
  })

  it('refuses a key revoked while over its rate as revoked, not as rate limited', async () => {
    const { apiKeyId, apiKey } = await server.createKey(server.workspaceId, 'read')
    const list = () => rawRequest(`${server.endpoint}/events/list?since=2000-01-01`, { apiKey })
    assert.deepEqual([(await list()).status, (await list()).status, (await list()).status], [200, 200, 429])
    await server.store.workspaces.revokeApiKey(apiKeyId)
    const refused = await list()
    assert.equal(refused.status, 401, refused.text)
    assert.match(refused.json.error.message, /revoked/)
  })

  it("is retried by Seam's SDK 2.x on its own, and reported by 1.x as rate_limited", async () => {
    const [sdk1, sdk2] = seamSdks
    const { apiKey } = await server.createKey(server.workspaceId, 'read')
    const since = '2000-01-01T00:00:00Z'
    const client2 = seamClient(sdk2!, server.endpoint, apiKey)
    // Four calls against a burst of two at one a second: the last two wait out their 429s.
    for (let call = 0; call < 4; call += 1) assert.deepEqual(await client2.events.list({ since }), [])

    const { apiKey: apiKey1 } = await server.createKey(server.workspaceId, 'read')
    const client1 = seamClient(sdk1!, server.endpoint, apiKey1)
    await client1.events.list({ since })
    await client1.events.list({ since })
    await assert.rejects(client1.events.list({ since }), (error: any) => {
      assert.ok(error instanceof sdk1!.SeamHttpApiError)
      assert.equal(error.code, 'rate_limited')
      assert.equal(error.statusCode, 429)
      return true
    })
  })
})

describeEachBackend('limits and links', { timeout: 60_000 }, (backend) => {
  let server: TestServer
  before(async () => {
    server = await startTestServer({
      backend,
      worker: false,
      env: { MAX_WEBHOOKS_PER_WORKSPACE: '3', PUBLIC_URL: 'https://events.example.com/seam/' },
    })
  })
  after(() => server.close())

  it('refuses a webhook beyond MAX_WEBHOOKS_PER_WORKSPACE with a clear 400, per workspace', async () => {
    const create = (apiKey: string) =>
      rawRequest(`${server.endpoint}/webhooks/create`, {
        method: 'POST',
        apiKey,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url: 'http://127.0.0.1:9/hook' }),
      })
    const made = [await create(server.apiKey), await create(server.apiKey), await create(server.apiKey)]
    assert.deepEqual(made.map((answer) => answer.status), [200, 200, 200])
    const refused = await create(server.apiKey)
    assert.equal(refused.status, 400)
    assert.equal(refused.json.error.type, 'webhook_limit_reached')
    assert.match(refused.json.error.message, /has 3 webhooks, the most it may have \(MAX_WEBHOOKS_PER_WORKSPACE\)/)
    const listed = await rawRequest(`${server.endpoint}/webhooks/list`, { apiKey: server.apiKey })
    assert.equal(listed.json.webhooks.length, 3)

    // Another workspace has its own allowance; deleting one makes room again.
    const other = await server.createWorkspace('Other')
    assert.equal((await create(other.apiKey)).status, 200)
    const deleted = await rawRequest(`${server.endpoint}/webhooks/delete`, {
      method: 'POST',
      apiKey: server.apiKey,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ webhook_id: made[0]!.json.webhook.webhook_id }),
    })
    assert.equal(deleted.status, 200)
    assert.equal((await create(server.apiKey)).status, 200)
  })

  it('builds next_page_url on PUBLIC_URL, whatever Host the request carries', async () => {
    await publish(server.endpoint, server.apiKey, [lockEvent(), lockEvent()])
    const body = await new Promise<any>((resolve, reject) => {
      const request = http.get(
        `${server.endpoint}/events/list?since=2000-01-01&limit=1`,
        { headers: { host: 'attacker.example', authorization: `Bearer ${server.apiKey}` } },
        (response) => {
          let text = ''
          response.on('data', (chunk) => (text += chunk))
          response.on('end', () => resolve(JSON.parse(text)))
        },
      )
      request.on('error', reject)
    })
    const next = new URL(body.pagination.next_page_url)
    assert.equal(next.origin, 'https://events.example.com')
    assert.equal(next.pathname, '/seam/events/list')
    assert.equal(next.searchParams.get('page_cursor'), body.pagination.next_page_cursor)
    assert.ok(!body.pagination.next_page_url.includes('attacker'))
  })

  it('refuses a body nested deeper than 32 levels, naming the field, and takes one of 32', async () => {
    const nested = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`
    const body = (levels: number) => `{"events":[${JSON.stringify(lockEvent()).slice(0, -1)},"custom":${nested(levels)}}]}`
    // The body is level 1, the list 2, the event 3: a custom field may nest 29 more.
    const accepted = await rawRequest(`${server.endpoint}/events/publish`, {
      method: 'POST',
      apiKey: server.apiKey,
      headers: { 'content-type': 'application/json' },
      body: body(29),
    })
    assert.equal(accepted.status, 200, accepted.text)
    for (const levels of [30, 5000]) {
      const refused = await rawRequest(`${server.endpoint}/events/publish`, {
        method: 'POST',
        apiKey: server.apiKey,
        headers: { 'content-type': 'application/json' },
        body: body(levels),
      })
      assert.equal(refused.status, 400)
      assert.equal(refused.json.error.type, 'invalid_input')
      assert.deepEqual(refused.json.error.validation_errors.events['0'].custom._errors, [
        'Nested deeper than 32 levels of objects and arrays',
      ])
    }
  })

  it('refuses an invalid event in the single-event form as the batch form does', async () => {
    const refused = await rawRequest(`${server.endpoint}/events/publish`, {
      method: 'POST',
      apiKey: server.apiKey,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ event: { event_type: 'lock.unlocked', device_id: 'nope' } }),
    })
    assert.equal(refused.status, 400)
    assert.equal(refused.json.error.type, 'invalid_input')
    assert.ok(refused.json.error.validation_errors.event.device_id._errors.length > 0)
  })

  it('takes query keys named like Object.prototype members as unknown parameters', async () => {
    for (const key of ['toString', 'constructor', 'hasOwnProperty', 'valueOf', '__proto__', 'toString[]']) {
      const answer = await rawRequest(`${server.endpoint}/events/list?since=2000-01-01&${key}=1&${key}=2`, { apiKey: server.apiKey })
      assert.equal(answer.status, 200, `${key}: ${answer.text}`)
      assert.ok(answer.json.events.length >= 2)
    }
  })
})
