// The console's files as the server hands them out: what a browser gets before any script runs.
// Single backend (any): the files do not come from the store.

import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'

import { anyBackend } from './support/backends.ts'
import { rawRequest } from './support/http.ts'
import { startTestServer, type TestServer } from './support/test-server.ts'

describe('the console at /console', () => {
  let server: TestServer

  before(async () => {
    server = await startTestServer({ backend: anyBackend })
  })
  after(async () => {
    await server.close()
  })

  test('/console and /console/ serve the page, with a same-origin content security policy', async () => {
    for (const path of ['/console', '/console/']) {
      const page = await rawRequest(`${server.endpoint}${path}`, { redirect: 'manual' })
      assert.equal(page.status, 200, path)
      assert.match(page.headers.get('content-type') ?? '', /^text\/html/)
      assert.match(page.text, /<div id="app"><\/div>/)
      const policy = page.headers.get('content-security-policy') ?? ''
      assert.match(policy, /default-src 'self'/)
      assert.match(policy, /connect-src 'self'/)
      assert.equal(page.headers.get('cache-control'), 'no-cache')
    }
  })

  test('/ redirects to the console (302), with or without a key', async () => {
    for (const init of [{}, { apiKey: server.apiKey }]) {
      const response = await rawRequest(`${server.endpoint}/`, { redirect: 'manual', ...init })
      assert.equal(response.status, 302)
      assert.equal(response.headers.get('location'), '/console')
    }
    const followed = await fetch(`${server.endpoint}/`)
    assert.equal(followed.status, 200)
    assert.equal(new URL(followed.url).pathname, '/console')
    assert.match(await followed.text(), /<div id="app"><\/div>/)
  })

  test('every script and stylesheet of the page is served by this process, cached for good', async () => {
    const page = await rawRequest(`${server.endpoint}/console/`)
    const references = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)]
      .map((match) => match[1] as string)
      // The empty inline icon (data:,) is what stops a request for /favicon.ico.
      .filter((reference) => reference !== 'data:,')
    assert.ok(references.some((reference) => reference.endsWith('.js')))
    assert.ok(references.some((reference) => reference.endsWith('.css')))
    for (const reference of references) {
      assert.match(reference, /^\/console\/assets\//, `${reference} is same-origin`)
      const asset = await fetch(`${server.endpoint}${reference}`)
      assert.equal(asset.status, 200, reference)
      assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable')
    }
  })

  test('a missing console file is an ordinary not_found error', async () => {
    const response = await rawRequest(`${server.endpoint}/console/assets/missing.js`)
    assert.equal(response.status, 404)
    assert.equal(response.json.error.type, 'not_found')
  })
})
