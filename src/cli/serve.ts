import type { Command } from 'commander'

import { resolveServerConfig, type ServerOptions } from '../config.ts'
import { bootstrapFirstWorkspace, type BootstrappedWorkspace } from '../domain/workspace-admin.ts'
import { createLogger } from '../logger.ts'
import { startApiService } from '../service.ts'
import { describeDatabase, parseDatabaseUrl } from '../store/database-url.ts'
import { databaseOptionHelp } from './database-command.ts'
import { metricsListenHelp } from './metrics-option.ts'
import { stopOnSignals } from './shutdown.ts'

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Run the HTTP API (and, unless --no-worker, webhook delivery)')
    .option('--port <port>', 'port to listen on (PORT, default 3000; 0 picks a free one)')
    .option('--host <host>', 'address to bind (HOST, default 127.0.0.1)')
    .option('--database <url>', databaseOptionHelp)
    .option('--public-url <url>', 'the base URL clients reach this server at, for the links it returns (PUBLIC_URL)')
    .option(
      '--allow-unknown-event-types',
      'accept event types that @seamapi/types does not know yet (ALLOW_UNKNOWN_EVENT_TYPES)',
    )
    .option('--no-worker', 'do not deliver webhooks from this process (run `seam-events worker`)')
    .option('--metrics-listen <address>', metricsListenHelp)
    .action(async (options: ServerOptions) => {
      await serve(options)
    })
}

async function serve(options: ServerOptions): Promise<void> {
  const config = resolveServerConfig(options)
  const logger = createLogger(config.logLevel)
  process.stderr.write(`seam-events: using the ${describeDatabase(parseDatabaseUrl(config.databaseUrl))}\n`)
  const service = await startApiService(config, logger)
  // Before "ready": a supervisor may signal as soon as it sees that line.
  stopOnSignals(logger, {
    description: 'finishing in-flight requests and deliveries',
    stop: () => service.stop(),
    timeoutSeconds: config.shutdownTimeoutSeconds,
    dropConnections: () => service.dropConnections(),
  })
  const bootstrapped = await bootstrapFirstWorkspace(service.store.workspaces)
  if (bootstrapped !== undefined) printFirstWorkspace(service.endpoint, bootstrapped)
  logger.info({ endpoint: service.endpoint, database: config.databaseUrl.replace(/\/\/[^@/]*@/, '//***@') }, 'ready')
}

function printFirstWorkspace(
  endpoint: string,
  { workspace, apiKey, token }: BootstrappedWorkspace,
): void {
  const since = new Date(Date.now() - 24 * 60 * 60 * 1000).toISOString()
  process.stdout.write(
    [
      '',
      `The database had no workspace, so one was created: "${workspace.name}" (${workspace.workspace_id}).`,
      `Its API key ${apiKey.api_key_id} (scope all) is shown only this once:`,
      '',
      `  export SEAM_ENDPOINT=${endpoint}`,
      `  export SEAM_API_KEY=${token}`,
      '',
      'Try it:',
      '',
      `  curl -sS "${endpoint}/events/list?since=${since}" -H "Authorization: Bearer ${token}"`,
      '',
      `or sign in to the console at ${endpoint}/console with the key; the API reference is at ${endpoint}/docs.`,
      '',
      'More workspaces and keys: npx seam-events workspaces create --name NAME',
      '',
      '',
    ].join('\n'),
  )
}
