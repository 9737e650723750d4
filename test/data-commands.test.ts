// `seam-events seed`, `export` and `import` as an operator runs them: real processes against the
// database of a real server, whose answers (events/list, webhooks) are what is checked. Runs on
// every backend of the run.

import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, it } from 'node:test'

import { describeEachBackend } from './support/backends.ts'
import { cli, startCommand } from './support/cli-process.ts'
import { listEveryEvent } from './support/event-pages.ts'
import { publish } from './support/http.ts'
import { startTestServer, type TestServer } from './support/test-server.ts'
import { callOk, lockUnlocked } from './support/webhook-api.ts'

const dayMs = 24 * 60 * 60 * 1000

async function failing(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    await cli(args)
  } catch (error) {
    return error as { code: number; stdout: string; stderr: string }
  }
  assert.fail(`seam-events ${args.join(' ')} succeeded`)
}

describeEachBackend('seam-events seed, export and import', { timeout: 300_000 }, (backend) => {
  let server: TestServer
  let target: TestServer
  let directory: string

  before(async () => {
    server = await startTestServer({ backend, worker: false })
    target = await startTestServer({ backend, worker: false })
    directory = mkdtempSync(join(tmpdir(), 'seam-events-data-'))
  })
  after(async () => {
    await server?.close()
    await target?.close()
    rmSync(directory, { recursive: true, force: true })
  })

  it("seeds a fleet's history over the last days, with no deliveries, and refuses a workspace with events unless --append", async () => {
    const workspace = await server.createWorkspace('seeded')
    const webhook = (await callOk({ endpoint: server.endpoint, apiKey: workspace.apiKey }, '/webhooks/create', { url: 'http://127.0.0.1:9/hook' })).webhook
    const startedAt = Date.now()
    const { stdout } = await cli(['seed', '--workspace', workspace.workspaceId, '--days', '3', '--events', '3000', '--seed', '7', '--database', server.databaseUrl, '--json'])
    const summary = JSON.parse(stdout)
    assert.equal(summary.events, 3000)
    assert.equal(summary.seed, 7)
    assert.ok(Object.keys(summary.families).length >= 15, Object.keys(summary.families).join(', '))

    const { events } = await listEveryEvent({ endpoint: server.endpoint, apiKey: workspace.apiKey })
    assert.equal(events.length, 3000)
    const parsed = events.map((text) => JSON.parse(text))
    const createdAt = parsed.map((event) => Date.parse(event.created_at))
    const oldest = Math.min(...createdAt)
    const newest = Math.max(...createdAt)
    // Spread over the three days: the oldest in the first hour of them, the newest in the last.
    assert.ok(oldest >= startedAt - 3 * dayMs - 60_000 && oldest < startedAt - 3 * dayMs + 60 * 60_000, new Date(oldest).toISOString())
    assert.ok(newest <= Date.now() && newest > Date.now() - 60 * 60_000, new Date(newest).toISOString())
    assert.equal(new Set(parsed.map((event) => event.created_at.slice(0, 10))).size >= 3, true)
    for (const event of parsed) {
      assert.equal(event.workspace_id, workspace.workspaceId)
      assert.equal(event.occurred_at, event.created_at)
      assert.equal(typeof event.event_description, 'string')
    }
    // The same fleet as `simulate --seed 7`: its devices, not random ones.
    assert.ok(parsed.some((event) => event.event_type === 'lock.unlocked' && event.method === 'keycode' && typeof event.access_code_id === 'string'))
    // History queues no deliveries.
    const deliveries = await callOk({ endpoint: server.endpoint, apiKey: workspace.apiKey }, '/webhooks/deliveries/list', { webhook_id: webhook.webhook_id })
    assert.deepEqual(deliveries.deliveries, [])

    const refused = await failing(['seed', '--workspace', workspace.workspaceId, '--days', '3', '--events', '10', '--database', server.databaseUrl])
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /already has events: give --append/)
    await cli(['seed', '--workspace', workspace.workspaceId, '--days', '1', '--events', '10', '--append', '--database', server.databaseUrl])
    assert.equal((await listEveryEvent({ endpoint: server.endpoint, apiKey: workspace.apiKey })).events.length, 3010)

    const tooLong = await failing(['seed', '--workspace', workspace.workspaceId, '--days', '31', '--events', '10', '--append', '--database', server.databaseUrl])
    assert.match(tooLong.stderr, /more than the 30 days workspace .* keeps events/)
    const unknown = await failing(['seed', '--workspace', '00000000-0000-4000-8000-000000000000', '--days', '1', '--events', '10', '--database', server.databaseUrl])
    assert.match(unknown.stderr, /No workspace 00000000-0000-4000-8000-000000000000/)
  })

  it('exports events exactly as events/list returns them, and imports them elsewhere as they were, once', async () => {
    const workspace = await server.createWorkspace('exported')
    const api = { endpoint: server.endpoint, apiKey: workspace.apiKey }
    await cli(['seed', '--workspace', workspace.workspaceId, '--days', '2', '--events', '1500', '--seed', '11', '--database', server.databaseUrl])
    // Published ones too: a batch shares one created_at, and its order must survive.
    await publish(server.endpoint, workspace.apiKey, Array.from({ length: 30 }, () => lockUnlocked()))

    const file = join(directory, `${backend}-export.ndjson`)
    const exported = await cli(['export', '--workspace', workspace.workspaceId, '--database', server.databaseUrl])
    writeFileSync(file, exported.stdout)
    const lines = exported.stdout.trimEnd().split('\n')
    assert.equal(lines.length, 1530)
    assert.match(exported.stderr, /1,530 events of 1 workspace/)
    const listed = await listEveryEvent(api)
    // Oldest first, each line byte for byte what events/list returns (newest first).
    assert.deepEqual(lines, [...listed.events].reverse())
    for (const line of lines.slice(0, 50)) assert.ok(listed.pages.some((page) => page.includes(line)))

    // --since and --until bound created_at like events/list's since and between.
    const middle = JSON.parse(lines[700] as string).created_at as string
    const since = (await cli(['export', '--workspace', workspace.workspaceId, '--since', middle, '--database', server.databaseUrl])).stdout.trimEnd().split('\n')
    const until = (await cli(['export', '--workspace', workspace.workspaceId, '--until', middle, '--database', server.databaseUrl])).stdout.trimEnd().split('\n')
    assert.deepEqual([...until, ...since], lines)
    assert.ok(since.every((line) => JSON.parse(line).created_at >= middle))

    // Into another database: refused without the workspace, then created with its id.
    const refused = await failing(['import', file, '--database', target.databaseUrl])
    assert.match(refused.stderr, new RegExp(`line 1: the database has no workspace ${workspace.workspaceId}; give --create-workspaces`))
    const { stdout } = await cli(['import', file, '--create-workspaces', '--batch-size', '400', '--database', target.databaseUrl, '--json'])
    const summary = JSON.parse(stdout)
    assert.equal(summary.stored, 1530)
    assert.equal(summary.already_stored, 0)
    assert.deepEqual(summary.workspaces_created, [workspace.workspaceId])
    const { apiKey } = await target.createKey(workspace.workspaceId, 'read')
    const imported = await listEveryEvent({ endpoint: target.endpoint, apiKey })
    // The same events/list, in the same order, byte for byte.
    assert.deepEqual(imported.events, listed.events)
    assert.deepEqual(
      imported.pages.map((page) => JSON.stringify(JSON.parse(page).events)),
      listed.pages.map((page) => JSON.stringify(JSON.parse(page).events)),
    )

    // Again, from stdin: nothing new.
    const again = startCommand(['import', '-', '--database', target.databaseUrl, '--json'])
    again.process.stdin.end(readFileSync(file))
    assert.equal(await again.exited, 0, again.output())
    const repeat = JSON.parse(again.output().split('\n').find((line) => line.startsWith('{"lines"')) as string)
    assert.equal(repeat.stored, 0)
    assert.equal(repeat.already_stored, 1530)
    assert.equal((await listEveryEvent({ endpoint: target.endpoint, apiKey })).events.length, 1530)
  })

  it('reports a line that is not an event by its number, and stops there unless --skip-invalid', async () => {
    const workspace = await target.createWorkspace('bad lines')
    const base = Date.now()
    const event = (index: number) =>
      JSON.stringify({
        event_id: `0b7e3f6a-1c2d-4e5f-8a9b-${String(index).padStart(12, '0')}`,
        event_type: 'lock.locked',
        workspace_id: workspace.workspaceId,
        created_at: new Date(base - (10 - index) * 60_000).toISOString(),
        occurred_at: new Date(base - (10 - index) * 60_000).toISOString(),
        device_id: '1b8c7a0e-2f5d-4a1c-9e7b-3d2f6a8c0e11',
        connected_account_id: '5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f',
        method: 'manual',
      })
    const file = join(directory, `${backend}-bad.ndjson`)
    writeFileSync(file, [event(1), event(2), '{"event_type": "lock.locked"', event(3), JSON.stringify({ ...JSON.parse(event(4)), created_at: 'yesterday' }), event(5), ''].join('\n'))

    const stopped = await failing(['import', file, '--database', target.databaseUrl])
    assert.equal(stopped.code, 1)
    assert.match(stopped.stderr, /line 3: not JSON/)
    assert.match(stopped.stderr, /stopped at line 3; the events before it are imported/)
    const api = { endpoint: target.endpoint, apiKey: workspace.apiKey }
    assert.equal((await listEveryEvent(api)).events.length, 2)

    const { stdout } = await cli(['import', file, '--skip-invalid', '--database', target.databaseUrl, '--json'])
    const summary = JSON.parse(stdout)
    assert.equal(summary.invalid_lines, 2)
    assert.equal(summary.stored, 2)
    assert.equal(summary.already_stored, 2)
    const { events } = await listEveryEvent(api)
    assert.deepEqual(events.map((text) => JSON.parse(text).event_id.slice(-1)).sort(), ['1', '2', '3', '5'])
    // What a poller sees: an imported event keeps its created_at, older than events published before the import.
    assert.equal(JSON.parse(events.at(-1) as string).created_at, JSON.parse(event(1)).created_at)
  })

  it('has --help for each command, naming both database kinds', async () => {
    for (const command of ['seed', 'export', 'import', 'copy', 'demo']) {
      const { stdout } = await cli([command, '--help'])
      assert.match(stdout, /postgres:\/\//, command)
      assert.match(stdout, /sqlite:/, command)
    }
  })
})
