import type { Command } from 'commander'

import { resolveWorkerConfig } from '../config.ts'
import { createLogger } from '../logger.ts'
import { openStore } from '../store/open-store.ts'
import { startRetentionJob } from '../workers/retention-job.ts'
import { createTargetGuard, startDeliveryWorker } from '../workers/start-delivery.ts'
import { stopOnSignals } from './shutdown.ts'

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('Deliver webhooks, without serving the API (pair with `serve --no-worker`)')
    .option('--database <url>', 'sqlite:PATH or a path (DATABASE_URL, default ./data/events.db)')
    .action(async (options: { database?: string }) => {
      const config = resolveWorkerConfig(options)
      const logger = createLogger(config.logLevel)
      const store = await openStore(config.databaseUrl)
      const guard = createTargetGuard(config.delivery, logger)
      const worker = startDeliveryWorker(store, guard, config.delivery, logger)
      const retention = startRetentionJob(store, config.retention, logger)

      stopOnSignals(logger, 'finishing in-flight deliveries', async () => {
        await retention.stop()
        await worker.stop()
        await guard.close()
        await store.close()
      })
    })
}
