// The service as operators run it: `seam-events serve` and `seam-events worker` as child
// processes on a database of their own, started and stopped by the benchmark. Their logs go to
// files in the run's directory, so that collecting them costs the benchmark nothing.

import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

import pg from 'pg'

import type { ApiKeyScope } from '../../src/store/store.ts'
import { createTestDatabase } from '../../test/support/postgres.ts'
import { freePort } from '../../test/support/webhook-receiver.ts'

export type Backend = 'sqlite' | 'postgres'

const runFile = promisify(execFile)

/** SEAM_EVENTS_BIN runs another build (an older checkout's) for before/after figures. */
const bin = (): string => process.env['SEAM_EVENTS_BIN'] ?? new URL('../../bin/seam-events.js', import.meta.url).pathname

/** Settings every process of a run gets: receivers listen on loopback. */
const baseEnv: Record<string, string> = {
  WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
  // The pass is not what these runs measure.
  RETENTION_INTERVAL_SECONDS: '0',
}

export interface BenchDatabase {
  backend: Backend
  url: string
  directory: string
  /** Bytes on disk: the SQLite file and its WAL, or pg_database_size. */
  sizeBytes(): Promise<number>
  drop(): Promise<void>
}

export async function createBenchDatabase(backend: Backend): Promise<BenchDatabase> {
  const directory = mkdtempSync(join(tmpdir(), 'seam-events-bench-'))
  if (backend === 'sqlite') {
    const path = join(directory, 'events.db')
    return {
      backend,
      url: `sqlite:${path}`,
      directory,
      async sizeBytes() {
        return readdirSync(directory)
          .filter((name) => name.startsWith('events.db'))
          .reduce((total, name) => total + statSync(join(directory, name)).size, 0)
      },
      async drop() {
        rmSync(directory, { recursive: true, force: true })
      },
    }
  }
  const database = await createTestDatabase()
  return {
    backend,
    url: database.url,
    directory,
    async sizeBytes() {
      const client = new pg.Client({ connectionString: database.url })
      await client.connect()
      try {
        const { rows } = await client.query<{ size: string }>('SELECT pg_database_size(current_database()) AS size')
        return Number(rows[0]?.size)
      } finally {
        await client.end()
      }
    },
    async drop() {
      await database.drop()
      rmSync(directory, { recursive: true, force: true })
    },
  }
}

export interface BenchWorkspace {
  workspaceId: string
  /** A key of scope "all". */
  apiKey: string
}

/**
 * Migrates the database (if needed) and adds a workspace with a key, by the CLI of the build
 * under test (SEAM_EVENTS_BIN): its migrations shape the database that its server then opens,
 * whatever this checkout's would make.
 */
export async function createWorkspace(
  databaseUrl: string,
  name: string,
  retentionDays = 3650,
  scope: ApiKeyScope = 'all',
): Promise<BenchWorkspace> {
  const workspace = JSON.parse(
    await runCli(['workspaces', 'create', '--name', name, '--retention-days', String(retentionDays), '--json', ...(scope === 'all' ? [] : ['--no-api-key']), '--database', databaseUrl]),
  ) as { workspace_id: string; token?: string }
  if (workspace.token !== undefined) return { workspaceId: workspace.workspace_id, apiKey: workspace.token }
  const key = JSON.parse(
    await runCli(['api-keys', 'create', '--workspace', workspace.workspace_id, '--name', 'bench', '--scope', scope, '--json', '--database', databaseUrl]),
  ) as { token: string }
  return { workspaceId: workspace.workspace_id, apiKey: key.token }
}

/** Runs a command of the build under test to its end; its stdout. */
async function runCli(args: string[]): Promise<string> {
  const { stdout } = await runFile(process.execPath, [bin(), ...args], { env: { ...process.env, ...baseEnv } })
  return stdout
}

export interface ServiceProcess {
  pid: number
  /** Set for `serve`. */
  endpoint: string
  /** From spawn to the first 200 of /ready (serve) or to the "ready" log line (worker). */
  startupMs: number
  /** Resident memory now, and the most it has held. */
  memory(): { rssBytes: number; peakRssBytes: number }
  stop(): Promise<void>
}

export interface StartOptions {
  databaseUrl: string
  directory: string
  env?: Record<string, string>
  /** Node.js flags for the child, such as --cpu-prof. */
  nodeArgs?: readonly string[]
}

export async function startServe(options: StartOptions & { worker?: boolean }): Promise<ServiceProcess> {
  const port = await freePort()
  const args = ['serve', '--port', String(port), '--host', '127.0.0.1', '--database', options.databaseUrl]
  if (options.worker === false) args.push('--no-worker')
  const endpoint = `http://127.0.0.1:${port}`
  // /ready, not /health: serve answers /health as soon as it listens, before its database.
  return await startService(args, options, endpoint, async () => {
    try {
      return (await fetch(`${endpoint}/ready`)).status === 200
    } catch {
      return false
    }
  })
}

export async function startWorker(options: StartOptions): Promise<ServiceProcess> {
  return await startService(['worker', '--database', options.databaseUrl], options, '', async (logPath) =>
    readFileSync(logPath, 'utf8').includes('"msg":"delivery worker started"'),
  )
}

let processCount = 0

async function startService(
  args: string[],
  options: StartOptions,
  endpoint: string,
  isReady: (logPath: string) => Promise<boolean>,
): Promise<ServiceProcess> {
  const logPath = join(options.directory, `${args[0]}-${++processCount}.log`)
  const log = openSync(logPath, 'w')
  const started = performance.now()
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), bin(), ...args], {
    env: { ...process.env, ...baseEnv, ...options.env },
    stdio: ['ignore', log, log],
  })
  closeSync(log)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  let startupMs = 0
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${args[0]} exited with ${child.exitCode}; see ${options.directory}`)
    if (await isReady(logPath)) {
      startupMs = performance.now() - started
      break
    }
    if (performance.now() - started > 60_000) throw new Error(`${args[0]} did not start within 60 s`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  return {
    pid: child.pid as number,
    endpoint,
    startupMs,
    memory: () => processMemory(child),
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM')
      await exited
    },
  }
}

function processMemory(child: ChildProcess): { rssBytes: number; peakRssBytes: number } {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8')
  const kilobytes = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN)
  return { rssBytes: kilobytes('VmRSS') * 1024, peakRssBytes: kilobytes('VmHWM') * 1024 }
}
