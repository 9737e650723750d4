// `seam-events demo`: one command to see everything. Starts the server on a fresh database,
// creates a workspace and key, writes a week of a simulated fleet's history (seed.ts), prints
// the console's URL and the key, and then has the same fleet publish live over HTTP
// (simulate.ts) until stopped.

import { randomInt } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import type { Command } from 'commander'
import pino from 'pino'

import { resolveServerConfig } from '../config.ts'
import { createFleet, maxFleetDevices } from '../domain/fleet/fleet.ts'
import { createApiKey } from '../domain/workspace-admin.ts'
import { createLogger } from '../logger.ts'
import { startApiService } from '../service.ts'
import { describeDatabase, parseDatabaseUrl } from '../store/database-url.ts'
import { CliError, databaseOptionHelp, printResult } from './database-command.ts'
import { parseNumberOption } from './number-option.ts'
import { createProgress } from './progress.ts'
import { seedHistory } from './seed.ts'
import { defaultDevices, publishFleet, type SimulationSummary } from './simulate.ts'
import { stopSignal } from './stop-signal.ts'

interface DemoOptions {
  port?: string
  host?: string
  database?: string
  events: string
  devices: string
  rate: string
  seed?: string
  logLevel: string
  json?: boolean
}

const historyDays = 7

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'Start the server on a fresh database with a simulated fleet: a week of history, then live events; ' +
        'prints the console URL and an API key. Runs until stopped (Ctrl-C)',
    )
    .option('--port <port>', 'port to listen on (PORT, default 3000; 0 picks a free one)')
    .option('--host <host>', 'address to bind (HOST, default 127.0.0.1)')
    .option(
      '--database <url>',
      `an empty database to use: ${databaseOptionHelp.replace(/ \(DATABASE_URL.*$/, '')} ` +
        '(default: a new SQLite file in a temporary folder; DATABASE_URL is not read, so the demo never writes to your database unless told)',
    )
    .option('--events <n>', `events of history, spread over the last ${historyDays} days`, '20000')
    .option('--devices <n>', `devices in the fleet, 1 to ${maxFleetDevices.toLocaleString('en-US')}`, String(defaultDevices))
    .option('--rate <events_per_second>', 'live events per second once the history is written (0: none)', '1')
    .option('--seed <n>', 'the same seed gives the same fleet (default: a random one, printed)')
    .option('--log-level <level>', "the server's log level (on stderr)", 'warn')
    .option('--json', 'once ready, print the endpoint, console URL, workspace and key as one JSON object')
    .action(async (options: DemoOptions) => {
      await demo(options)
    })
}

async function demo(options: DemoOptions): Promise<void> {
  const events = parseNumberOption('--events', options.events, { integer: true, min: 0, max: 10_000_000 })
  const devices = parseNumberOption('--devices', options.devices, { integer: true, min: 1, max: maxFleetDevices })
  const rate = parseNumberOption('--rate', options.rate, { min: 0, max: 10_000 })
  const seed =
    options.seed === undefined
      ? randomInt(0, 2 ** 31)
      : parseNumberOption('--seed', options.seed, { integer: true, min: 0, max: Number.MAX_SAFE_INTEGER })
  const database = options.database ?? `sqlite:${join(mkdtempSync(join(tmpdir(), 'seam-events-demo-')), 'events.db')}`
  const config = resolveServerConfig({ port: options.port, host: options.host, database, logLevel: options.logLevel, worker: true })
  // The server's logs on stderr: stdout is for what the demo prints.
  const logger = createLogger(config.logLevel, pino.destination({ dest: 2, sync: true }))
  process.stderr.write(`seam-events demo: using the ${describeDatabase(parseDatabaseUrl(config.databaseUrl))}\n`)
  const service = await startApiService(config, logger)
  const stop = stopSignal()
  try {
    if ((await service.store.workspaces.listWorkspaces()).length > 0) {
      throw new CliError('the demo needs an empty database, and this one has workspaces: leave out --database for a new one')
    }
    const workspace = await service.store.workspaces.createWorkspace('Demo workspace')
    const { token } = await createApiKey(service.store.workspaces, workspace.workspace_id, { name: 'Demo key', scope: 'all' })
    const history =
      events === 0
        ? undefined
        : await seedHistory(service.store, workspace.workspace_id, { days: historyDays, events, devices, seed, append: false })
    const consoleUrl = `${service.endpoint}/console`
    printResult(
      options.json === true,
      {
        endpoint: service.endpoint,
        console_url: consoleUrl,
        workspace_id: workspace.workspace_id,
        api_key: token,
        database: config.databaseUrl,
        seed,
        devices,
        history_events: history?.events ?? 0,
        rate,
      },
      [
        '',
        `The demo is running: a fleet of ${devices} devices (seed ${seed}), ${(history?.events ?? 0).toLocaleString('en-US')} events over the last ${historyDays} days` +
          (rate > 0 ? `, and ${rate} new events a second.` : '.'),
        '',
        `  Console:  ${consoleUrl}   (sign in with the key)`,
        `  API key:  ${token}`,
        '',
        `  export SEAM_ENDPOINT=${service.endpoint}`,
        `  export SEAM_API_KEY=${token}`,
        '',
        'Ctrl-C stops it.',
        '',
      ],
    )
    if (rate > 0) {
      const summary: SimulationSummary = { seed, devices, rate, published: 0, seconds: 0, rate_limited: 0, retried: 0, families: {}, event_types: {} }
      const progress = createProgress({ unit: 'live events' })
      try {
        await publishFleet({ endpoint: service.endpoint, apiKey: token }, createFleet({ seed, devices }), { rate, signal: stop.signal, progress }, summary)
      } finally {
        progress.stop()
      }
    } else {
      await new Promise((resolve) => stop.signal.addEventListener('abort', resolve, { once: true }))
    }
  } finally {
    stop.dispose()
    await service.stop()
  }
  process.stderr.write(`seam-events demo: stopped. The database is kept: seam-events serve --database ${config.databaseUrl}\n`)
}
