// The `seam-events` command as an operator runs it: a real process on a real database file.
// Single backend (sqlite): the commands on a database file; on PostgreSQL, see postgres-processes.

import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { skipUnlessBackend } from './support/backends.ts'
import { cli, cliJson, startServe } from './support/cli-process.ts'
import { rawRequest } from './support/http.ts'
import { newestSeamSdks, seamClient } from './support/seam-sdks.ts'

describe('seam-events CLI', { skip: skipUnlessBackend('sqlite') }, () => {
  let directory: string
  const database = () => join(directory, 'nested', 'events.db')

  before(() => {
    directory = mkdtempSync(join(tmpdir(), 'seam-events-cli-'))
  })
  after(() => rmSync(directory, { recursive: true, force: true }))

  it('manages workspaces and keys on a new, empty database', async () => {
    const created = await cliJson(['workspaces', 'create', '--name', 'Acme', '--database', database()])
    assert.match(created.workspace_id, /^[0-9a-f-]{36}$/)
    assert.equal(created.name, 'Acme')
    assert.match(created.token, /^seam_/)
    assert.match(created.api_key_id, /^[0-9a-f-]{36}$/)

    const listed = await cliJson(['workspaces', 'list', '--database', database()])
    assert.deepEqual(listed.workspaces.map((w: any) => w.workspace_id), [created.workspace_id])

    const key = await cliJson(['api-keys', 'create', '--workspace', created.workspace_id, '--name', 'bridge', '--scope', 'publish', '--database', database()])
    assert.equal(key.workspace_id, created.workspace_id)
    assert.equal(key.scope, 'publish')
    assert.equal(key.name, 'bridge')
    assert.match(key.token, /^seam_/)

    const keys = await cliJson(['api-keys', 'list', '--workspace', created.workspace_id, '--database', database()])
    assert.deepEqual(keys.api_keys.map((k: any) => k.api_key_id), [created.api_key_id, key.api_key_id])
    assert.ok(!JSON.stringify(keys).includes(key.token), 'tokens are never shown again')

    const revoked = await cliJson(['api-keys', 'revoke', key.api_key_id, '--database', database()])
    assert.ok(revoked.revoked_at)
  })

  it('takes DATABASE_URL from the environment, and fails clearly on a bad workspace', async () => {
    const env = { DATABASE_URL: `sqlite:${join(directory, 'env.db')}` }
    await cli(['migrate'], env)
    const { stdout, stderr } = await cli(['workspaces', 'list', '--json'], env)
    assert.deepEqual(JSON.parse(stdout), { workspaces: [] })
    assert.equal(stderr, `seam-events: using the SQLite database ${join(directory, 'env.db')}\n`)
    await assert.rejects(cli(['api-keys', 'create', '--workspace', 'nope', '--database', database()]), (error: any) => {
      assert.equal(error.code, 1)
      assert.match(error.stderr, /No workspace nope/)
      assert.doesNotMatch(error.stderr, /\bat .+:\d+/)
      return true
    })
  })

  it('serve creates a first workspace, prints its key, serves the SDK, and stops on SIGTERM', async () => {
    const fresh = join(directory, 'fresh.db')
    const server = await startServe(['--database', fresh])
    try {
      const apiKey = /SEAM_API_KEY=(\S+)/.exec(server.output())?.[1]
      assert.ok(apiKey, server.output())
      assert.match(server.output(), new RegExp(`SEAM_ENDPOINT=${server.endpoint}`))
      assert.match(server.output(), /curl .*\/events\/list/)

      for (const sdk of newestSeamSdks) {
        const events: unknown = await seamClient(sdk, server.endpoint, apiKey).events.list({ since: new Date(0) })
        assert.deepEqual(events, [])
      }

      // A key revoked from another process while the server runs is refused at once.
      const workspaceId = (await cliJson(['workspaces', 'list', '--database', fresh])).workspaces[0].workspace_id
      const key = await cliJson(['api-keys', 'create', '--workspace', workspaceId, '--database', fresh])
      const list = () => rawRequest(`${server.endpoint}/events/list?since=2000-01-01`, { apiKey: key.token })
      assert.equal((await list()).status, 200)
      await cli(['api-keys', 'revoke', key.api_key_id, '--database', fresh])
      assert.equal((await list()).status, 401)

      // Structured logs carry the request id that the client saw.
      const response = await rawRequest(`${server.endpoint}/health`)
      const requestId = response.headers.get('seam-request-id')
      await new Promise((resolve) => setTimeout(resolve, 50))
      assert.ok(server.output().includes(`"request_id":"${requestId}"`))
    } finally {
      server.process.kill('SIGTERM')
    }
    assert.equal(await server.exited, 0)
    assert.match(server.output(), /"msg":"stopped"/)

    // The second start finds the workspace and prints no new key.
    const again = await startServe(['--database', fresh])
    again.process.kill('SIGTERM')
    assert.equal(await again.exited, 0)
    assert.doesNotMatch(again.output(), /SEAM_API_KEY=/)
  })

  it('refuses a bad setting at start-up, naming it', async () => {
    await assert.rejects(cli(['serve', '--port', 'eighty', '--database', database()]), (error: any) => {
      assert.equal(error.code, 1)
      assert.match(error.stderr, /--port \/ PORT/)
      return true
    })
  })
})
