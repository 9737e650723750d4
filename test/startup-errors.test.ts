// Start-up and configuration mistakes, as an operator makes them: each is one line on stderr
// naming what to change, and a non-zero exit; never a stack trace, never a database made where
// none was meant. A PostgreSQL that is not up yet is waited for, with /ready saying so.
// Single backend: the suites about a SQLite file run when TEST_BACKENDS has sqlite, the one about
// a PostgreSQL coming up when it has postgres; the configuration checks always.

import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { skipUnlessBackend } from './support/backends.ts'
import { cli, startCommand, startServe } from './support/cli-process.ts'
import { rawRequest } from './support/http.ts'
import { createTestDatabase } from './support/postgres.ts'
import { freePort } from './support/webhook-receiver.ts'

/** The lines a failed command printed on stderr, without the one naming its database. */
function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line !== '' && !line.startsWith('seam-events: using the '))
}

async function failure(args: string[], env: Record<string, string> = {}, cwd?: string): Promise<{ code: number; line: string; stderr: string }> {
  try {
    await cli(args, env, cwd === undefined ? {} : { cwd })
  } catch (error: any) {
    const lines = errorLines(error.stderr)
    assert.equal(lines.length, 1, `one line, got:\n${error.stderr}`)
    assert.doesNotMatch(error.stderr, /\n\s+at /, 'no stack trace')
    return { code: error.code, line: lines[0]!, stderr: error.stderr }
  }
  assert.fail(`seam-events ${args.join(' ')} succeeded`)
}

describe('start-up and configuration errors', { timeout: 120_000 }, () => {
  let directory: string
  before(() => {
    directory = mkdtempSync(join(tmpdir(), 'seam-events-startup-'))
  })
  after(() => rmSync(directory, { recursive: true, force: true }))

  it('names a port in use, and how to pick another', async () => {
    const blocker = net.createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()))
    const { port } = blocker.address() as net.AddressInfo
    try {
      const { code, line } = await failure(['serve', '--port', String(port), '--database', join(directory, 'port.db')])
      assert.equal(code, 1)
      assert.equal(
        line,
        `seam-events: port ${port} on 127.0.0.1 is already in use: stop what listens there, or choose another port with --port or PORT (PORT=0 picks a free one)`,
      )
    } finally {
      blocker.close()
    }
  })

  it('names a SQLite path that cannot be opened, and the reason', async () => {
    const file = join(directory, 'a-file')
    writeFileSync(file, 'not a folder')
    const folder = join(directory, 'a-folder.db')
    mkdirSync(folder)
    const notSqlite = join(directory, 'notes.db')
    writeFileSync(notSqlite, 'These are my notes, not a database. '.repeat(200))
    const cases: [string, RegExp][] = [
      [join(file, 'events.db'), /a part of the path is a file, not a folder \((ENOTDIR|EEXIST)\)$/],
      [folder, /it is a folder, not a file \(EISDIR\)$/],
      [notSqlite, /the file is not a SQLite database \(SQLITE_NOTADB\)$/],
    ]
    for (const [path, reason] of cases) {
      const { code, line } = await failure(['serve', '--port', '0', '--database', path])
      assert.equal(code, 1)
      assert.ok(line.startsWith(`seam-events: cannot `), line)
      assert.ok(line.includes(`SQLite database ${path}:`), line)
      assert.match(line, reason)
    }
  })

  it('refuses a database URL of another kind, and creates nothing for it', async () => {
    const cwd = mkdtempSync(join(directory, 'mysql-'))
    const { code, line } = await failure(['serve', '--port', '0'], { DATABASE_URL: 'mysql://root@db.internal/events' }, cwd)
    assert.equal(code, 1)
    assert.equal(
      line,
      'seam-events: invalid configuration: --database / DATABASE_URL: unsupported database URL scheme "mysql:"; use sqlite:PATH (or a plain path) for SQLite, or postgres://user:password@host:5432/database for PostgreSQL',
    )
    assert.deepEqual(readdirSync(cwd), [], 'no folder named mysql: (or anything else) was made')
  })

  it('names the PostgreSQL host and port that refused, once it has waited its time', async () => {
    const port = await freePort()
    const { code, line } = await failure(['serve', '--port', '0'], {
      DATABASE_URL: `postgres://seam:secret@127.0.0.1:${port}/events`,
      DATABASE_CONNECT_TIMEOUT_SECONDS: '1',
    })
    assert.equal(code, 1)
    assert.equal(
      line,
      `seam-events: PostgreSQL at 127.0.0.1:${port} refused the connection: is it running and listening there? (gave up after 1 s, DATABASE_CONNECT_TIMEOUT_SECONDS)`,
    )
  })
})

describe('configuration problems are listed together', { timeout: 60_000 }, () => {
  it('lists a bad scheme, a bad public URL and a bad limit, one per line, and exits 1', async () => {
    try {
      await cli(['serve', '--port', '0', '--public-url', 'ftp://x'], {
        DATABASE_URL: 'mysql://root@db.internal/events',
        MAX_WEBHOOKS_PER_WORKSPACE: '0',
      })
      assert.fail('serve started')
    } catch (error: any) {
      assert.equal(error.code, 1)
      assert.doesNotMatch(error.stderr, /\n\s+at /)
      const lines = error.stderr.trim().split('\n')
      assert.equal(lines[0], 'seam-events: invalid configuration:')
      assert.deepEqual(lines.slice(1).sort(), [
        '  - --database / DATABASE_URL: unsupported database URL scheme "mysql:"; use sqlite:PATH (or a plain path) for SQLite, or postgres://user:password@host:5432/database for PostgreSQL',
        '  - --public-url / PUBLIC_URL: must be an http(s) URL without a query, such as https://events.example.com; got ftp://x',
        '  - MAX_WEBHOOKS_PER_WORKSPACE: Number must be greater than or equal to 1',
      ])
    }
  })
})

describe('commands run from another folder', { timeout: 120_000, skip: skipUnlessBackend('sqlite') }, () => {
  let cwd: string
  before(() => {
    cwd = mkdtempSync(join(tmpdir(), 'seam-events-elsewhere-'))
  })
  after(() => rmSync(cwd, { recursive: true, force: true }))

  it('refuse to make a new, empty database, and say where they looked', async () => {
    const expected = join(cwd, 'data', 'events.db')
    for (const args of [
      ['workspaces', 'list'],
      ['workspaces', 'update', '--workspace', 'x', '--retention-days', '3'],
      ['api-keys', 'list'],
      ['api-keys', 'create', '--workspace', 'x'],
      ['api-keys', 'revoke', 'x'],
      ['retention'],
      ['worker'],
    ]) {
      const { code, line, stderr } = await failure(args, {}, cwd)
      assert.equal(code, 1, args.join(' '))
      assert.ok(stderr.startsWith(`seam-events: using the SQLite database ${expected}\n`), stderr)
      assert.equal(
        line,
        `seam-events: there is no SQLite database at ${expected}, and this command does not create one: run it in the folder the server runs in, or point --database (or DATABASE_URL) at the database`,
        args.join(' '),
      )
    }
    assert.deepEqual(readdirSync(cwd), [], 'nothing was created')
  })

  it('but migrate and workspaces create set up a new installation, saying where', async () => {
    const created = await cli(['workspaces', 'create', '--name', 'Here', '--json'], {}, { cwd })
    assert.equal(created.stderr, `seam-events: using the SQLite database ${join(cwd, 'data', 'events.db')}\n`)
    assert.ok(existsSync(join(cwd, 'data', 'events.db')))
    const listed = await cli(['workspaces', 'list', '--json'], {}, { cwd })
    assert.deepEqual(JSON.parse(listed.stdout).workspaces.map((w: any) => w.name), ['Here'])
    const migrated = await cli(['migrate', '--database', join(cwd, 'other.db')])
    assert.equal(migrated.stderr, `seam-events: using the SQLite database ${join(cwd, 'other.db')}\n`)
  })
})

describe('serve waiting for a PostgreSQL that is not up yet', { timeout: 120_000, skip: skipUnlessBackend('postgres') }, () => {
  it('answers /health, and 503 on /ready and the API, until the database comes; then serves', async () => {
    const database = await createTestDatabase()
    const real = new URL(database.url)
    const port = await freePort()
    const url = new URL(database.url)
    url.port = String(port)
    const server = startCommand(['serve', '--port', '0', '--host', '127.0.0.1'], {
      DATABASE_URL: url.href,
      DATABASE_CONNECT_TIMEOUT_SECONDS: '60',
    })
    let forwarder: net.Server | undefined
    try {
      const listening = await server.waitForLog((line) => line['msg'] === 'listening; reaching the database')
      const endpoint: string = listening['endpoint']
      await server.waitForLog((line) => line['msg'] === 'database not reachable yet; retrying')
      assert.equal((await rawRequest(`${endpoint}/health`)).status, 200)
      const ready = await rawRequest(`${endpoint}/ready`)
      assert.equal(ready.status, 503)
      assert.equal(ready.json.error.type, 'service_unavailable')
      const list = await rawRequest(`${endpoint}/events/list?since=2000-01-01`, { apiKey: 'seam_anything' })
      assert.equal(list.status, 503)
      assert.equal(list.headers.get('retry-after'), '1')

      // The database "comes up" at the address serve was given.
      forwarder = net.createServer((client) => {
        const upstream = net.connect(Number(real.port), '127.0.0.1')
        client.pipe(upstream).pipe(client)
        client.on('error', () => upstream.destroy())
        upstream.on('error', () => client.destroy())
      })
      await new Promise<void>((resolve) => forwarder?.listen(port, '127.0.0.1', () => resolve()))
      await server.waitForLog((line) => line['msg'] === 'ready')
      assert.equal((await rawRequest(`${endpoint}/ready`)).status, 200)
      const token = /SEAM_API_KEY=(\S+)/.exec(server.output())?.[1]
      assert.ok(token, 'the first workspace was made once the database came')
      assert.equal((await rawRequest(`${endpoint}/events/list?since=2000-01-01`, { apiKey: token })).status, 200)
    } finally {
      server.process.kill('SIGTERM')
      assert.equal(await server.exited, 0)
      forwarder?.close()
      await database.drop()
    }
  })
})

describe('serve on SQLite', { timeout: 60_000, skip: skipUnlessBackend('sqlite') }, () => {
  it('says which database it uses on stderr', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'seam-events-which-'))
    const server = await startServe(['--database', join(directory, 'events.db')])
    try {
      assert.ok(server.output().includes(`seam-events: using the SQLite database ${join(directory, 'events.db')}\n`))
    } finally {
      server.process.kill('SIGTERM')
      await server.exited
      rmSync(directory, { recursive: true, force: true })
    }
  })
})
