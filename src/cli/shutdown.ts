import type { Logger } from 'pino'

/**
 * On the first SIGTERM or SIGINT, runs `stop` (which finishes in-flight work and closes the
 * database) and exits 0, or 1 when stopping failed. A second signal while stopping is ignored:
 * an operator who wants it dead at once sends SIGKILL, and nothing acknowledged is lost then.
 */
export function stopOnSignals(logger: Logger, description: string, stop: () => Promise<void>): void {
  let stopping = false
  const shutdown = (signal: string): void => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, `shutting down: ${description}`)
    stop()
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
}
