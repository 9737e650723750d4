import type { Logger } from 'pino'

import type { RetentionConfig } from '../config.ts'
import type { EventStore } from '../store/store.ts'
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
export function startRetentionJob(store: EventStore, config: RetentionConfig, logger: Logger): RetentionJob {
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
  let timer: NodeJS.Timeout | undefined

  const runOnce = async (): Promise<void> => {
    try {
      await runRetentionPass(store, { now: Date.now(), exportDir: config.exportDir, logger: log })
    } catch (error) {
      log.error({ err: error }, 'retention pass failed; it runs again at the next interval')
    }
  }
  const schedule = (delayMs: number): void => {
    timer = setTimeout(() => {
      running = runOnce().finally(() => {
        running = undefined
        if (!stopped) schedule(config.intervalSeconds * 1000)
      })
    }, delayMs)
    // The job alone never keeps a process alive.
    timer.unref()
  }
  schedule(firstPassDelayMs)

  return {
    async stop() {
      stopped = true
      clearTimeout(timer)
      await running
    },
  }
}
