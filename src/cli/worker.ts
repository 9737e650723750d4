import type { Command } from 'commander'

import { resolveWorkerConfig } from '../config.ts'
import { createLogger } from '../logger.ts'
import { openStore } from '../store/open-store.ts'
import { createTargetGuard, startDeliveryWorker } from '../workers/start-delivery.ts'

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

      let stopping = false
      const shutdown = (signal: string): void => {
        if (stopping) return
        stopping = true
        logger.info({ signal }, 'shutting down: finishing in-flight deliveries')
        worker
          .stop()
          .then(() => guard.close())
          .then(() => store.close())
          .then(() => {
            logger.info('stopped')
            process.exit(0)
          })
          .catch((error: unknown) => {
            logger.error({ err: error }, 'shutdown failed')
            process.exit(1)
          })
      }
      process.once('SIGTERM', () => shutdown('SIGTERM'))
      process.once('SIGINT', () => shutdown('SIGINT'))
    })
}
