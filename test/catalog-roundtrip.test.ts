// One valid event of every type in Seam's published schema, published and read back through
// both SDK majors. The types and their fields come from @seamapi/types itself, so upgrading it
// extends this test.

import assert from 'node:assert/strict'
import { after, before, it } from 'node:test'

import { knownEventTypes } from '../src/domain/event-catalog.ts'
import { describeEachBackend } from './support/backends.ts'
import { publish } from './support/http.ts'
import { catalogEventTypes, sampleEventFor } from './support/sample-events.ts'
import { newestSeamSdks, seamClient } from './support/seam-sdks.ts'
import { startTestServer, type TestServer } from './support/test-server.ts'

describeEachBackend('every type of the installed schema', (backend) => {
  let server: TestServer
  before(async () => {
    server = await startTestServer({ backend })
  })
  after(async () => server.close())

  it('the server knows exactly the types of the installed schema', () => {
    assert.deepEqual([...knownEventTypes].sort(), [...catalogEventTypes].sort())
    assert.ok(catalogEventTypes.length >= 96)
  })

  it('publishes one event of every type, with all its fields, and reads each back unchanged', async () => {
    const samples = catalogEventTypes.map((eventType, index) => sampleEventFor(eventType, index))
    const stored = await publish(server.endpoint, server.apiKey, samples)
    assert.equal(stored.length, samples.length)

    stored.forEach((event, index) => {
      const sample = samples[index]!
      for (const [field, value] of Object.entries(sample)) {
        assert.deepEqual(event[field], value, `${sample['event_type']}.${field}`)
      }
      assert.equal(event['workspace_id'], server.workspaceId)
      assert.equal(typeof event['event_description'], 'string')
    })

    for (const sdk of newestSeamSdks) {
      const client = seamClient(sdk, server.endpoint, server.apiKey)
      const listed = await client.events.list({ since: new Date(0), limit: 10_000 })
      assert.deepEqual(listed, [...stored].reverse(), sdk.name)
      for (const event of stored) {
        assert.deepEqual(await client.events.get({ event_id: event['event_id'] }), event)
        const ofType = await client.events.list({ since: new Date(0), event_type: event['event_type'] })
        assert.deepEqual(ofType, [event], `${sdk.name} event_type=${event['event_type']}`)
      }
    }
  })
})
