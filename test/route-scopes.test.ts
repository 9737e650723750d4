// Which key may call which route. The table below is written out by hand, apart from the routes'
// own declarations, and every route the server registers must be in it: a new route cannot be
// added without its rule being stated and tried here, with no key and with each scope.

import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'

import { routes } from '../src/http/server.ts'
import type { ApiKeyScope } from '../src/store/store.ts'
import { describeEachBackend } from './support/backends.ts'
import { rawRequest } from './support/http.ts'
import { seamClient, seamSdks } from './support/seam-sdks.ts'
import { startTestServer, type TestServer } from './support/test-server.ts'

/** The scopes whose keys may call each route; `public` routes need no key. */
const expectedScopes: Record<string, readonly ApiKeyScope[] | 'public'> = {
  '/events/list': ['read', 'all'],
  '/events/get': ['read', 'all'],
  '/events/histogram': ['read', 'all'],
  '/events/stream': ['read', 'all'],
  '/events/publish': ['publish', 'all'],
  '/webhooks/list': ['read', 'all'],
  '/webhooks/get': ['read', 'all'],
  '/webhooks/deliveries/list': ['read', 'all'],
  '/webhooks/deliveries/get': ['read', 'all'],
  // The key's own workspace: the console names it in its header whatever the key may do.
  '/workspaces/get': ['read', 'publish', 'all'],
  '/webhooks/recoveries/get': ['read', 'all'],
  // Whatever changes a webhook or causes a delivery: such a key could re-point a webhook or learn
  // its secret, and so sign deliveries its receiver trusts.
  '/webhooks/create': ['all'],
  '/webhooks/update': ['all'],
  '/webhooks/delete': ['all'],
  '/webhooks/rotate_secret': ['all'],
  '/webhooks/recover': ['all'],
  '/webhooks/deliveries/retry': ['all'],
  '/webhooks/deliveries/retry_failed': ['all'],
  '/webhooks/send_test_event': ['all'],
  '/': 'public',
  '/health': 'public',
  '/ready': 'public',
  '/openapi.json': 'public',
  '/docs': 'public',
  '/docs/init.js': 'public',
  '/docs/event-types': 'public',
  '/docs/event-types.md': 'public',
  '/docs/assets/*': 'public',
  '/console': 'public',
  '/console/*': 'public',
}

const scopes: readonly ApiKeyScope[] = ['read', 'publish', 'all']

/**
 * The routes that may run while their key is read again (src/http/admission.ts): each only
 * reads, and sends nothing but its answer. A route added to this list must be one that could be
 * run for a key just revoked without anything of it reaching anyone.
 */
const runBesideTheirKeysLookup = [
  '/events/get',
  '/events/histogram',
  '/events/list',
  '/webhooks/deliveries/get',
  '/webhooks/deliveries/list',
  '/webhooks/get',
  '/webhooks/list',
  '/webhooks/recoveries/get',
]

describe('routes run beside their key\'s lookup', () => {
  it('are the read routes listed here, and no other', () => {
    const speculative = routes.filter((route) => route.readsOnly === true)
    assert.deepEqual(speculative.map((route) => route.path).sort(), runBesideTheirKeysLookup)
    for (const route of speculative) assert.equal(route.access, 'read', route.path)
  })
})

describeEachBackend('key scopes on every route', { timeout: 120_000 }, (backend) => {
  let server: TestServer
  const registered = new Map<string, Set<string>>()
  const keys = {} as Record<ApiKeyScope, string>

  before(async () => {
    server = await startTestServer({
      backend,
      worker: false,
      onRoute: (route) => {
        const methods = registered.get(route.url) ?? new Set<string>()
        for (const method of [route.method].flat()) methods.add(method)
        registered.set(route.url, methods)
      },
    })
    for (const scope of scopes) keys[scope] = (await server.createKey(server.workspaceId, scope)).apiKey
  })
  after(() => server.close())

  it('states a rule for every registered route, and for no route that is not there', () => {
    assert.deepEqual([...registered.keys()].sort(), Object.keys(expectedScopes).sort())
  })

  it('answers each route and method with no key, and with a key of each scope, as the table says', async () => {
    const tried: string[] = []
    for (const [path, methods] of registered) {
      const expected = expectedScopes[path]
      assert.ok(expected !== undefined, `${path} has no rule`)
      const url = `${server.endpoint}${path.replace('*', 'index.html')}`
      for (const method of methods) {
        // The stream stays open when it is let in: its headers are all this test needs.
        const request = async (apiKey?: string) => {
          const controller = new AbortController()
          const response = await fetch(url, {
            method,
            signal: controller.signal,
            headers: apiKey === undefined ? {} : { authorization: `Bearer ${apiKey}` },
          })
          const text = method === 'HEAD' || (path === '/events/stream' && response.status === 200) ? '' : await response.text()
          controller.abort()
          const json = (response.headers.get('content-type') ?? '').startsWith('application/json') && text !== ''
          return { status: response.status, json: json ? JSON.parse(text) : undefined }
        }
        const anonymous = await request()
        if (expected === 'public') {
          assert.notEqual(anonymous.status, 401, `${method} ${path} without a key`)
          assert.notEqual(anonymous.status, 403, `${method} ${path} without a key`)
          tried.push(`${method} ${path}`)
          continue
        }
        assert.equal(anonymous.status, 401, `${method} ${path} without a key`)
        if (method !== 'HEAD') assert.equal(anonymous.json.error.type, 'unauthorized')
        for (const scope of scopes) {
          const response = await request(keys[scope])
          if (expected.includes(scope)) {
            assert.ok(![401, 403].includes(response.status), `${method} ${path} with a ${scope} key: ${response.status}`)
          } else {
            assert.equal(response.status, 403, `${method} ${path} with a ${scope} key`)
            if (method !== 'HEAD') {
              assert.equal(response.json.error.type, 'forbidden')
              const needed = expected.map((allowed) => `"${allowed}"`).join(' or ')
              assert.equal(
                response.json.error.message,
                `This API key's scope is "${scope}"; this route needs a key of scope ${needed}`,
              )
            }
          }
        }
        tried.push(`${method} ${path}`)
      }
    }
    assert.ok(tried.length >= Object.keys(expectedScopes).length)
  })

  it('shows a webhook secret only to a key of scope "all"', async () => {
    const created = await rawRequest(`${server.endpoint}/webhooks/create`, {
      method: 'POST',
      apiKey: keys.all,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: 'http://127.0.0.1:9/hook' }),
    })
    assert.equal(created.status, 200, created.text)
    const { webhook_id, secret } = created.json.webhook
    assert.match(secret, /^whsec_/)

    for (const sdk of seamSdks) {
      const reader = seamClient(sdk, server.endpoint, keys.read)
      const owner = seamClient(sdk, server.endpoint, keys.all)
      const readGet = await reader.webhooks.get({ webhook_id })
      assert.equal(readGet.webhook_id, webhook_id, sdk.name)
      assert.equal(readGet.secret, undefined, `${sdk.name}: webhooks.get with a read key`)
      const readList = await reader.webhooks.list()
      assert.deepEqual(readList.map((webhook: any) => webhook.secret), [undefined], `${sdk.name}: webhooks.list with a read key`)
      assert.ok(!JSON.stringify(readList).includes(secret))
      assert.equal((await owner.webhooks.get({ webhook_id })).secret, secret, sdk.name)
      assert.deepEqual((await owner.webhooks.list()).map((webhook: any) => webhook.secret), [secret], sdk.name)

      // A read key can neither re-point the webhook nor rotate its secret, through the SDK too.
      await assert.rejects(reader.webhooks.update({ webhook_id, event_types: ['lock.locked'] }), (error: any) => {
        assert.ok(error instanceof sdk.SeamHttpApiError, sdk.name)
        assert.equal(error.code, 'forbidden')
        return true
      })
      await assert.rejects(reader.webhooks.delete({ webhook_id }), (error: any) => error.code === 'forbidden')
    }
    const rotated = await rawRequest(`${server.endpoint}/webhooks/rotate_secret`, {
      method: 'POST',
      apiKey: keys.read,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ webhook_id }),
    })
    assert.equal(rotated.status, 403)
    assert.ok(!rotated.text.includes('whsec_'))
    // Nothing a refused key asked for happened.
    const after = await rawRequest(`${server.endpoint}/webhooks/get?webhook_id=${webhook_id}`, { apiKey: keys.all })
    assert.equal(after.json.webhook.secret, secret)
    assert.deepEqual(after.json.webhook.event_types, created.json.webhook.event_types)
  })
})
