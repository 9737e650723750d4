// Several `seam-events` processes on one PostgreSQL database, as operators scale out: migrations
// that start at once, and API nodes that each see what the others stored.

import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'

import { cli, cliJson, startServe, type RunningServer } from './support/cli-process.ts'
import { publish } from './support/http.ts'
import { createTestDatabase } from './support/postgres.ts'
import { seamClient, seamSdks } from './support/seam-sdks.ts'
import { lockUnlocked } from './support/webhook-api.ts'

describe('seam-events processes on one PostgreSQL database', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>
  const running: RunningServer[] = []

  before(async () => {
    database = await createTestDatabase()
  })
  after(async () => {
    for (const server of running) {
      server.process.kill('SIGTERM')
      await server.exited
    }
    await database.drop()
  })

  it('migrates once when several processes start at once', async () => {
    const results = await Promise.all(
      [1, 2, 3].map(() => cli(['migrate', '--database', database.url, '--json'])),
    )
    for (const { stdout } of results) assert.deepEqual(JSON.parse(stdout), { migrated: true })
    const workspace = await cliJson(['workspaces', 'create', '--name', 'Fleet', '--database', database.url])
    const listed = await cliJson(['workspaces', 'list', '--database', database.url])
    assert.deepEqual(listed.workspaces.map((w: any) => w.workspace_id), [workspace.workspace_id])
  })

  it('lists on every API node what was published through any of them', async () => {
    const workspace = await cliJson(['workspaces', 'create', '--name', 'Nodes', '--database', database.url])
    const nodes = await Promise.all([1, 2].map(() => startServe(['--database', database.url, '--no-worker'])))
    running.push(...nodes)
    const since = new Date(Date.now() - 1000).toISOString()
    const published: string[] = []
    for (const [index, node] of nodes.entries()) {
      const events = await publish(node.endpoint, workspace.token, [lockUnlocked(), lockUnlocked()])
      published.push(...events.map((event) => event.event_id))
      // Read back at once through the other node.
      const other = nodes[(index + 1) % nodes.length]!
      const seam = seamClient(seamSdks[1]!, other.endpoint, workspace.token)
      const listed = await seam.events.list({ since })
      assert.deepEqual(
        new Set(listed.map((event: any) => event.event_id)),
        new Set(published),
        `node ${(index + 1) % nodes.length} sees every event published so far`,
      )
    }
  })
})
