import type { Logger } from 'pino'

import type { RetentionConfig } from '../config.ts'
import { systemClock, type Clock, type ClockTimer } from '../clock.ts'
import type { Store } from '../store/store.ts'
import { runRetentionPass } from './retention-pass.ts'

/** The first pass waits this long after start, so that start-up is not slowed by it. */
const firstPassDelayMs = 5_000

export interface RetentionJob {
  /** Waits for a running pass to finish; no new pass starts after. */
  stop(): Promise<void>
}

/**
 * Runs the retention pass every `intervalSeconds` in this process. Every serve and worker
 * process may run it: the store's lock lets one pass run at a time across all of them. A failed
 * pass (a full export disk, a lost connection) removes nothing it has not exported, is
 * logged, and is tried again at the next interval.
 */
export function startRetentionJob(
  store: Pick<Store, 'retention' | 'workspaces'>,
  config: RetentionConfig,
  logger: Logger,
  clock: Clock = systemClock,
): RetentionJob {
  const log = logger.child({ component: 'retention' })
  if (config.intervalSeconds === 0) {
    log.info('retention pass disabled in this process (RETENTION_INTERVAL_SECONDS=0)')
    return { stop: async () => {} }
  }
  if (config.exportDir === undefined) {
    log.warn(
      'RETENTION_EXPORT_DIR is not set: events past their workspace retention are removed without export',
    )
  }
  let stopped = false
  let running: Promise<void> | undefined
  let timer: ClockTimer | undefined

  const runOnce = async (): Promise<void> => {
    try {
      await runRetentionPass(store, { now: clock.now(), exportDir: config.exportDir, logger: log })
    } catch (error) {
      log.error({ err: error }, 'retention pass failed; it runs again at the next interval')
    }
  }
  const schedule = (delayMs: number): void => {
    // The job alone never keeps a process alive.
    timer = clock
      .setTimeout(() => {
        running = runOnce().finally(() => {
          running = undefined
          if (!stopped) schedule(config.intervalSeconds * 1000)
        })
      }, delayMs)
      .unref()
  }
  schedule(firstPassDelayMs)

  return {
    async stop() {
      stopped = true
      timer?.cancel()
      await running
    },
  }
}
