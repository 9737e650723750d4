import type { AddressInfo } from 'node:net'

import type { Command } from 'commander'

import { resolveServerConfig, type ServerOptions } from '../config.ts'
import { bootstrapFirstWorkspace, type BootstrappedWorkspace } from '../domain/workspace-admin.ts'
import { buildServer } from '../http/server.ts'
import { createLogger } from '../logger.ts'
import { openStore } from '../store/open-store.ts'
import { startRetentionJob } from '../workers/retention-job.ts'
import { createTargetGuard, startDeliveryWorker } from '../workers/start-delivery.ts'
import { stopOnSignals } from './shutdown.ts'

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Run the HTTP API')
    .option('--port <port>', 'port to listen on (PORT, default 3000)')
    .option('--host <host>', 'address to bind (HOST, default 127.0.0.1)')
    .option('--database <url>', 'sqlite:PATH or a path (DATABASE_URL, default ./data/events.db)')
    .option(
      '--allow-unknown-event-types',
      'accept event types that @seamapi/types does not know yet (ALLOW_UNKNOWN_EVENT_TYPES)',
    )
    .option('--no-worker', 'do not deliver webhooks from this process (run `seam-events worker`)')
    .action(async (options: ServerOptions) => {
      await serve(options)
    })
}

async function serve(options: ServerOptions): Promise<void> {
  const config = resolveServerConfig(options)
  const logger = createLogger(config.logLevel)
  const store = await openStore(config.databaseUrl)
  const bootstrapped = await bootstrapFirstWorkspace(store)
  const targetGuard = createTargetGuard(config.delivery, logger)
  const worker = config.worker
    ? startDeliveryWorker(store, targetGuard, config.delivery, logger)
    : undefined
  const app = buildServer({
    store,
    logger,
    allowUnknownEventTypes: config.allowUnknownEventTypes,
    targetGuard,
    deliveriesQueued: () => worker?.wake(),
    stream: { heartbeatMs: config.stream.heartbeatSeconds * 1000, pollMs: config.stream.pollSeconds * 1000 },
  })
  await app.listen({ port: config.port, host: config.host })
  const retention = startRetentionJob(store, config.retention, logger)
  const { port } = app.server.address() as AddressInfo
  const endpoint = `http://${displayHost(config.host)}:${port}`
  if (bootstrapped !== undefined) printFirstWorkspace(endpoint, bootstrapped)
  logger.info({ endpoint, database: config.databaseUrl.replace(/\/\/[^@/]*@/, '//***@') }, 'ready')

  // app.close() stops accepting and waits for in-flight requests; the worker finishes its
  // in-flight deliveries and records them; then the database closes.
  stopOnSignals(logger, 'finishing in-flight requests', async () => {
    await app.close()
    await retention.stop()
    await worker?.stop()
    await targetGuard.close()
    await store.close()
  })
}

function displayHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1'
  return host.includes(':') ? `[${host}]` : host
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
