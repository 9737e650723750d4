// When the database goes away: readiness says so, and requests fail with a clean 500 whose
// request id leads to the full error in the logs.

import assert from 'node:assert/strict'
import { it } from 'node:test'

import { describeEachBackend } from './support/backends.ts'
import { rawRequest } from './support/http.ts'
import { startTestServer } from './support/test-server.ts'

describeEachBackend('when the database goes away', (backend) => {
  it('a lost database fails /ready with 503 and requests with a 500 that leaks nothing', async () => {
    const logLines: string[] = []
    const server = await startTestServer({ backend, logLines })
    try {
      assert.equal((await rawRequest(`${server.endpoint}/ready`)).status, 200)
      await server.store.close()

      const ready = await rawRequest(`${server.endpoint}/ready`)
      assert.equal(ready.status, 503)
      assert.equal(ready.json.error.type, 'service_unavailable')
      assert.equal((await rawRequest(`${server.endpoint}/health`)).status, 200)

      const response = await rawRequest(`${server.endpoint}/events/list?since=2024-01-01`, { apiKey: server.apiKey })
      assert.equal(response.status, 500)
      assert.equal(response.json.ok, false)
      assert.equal(response.json.error.type, 'internal_server_error')
      const requestId = response.headers.get('seam-request-id')
      assert.equal(response.json.error.request_id, requestId)
      assert.ok(response.json.error.message.includes(requestId))
      assert.doesNotMatch(response.text, /database|sqlite|\bat .+:\d+|\/src\//i)

      const logged = logLines.map((line) => JSON.parse(line)).find((entry) => entry.request_id === requestId && entry.level === 50)
      assert.ok(logged, 'the 500 is logged under its request id')
      // Each driver's own words for a closed database.
      const closed = backend === 'sqlite' ? /database connection is not open/ : /Cannot use a pool after calling end on the pool/
      assert.match(JSON.stringify(logged.err), closed)
    } finally {
      await server.close()
    }
  })
})
