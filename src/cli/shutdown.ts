import type { Logger } from 'pino'

export interface StopOptions {
  /** What stopping waits for, for the log line. */
  description: string
  /** Finishes in-flight work and closes the database. */
  stop: () => Promise<void>
  /** The most `stop` may take; then `dropConnections` runs and the process exits 1. */
  timeoutSeconds: number
  /** Closes what is left at once, when `stop` ran out of time. */
  dropConnections?: () => void
}

/**
 * On the first SIGTERM or SIGINT, runs `stop` and exits 0, or 1 when stopping failed or did not
 * finish within the timeout. A second signal while stopping exits at once (1): nothing
 * acknowledged is lost then either, since a publish is answered only once it is committed.
 */
export function stopOnSignals(logger: Logger, { description, stop, timeoutSeconds, dropConnections }: StopOptions): void {
  let stopping = false
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting at once')
      process.exit(1)
    }
    stopping = true
    logger.info({ signal, timeout_seconds: timeoutSeconds }, `shutting down: ${description}`)
    const deadline = setTimeout(() => {
      logger.error(`shutdown did not finish within ${timeoutSeconds} s (SHUTDOWN_TIMEOUT_SECONDS): closing what is left`)
      try {
        dropConnections?.()
      } finally {
        process.exit(1)
      }
    }, timeoutSeconds * 1000)
    stop()
      .then(() => {
        clearTimeout(deadline)
        logger.info('stopped')
        process.exit(0)
      })
      .catch((error: unknown) => {
        logger.error({ err: error }, 'shutdown failed')
        process.exit(1)
      })
  }
  process.on('SIGTERM', shutdown)
  process.on('SIGINT', shutdown)
}
