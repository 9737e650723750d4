// QUERY_TIMEOUT_SECONDS: a read that runs past it is stopped and answered 503
// service_unavailable naming the setting, and the rest of the server goes on. PostgreSQL's reads
// are made to wait deterministically, behind a lock the test holds on the events table; SQLite's
// readers cannot be blocked by another connection (WAL), so there a read is made too big for a
// tiny timeout: a page of 10,000 events.

import assert from 'node:assert/strict'
import { after, before, it } from 'node:test'

import pg from 'pg'

import { describeEachBackend } from './support/backends.ts'
import { parsePublishRequest } from '../src/domain/publish-events.ts'
import { rawRequest } from './support/http.ts'
import { startTestServer, type TestServer } from './support/test-server.ts'

const timeoutSeconds = { sqlite: '0.005', postgres: '1' } as const

describeEachBackend('a query past QUERY_TIMEOUT_SECONDS', { timeout: 120_000 }, (backend) => {
  let server: TestServer
  let lockHolder: pg.Client | undefined

  before(async () => {
    server = await startTestServer({ backend, env: { QUERY_TIMEOUT_SECONDS: timeoutSeconds[backend] } })
    const events = Array.from({ length: 1000 }, () => ({
      event_type: 'lock.unlocked',
      device_id: '00000000-0000-4000-8000-000000000001',
      connected_account_id: '00000000-0000-4000-8000-000000000002',
      method: 'keycode',
    }))
    // Straight into the store: with so small a timeout, a publish's own reads (its key, the
    // webhooks to fan out to) could miss it on a busy machine.
    for (let batch = 0; batch < (backend === 'sqlite' ? 20 : 1); batch += 1) {
      // Parsed each time: each parse makes the events their own ids.
      const { drafts } = parsePublishRequest({ events }, { allowUnknownEventTypes: false })
      await server.store.events.insertEvents(server.workspaceId, drafts)
    }
  })
  after(async () => {
    await lockHolder?.end()
    await server?.close()
  })

  const list = (body: Record<string, unknown>) =>
    rawRequest(`${server.endpoint}/events/list`, {
      method: 'POST',
      apiKey: server.apiKey,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })

  it('is stopped and answered 503 service_unavailable, naming the setting; the server goes on', async () => {
    const since = '2000-01-01T00:00:00.000Z'
    let release = async () => {}
    if (backend === 'postgres') {
      lockHolder = new pg.Client({ connectionString: server.databaseUrl })
      await lockHolder.connect()
      await lockHolder.query('BEGIN')
      await lockHolder.query('LOCK TABLE events IN ACCESS EXCLUSIVE MODE')
      release = async () => {
        await lockHolder!.query('ROLLBACK')
      }
    }

    const started = Date.now()
    const stopped = await list({ since, limit: 10_000 })
    assert.equal(stopped.status, 503, stopped.text)
    assert.equal(stopped.json.error.type, 'service_unavailable')
    assert.match(stopped.json.error.message, /QUERY_TIMEOUT_SECONDS \(/)
    assert.ok(stopped.headers.get('seam-request-id'))
    if (backend === 'postgres') {
      // Stopped at its timeout, not at the lock's end (the lock is still held).
      assert.ok(Date.now() - started < 30_000)
    }

    // Meanwhile the rest of the server answers.
    const health = await rawRequest(`${server.endpoint}/health`)
    assert.equal(health.status, 200)
    if (backend === 'postgres') {
      // Reads of other tables too, while the events' lock still holds.
      const webhooks = await rawRequest(`${server.endpoint}/webhooks/list`, { method: 'POST', apiKey: server.apiKey })
      assert.equal(webhooks.status, 200, webhooks.text)
    }

    await release()
    // And reads work again, on a reader that replaced the stopped one (SQLite) or once the lock
    // is gone (PostgreSQL). On SQLite's tiny timeout even a small read can miss it on a busy
    // machine, so a few tries are allowed; each miss is itself a clean 503.
    let small = await list({ since, limit: 1 })
    for (let tries = 0; small.status === 503 && tries < 20; tries += 1) small = await list({ since, limit: 1 })
    assert.equal(small.status, 200, small.text)
    assert.equal(small.json.events.length, 1)
  })
})
