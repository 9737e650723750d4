// The event stream across API nodes: two `seam-events serve` processes on one PostgreSQL
// database, a stream held on one, events published through the other.
// Single backend (postgres): several API nodes share one database only on PostgreSQL.

import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'

import { skipUnlessBackend } from './support/backends.ts'
import { cliJson, startServe, type RunningServer } from './support/cli-process.ts'
import { publish } from './support/http.ts'
import { createTestDatabase } from './support/postgres.ts'
import { openStream, type SseConnection } from './support/sse.ts'
import { lockUnlocked } from './support/webhook-api.ts'

/**
 * Streams that would not read on their own for five minutes: every event below reaches a stream
 * on the other node through PostgreSQL's notification.
 */
const nodeEnv = { STREAM_POLL_SECONDS: '300', LOG_LEVEL: 'info' }

const eventIds = (messages: readonly { data: string }[]) => messages.map((message) => JSON.parse(message.data).event_id)

describe('the event stream on several API nodes (PostgreSQL)', { timeout: 120_000, skip: skipUnlessBackend('postgres') }, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>
  let nodes: RunningServer[] = []
  let apiKey: string
  const streams: SseConnection[] = []

  before(async () => {
    database = await createTestDatabase()
    const workspace = await cliJson(['workspaces', 'create', '--name', 'Nodes', '--database', database.url])
    apiKey = workspace.token
    nodes = await Promise.all([1, 2].map(() => startServe(['--database', database.url, '--no-worker'], nodeEnv)))
  })
  after(async () => {
    // With streams still open: a node ends them as it stops.
    for (const node of nodes) {
      node.process.kill('SIGTERM')
      assert.equal(await node.exited, 0, 'a node with open streams stops cleanly')
    }
    for (const stream of streams) stream.close()
    await database.drop()
  })

  const open = async (node: RunningServer, query: string, lastEventId?: string) => {
    const stream = await openStream(`${node.endpoint}/events/stream${query}`, lastEventId === undefined ? { apiKey } : { apiKey, lastEventId })
    streams.push(stream)
    assert.equal(stream.response.status, 200)
    return stream
  }

  it('delivers an event published through node A to a stream held on node B', async () => {
    const [a, b] = nodes as [RunningServer, RunningServer]
    const deviceId = randomUUID()
    const onB = await open(b, `?device_id=${deviceId}`)
    const published = await publish(a.endpoint, apiKey, [lockUnlocked(deviceId), lockUnlocked(deviceId)])
    assert.deepEqual(eventIds(await onB.take(2)), published.map((event) => event.event_id))
    // And the other way round, to a stream on A.
    const onA = await open(a, `?device_id=${deviceId}`)
    const more = await publish(b.endpoint, apiKey, [lockUnlocked(deviceId)])
    assert.deepEqual(eventIds(await onA.take(1)), [more[0]!.event_id])
    assert.deepEqual(eventIds(await onB.take(1, 2)), [more[0]!.event_id])
  })

  it('resumes on node B from an id that node A sent', async () => {
    const [a, b] = nodes as [RunningServer, RunningServer]
    const deviceId = randomUUID()
    const onA = await open(a, `?device_id=${deviceId}`)
    const first = await publish(a.endpoint, apiKey, [lockUnlocked(deviceId), lockUnlocked(deviceId)])
    const seen = await onA.take(2)
    assert.deepEqual(eventIds(seen), first.map((event) => event.event_id))
    onA.close()

    const missed = await publish(a.endpoint, apiKey, [lockUnlocked(deviceId), lockUnlocked(deviceId)])
    const onB = await open(b, `?device_id=${deviceId}`, seen[1]!.id)
    assert.deepEqual(eventIds(await onB.take(2)), missed.map((event) => event.event_id))
    const live = await publish(a.endpoint, apiKey, [lockUnlocked(deviceId)])
    assert.deepEqual(eventIds(await onB.take(1, 2)), [live[0]!.event_id], 'then live, nothing repeated')
  })
})
