import type { Logger } from 'pino'

import type { Store, Workspace } from '../store/store.ts'
import { addDays, firstRetainedDay, nextDay, utcDay } from '../store/utc-days.ts'
import { exportWorkspaceDay } from './day-export.ts'

/** PostgreSQL partitions are kept ready this many days ahead (see prepareEventDays). */
const daysPrepared = 3

export interface RetentionPassOptions {
  /** ms since the epoch; the pass removes what is past retention at this instant. */
  now: number
  /** Where events are exported before removal; undefined removes them without export. */
  exportDir: string | undefined
  logger?: Logger | undefined
}

export interface RemovedDay {
  day: string
  /** Every workspace's events of the day went at once (on PostgreSQL, its partition). */
  whole_day: boolean
  /** The workspaces whose events of the day were removed. */
  workspace_ids: string[]
  events_removed: number
  events_exported: number
  export_files: string[]
}

export interface RetentionReport {
  /** False when another process was running a pass, so this one did nothing. */
  ran: boolean
  removed_days: RemovedDay[]
}

/**
 * Removes every workspace's events whose whole day is past the workspace's retention, oldest
 * day first, after exporting them when an export directory is set. A day past every
 * workspace's retention is removed whole (a partition drop on PostgreSQL); a day past only some
 * workspaces' retention loses those workspaces' rows. Reads already hide each event from the
 * moment it passes retention: this pass only frees the space, within a day after that.
 */
export async function runRetentionPass(
  store: Pick<Store, 'retention' | 'workspaces'>,
  { now, exportDir, logger }: RetentionPassOptions,
): Promise<RetentionReport> {
  const removedDays = await store.retention.withRetentionLock(async () => {
    const today = utcDay(now)
    await store.retention.prepareEventDays(Array.from({ length: daysPrepared }, (_, ahead) => addDays(today, ahead)))

    const workspaces = await store.workspaces.listWorkspaces()
    const oldest = await store.retention.oldestEventDay()
    if (oldest === null || workspaces.length === 0) return []
    const firstKept = new Map(
      workspaces.map((workspace) => [workspace.workspace_id, firstRetainedDay(now, workspace.event_retention_days)]),
    )
    const keptDays = [...firstKept.values()].sort()
    const everyWorkspaceBefore = keptDays[0] as string
    const someWorkspaceBefore = keptDays.at(-1) as string

    const removed: RemovedDay[] = []
    for (let day = oldest; day < someWorkspaceBefore; day = nextDay(day)) {
      const expired = workspaces.filter(
        (workspace: Workspace) => day < (firstKept.get(workspace.workspace_id) as string),
      )
      const wholeDay = day < everyWorkspaceBefore
      let eventsExported = 0
      const exportFiles: string[] = []
      if (exportDir !== undefined) {
        for (const { workspace_id } of expired) {
          const exported = await exportWorkspaceDay(store.retention, exportDir, workspace_id, day)
          eventsExported += exported.events
          if (exported.file !== undefined) exportFiles.push(exported.file)
        }
      }
      let eventsRemoved = 0
      if (wholeDay) {
        eventsRemoved = await store.retention.removeDay(day)
      } else {
        for (const { workspace_id } of expired) {
          eventsRemoved += await store.retention.removeEventsOfDay(workspace_id, day)
        }
      }
      // A day visited again finds its export files from an earlier pass (a workspace that
      // keeps the day holds it back): with nothing exported or removed now, it is no news.
      if (eventsRemoved === 0 && eventsExported === 0) continue
      const removedDay: RemovedDay = {
        day,
        whole_day: wholeDay,
        workspace_ids: expired.map((workspace) => workspace.workspace_id),
        events_removed: eventsRemoved,
        events_exported: eventsExported,
        export_files: exportFiles,
      }
      removed.push(removedDay)
      logger?.info(
        { day, whole_day: wholeDay, events_removed: eventsRemoved, events_exported: eventsExported },
        exportDir === undefined ? 'retention removed events (no export directory set)' : 'retention exported and removed events',
      )
    }
    return removed
  })
  return { ran: removedDays !== undefined, removed_days: removedDays ?? [] }
}
