import type { Command } from 'commander'

import { resolveWorkerConfig } from '../config.ts'
import { createLogger } from '../logger.ts'
import { startWorkerService } from '../service.ts'
import { describeDatabase, parseDatabaseUrl } from '../store/database-url.ts'
import { databaseOptionHelp } from './database-command.ts'
import { metricsListenHelp } from './metrics-option.ts'
import { stopOnSignals } from './shutdown.ts'

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('Deliver webhooks, without serving the API (pair with `serve --no-worker`)')
    .option('--database <url>', databaseOptionHelp)
    .option('--metrics-listen <address>', metricsListenHelp)
    .action(async (options: { database?: string; metricsListen?: string }) => {
      const config = resolveWorkerConfig(options)
      const logger = createLogger(config.logLevel)
      process.stderr.write(`seam-events: using the ${describeDatabase(parseDatabaseUrl(config.databaseUrl))}\n`)
      const starting = startWorkerService(config, logger)
      // Before the worker says it started: a supervisor may signal as soon as it sees that.
      stopOnSignals(logger, {
        description: 'finishing in-flight deliveries',
        stop: async () => await (await starting).stop(),
        timeoutSeconds: config.shutdownTimeoutSeconds,
      })
      await starting
    })
}
