// Every bad request is a client error in Seam's envelope, whatever its route, method, content
// type, keys, nesting or size, and none of them costs an acknowledged event. A fuzz run with a
// fixed seed (FUZZ_SEED to try another, FUZZ_REQUESTS for more): thousands of requests over
// every registered route, each answer checked as a client would see it.

import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import net from 'node:net'
import { after, before, it } from 'node:test'

import { describeEachBackend } from './support/backends.ts'
import { publish, rawRequest } from './support/http.ts'
import { startDnsServer, type DnsServer } from './support/dns-server.ts'
import { startTestServer, type TestServer } from './support/test-server.ts'

const seed = Number(process.env['FUZZ_SEED'] ?? 20261202)
const requestCount = Number(process.env['FUZZ_REQUESTS'] ?? 3000)

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
function random(seedValue: number): () => number {
  let state = seedValue >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** What an answer must never show: stack frames, source paths, driver and SQL errors. */
const internals = [
  /\bat [\w$.<>]+ \(/,
  /\n\s+at /,
  /[\w-]+\.(ts|js|mjs|cjs):\d+/,
  /node_modules/,
  /SQLITE_/,
  /\b(TypeError|RangeError|ReferenceError|SyntaxError)\b/,
  /syntax error at or near/,
  /relation "/,
  /\/(work|home|root|tmp|usr)\//,
]

// Keys named like members of Object.prototype, and others that mean something to a parser.
const trickyKeys = [
  'toString', 'constructor', 'hasOwnProperty', 'valueOf', '__proto__', 'prototype', 'isPrototypeOf',
  '__defineGetter__', 'propertyIsEnumerable', 'toLocaleString', 'then', 'length', '_strict', '',
  'since', 'between', 'limit', 'page_cursor', 'event_type', 'event_types', 'device_id', 'device_ids',
  'event_id', 'event_ids', 'webhook_id', 'delivery_id', 'recovery_id', 'url', 'events', 'event',
  'bucket_seconds', 'unstable_offset', 'disabled', 'customer_key', 'last_event_id', 'until',
]
const trickyStrings = [
  '', ' ', '0', '-1', '1e309', 'NaN', 'null', 'true', '[]', '{}', '2024-01-01', '2024-13-45T99:99:99Z',
  randomUUID(), 'not-a-uuid', 'lock.unlocked', 'lock.*', '*', '..', 'a'.repeat(5000), '\u0000', '\u202e',
  '%', '%E0%A4%A', '😀', '\ud800', 'http://127.0.0.1:9/', 'http://example.test/', 'javascript:alert(1)',
  '<script>', "'; --", '${x}', '\r\nx-injected: 1',
]
const contentTypes = [
  undefined, 'application/json', 'application/json; charset=utf-8', 'application/json; charset=utf-16',
  'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml',
  'application/octet-stream', 'APPLICATION/JSON', 'application/json;;', '*/*', 'garbage',
]
const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']

describeEachBackend('malformed requests', { timeout: 240_000 }, (backend) => {
  let server: TestServer
  let dns: DnsServer
  const registeredMethods = new Map<string, string[]>()
  const keys: string[] = []
  let acknowledged: string[] = []

  before(async () => {
    // Names are resolved by a DNS server of the test's own: a fuzzed webhook URL sends nothing
    // anywhere, and private targets are refused, as in production.
    dns = await startDnsServer({ 'example.test': ['127.0.0.1'] })
    server = await startTestServer({
      backend,
      worker: false,
      env: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'false', WEBHOOK_DNS_SERVERS: dns.server },
      onRoute: (route) => {
        registeredMethods.set(route.url, [...(registeredMethods.get(route.url) ?? []), ...[route.method].flat()])
      },
    })
    keys.push(server.apiKey)
    for (const scope of ['read', 'publish'] as const) keys.push((await server.createKey(server.workspaceId, scope)).apiKey)
    keys.push('seam_not_a_key', '')
    const stored = await publish(
      server.endpoint,
      server.apiKey,
      Array.from({ length: 50 }, (_, index) => ({
        event_type: 'lock.unlocked',
        device_id: randomUUID(),
        connected_account_id: randomUUID(),
        method: index % 2 === 0 ? 'keycode' : 'manual',
      })),
    )
    acknowledged = stored.map((event) => event.event_id)
  })
  after(async () => {
    await server.close()
    await dns.close()
  })

  const assertClientError = (label: string, status: number, headers: Headers, text: string, method: string) => {
    assert.ok(status < 500, `${label}: ${status} ${text.slice(0, 300)}`)
    assert.match(headers.get('seam-request-id') ?? '', /^[0-9a-f-]{36}$/, `${label}: no seam-request-id`)
    if (status >= 400 && method !== 'HEAD') {
      // Refusals are what could leak; successful answers hold the documents and data asked for.
      for (const pattern of internals) assert.doesNotMatch(text, pattern, `${label} leaks: ${text.slice(0, 300)}`)
      const body = JSON.parse(text)
      assert.equal(body.ok, false, label)
      assert.equal(typeof body.error.type, 'string', label)
      assert.equal(typeof body.error.message, 'string', label)
      assert.equal(body.error.request_id, headers.get('seam-request-id'), label)
    }
  }

  it(`answers ${requestCount} fuzzed requests (seed ${seed}) with no 5xx and nothing internal`, async (t) => {
    const next = random(seed)
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T
    const paths = [...registeredMethods.keys()].map((path) => path.replace('*', pick(['index.html', '..%2f..%2fetc', 'x'])))
    paths.push('/nope', '/events', '/events/list/', '//events/list', '/events/list%00', '/webhooks/deliveries')
    const routes = [...registeredMethods]

    const randomValue = (depth: number): unknown => {
      const roll = next()
      if (depth > 3 || roll < 0.35) return pick(trickyStrings)
      if (roll < 0.45) return Math.floor(next() * 2e6) - 1e6
      if (roll < 0.5) return pick([true, false, null, 0.5, -0, 1e21])
      if (roll < 0.75) return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(depth + 1))
      return Object.fromEntries(
        Array.from({ length: Math.floor(next() * 5) }, () => [pick(trickyKeys), randomValue(depth + 1)]),
      )
    }
    const randomQuery = (): string => {
      const parts: string[] = []
      for (let i = Math.floor(next() * 5); i > 0; i -= 1) {
        const key = pick(trickyKeys) + pick(['', '', '[]', '[0]', '.x'])
        const value = pick(trickyStrings)
        const encoded = next() < 0.2 || value.includes('\ud800') ? `${key}=${value}` : `${encodeURIComponent(key)}=${encodeURIComponent(value)}`
        parts.push(encoded)
      }
      return parts.join('&')
    }
    const randomBody = (): string | undefined => {
      const roll = next()
      if (roll < 0.15) return undefined
      if (roll < 0.55) return JSON.stringify(randomValue(0))
      if (roll < 0.65) {
        // A valid shape with one bad event: the single form and the batch form.
        const event = { event_type: pick(['lock.unlocked', 'device.connected', 'nope', 'x.y']), ...(randomValue(2) as object) }
        return JSON.stringify(next() < 0.5 ? { event } : { events: [event, randomValue(1)] })
      }
      if (roll < 0.72) {
        const depth = pick([31, 32, 33, 100, 5000])
        const event = `"event_type":"lock.unlocked","device_id":"${randomUUID()}","connected_account_id":"${randomUUID()}","method":"keycode"`
        return `{"events":[{${event},"custom":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}]}`
      }
      if (roll < 0.77) return '['.repeat(pick([10, 1000, 20000])) + ']'.repeat(pick([0, 10]))
      if (roll < 0.87) return pick(['{', '{"a":', 'nul', '"\\u', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}', '\u0000', '', '   '])
      if (roll < 0.92) return 'x'.repeat(pick([1024, 1024 * 1024 + 1]))
      return Buffer.from(Array.from({ length: 64 }, () => Math.floor(next() * 256))).toString('latin1')
    }

    const outcomes = new Map<number, number>()
    let index = 0
    const runOne = async (): Promise<void> => {
      const number = index++
      // Half the requests look like a client's (a route's own method, a valid key, JSON) so that
      // they get past the front door to the parameters; the rest are anything at all.
      const plausible = next() < 0.5
      const [routePath, routeMethods] = pick(routes)
      const method = plausible ? pick(routeMethods) : pick(methods)
      const path = plausible ? routePath.replace('*', 'index.html') : pick(paths)
      const query = randomQuery()
      const contentType = plausible ? 'application/json' : pick(contentTypes)
      const body = method === 'GET' || method === 'HEAD' ? undefined : randomBody()
      const key = plausible ? pick(keys.slice(0, 3)) : pick(keys)
      const headers: Record<string, string> = {}
      if (contentType !== undefined) headers['content-type'] = contentType
      if (key !== '') {
        headers['authorization'] = plausible ? `Bearer ${key}` : pick([`Bearer ${key}`, `bearer  ${key}`, key, `Basic ${key}`])
      }
      if (next() < 0.05) headers['last-event-id'] = pick(trickyStrings.filter((value) => !/[\r\n\u0000]/.test(value) && !/[^\u0000-\u00ff]/.test(value)))
      const url = `${server.endpoint}${path}${query === '' ? '' : `?${query}`}`
      const label = `#${number} ${method} ${path}?${query.slice(0, 120)} (${contentType ?? 'no content type'})`
      const controller = new AbortController()
      let response: Response
      try {
        response = await fetch(url, { method, headers, signal: controller.signal, ...(body === undefined ? {} : { body }) })
      } catch (error) {
        // fetch itself refuses some requests before sending them (a malformed URL).
        if (error instanceof TypeError && /Invalid URL|invalid/i.test(String(error.message))) return
        throw new Error(`${label}: ${String(error)}`)
      }
      // A stream that was let in stays open; its headers say enough.
      const text = response.headers.get('content-type')?.startsWith('text/event-stream') ? '' : await response.text()
      controller.abort()
      outcomes.set(response.status, (outcomes.get(response.status) ?? 0) + 1)
      assertClientError(label, response.status, response.headers, text, method)
    }
    const workers = Array.from({ length: 8 }, async () => {
      while (index < requestCount) await runOne()
    })
    await Promise.all(workers)

    t.diagnostic(`statuses: ${JSON.stringify(Object.fromEntries([...outcomes].sort(([a], [b]) => a - b)))}`)
    assert.equal([...outcomes.keys()].filter((status) => status >= 500).length, 0)
    // The fuzz reached more than the front door: many kinds of answer, valid ones among them.
    for (const status of [200, 400, 401, 403, 404, 405]) assert.ok((outcomes.get(status) ?? 0) > 0, `no ${status} in ${JSON.stringify([...outcomes])}`)
  })

  it('answers what Node refuses before Fastify sees it in the envelope too, and closes the connection', async () => {
    const { port } = new URL(server.endpoint)
    const sendRaw = (bytes: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = net.connect(Number(port), '127.0.0.1')
        let received = ''
        socket.setEncoding('latin1')
        socket.on('data', (chunk) => (received += chunk))
        socket.on('error', reject)
        socket.on('close', () => resolve(received))
        socket.end(bytes)
      })
    const cases: [string, number, string][] = [
      [`GET /events/list?since=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 431, 'headers_too_large'],
      [`GET /health HTTP/1.1\r\nHost: x\r\nx-big: ${'b'.repeat(20_000)}\r\n\r\n`, 431, 'headers_too_large'],
      ['HELLO\r\n\r\n', 400, 'invalid_input'],
      ['GET /health HTTP/9.9\r\n\r\n', 400, 'invalid_input'],
      ['POST /events/publish HTTP/1.1\r\nHost: x\r\ncontent-length: 5\r\ncontent-length: 6\r\n\r\n{}', 400, 'invalid_input'],
      ['POST /events/publish HTTP/1.1\r\nHost: x\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n', 400, 'invalid_input'],
      ['GET /health HTTP/1.1\r\nHost: x\r\nbad header\r\n\r\n', 400, 'invalid_input'],
    ]
    for (const [bytes, status, type] of cases) {
      const response = await sendRaw(bytes)
      const [head = '', body = ''] = response.split('\r\n\r\n')
      assert.match(head, new RegExp(`^HTTP/1.1 ${status} `), `${bytes.slice(0, 60)} -> ${response.slice(0, 200)}`)
      assert.match(head, /\r\nseam-request-id: [0-9a-f-]{36}\r\n/i)
      const parsed = JSON.parse(body)
      assert.equal(parsed.error.type, type)
      assert.equal(parsed.ok, false)
      for (const pattern of internals) assert.doesNotMatch(response, pattern)
    }
  })

  it('still has every acknowledged event, and still answers', async () => {
    const listed = await rawRequest(`${server.endpoint}/events/list?since=2000-01-01&limit=1000`, { apiKey: server.apiKey })
    assert.equal(listed.status, 200)
    const listedIds = new Set(listed.json.events.map((event: any) => event.event_id))
    for (const eventId of acknowledged) assert.ok(listedIds.has(eventId), `acknowledged event ${eventId} is gone`)
    assert.equal((await rawRequest(`${server.endpoint}/health`)).status, 200)
  })
})
