// SQLite's retention: one table holds every day, so a day is removed by deleting its rows, in
// batches with turns of the event loop in between so that publishes go on; one pass at a time
// across every process on the file, by a lease in the database.

import { randomUUID } from 'node:crypto'
import { setImmediate as yieldToEventLoop } from 'node:timers/promises'

import type { Clock } from '../../clock.ts'
import type { EventRetentionStore, RetainedEvent, WorkspaceStore } from '../store.ts'
import { nextDay } from '../utc-days.ts'
import type { SqliteExecutor } from './sqlite-executor.ts'

/** Rows removed per transaction: short write locks, so publishes keep flowing. */
const removalBatchSize = 1000
const retentionLease = { name: 'retention', ms: 6 * 60 * 60 * 1000 }

export class SqliteRetention implements EventRetentionStore {
  constructor(
    readonly sqlite: SqliteExecutor,
    readonly workspaces: WorkspaceStore,
    readonly clock: Clock,
  ) {}

  async oldestEventDay(): Promise<string | null> {
    // Per workspace, so that each MIN is one probe of the (workspace_id, created_at) index.
    const row = this.sqlite.reader
      .get(
        `SELECT MIN((SELECT MIN(created_at) FROM events WHERE events.workspace_id = w.workspace_id))
           AS created_at FROM workspaces w`,
      )
      .get() as { created_at: string | null }
    return row.created_at?.slice(0, 10) ?? null
  }

  async readEventsOfDay(workspaceId: string, day: string, after: RetainedEvent | null, limit: number): Promise<RetainedEvent[]> {
    return this.sqlite.reader
      .get(
        `SELECT created_at, seq, json FROM events
         WHERE workspace_id = ? AND created_at >= ? AND created_at < ? AND (created_at, seq) > (?, ?)
         ORDER BY created_at, seq LIMIT ?`,
      )
      .all(workspaceId, day, nextDay(day), after?.created_at ?? day, after?.seq ?? -1, limit) as RetainedEvent[]
  }

  async removeEventsOfDay(workspaceId: string, day: string): Promise<number> {
    let removed = 0
    for (;;) {
      const count = await this.sqlite.transaction(async ({ writer }) => {
        const rows = writer
          .get(
            `SELECT seq, event_id FROM events WHERE workspace_id = ? AND created_at >= ? AND created_at < ?
             ORDER BY created_at LIMIT ${removalBatchSize}`,
          )
          .all(workspaceId, day, nextDay(day)) as { seq: number; event_id: string }[]
        const removeDeliveries = writer.get(
          `DELETE FROM webhook_deliveries WHERE workspace_id = ? AND event_id = ? AND status <> 'pending'`,
        )
        const removeEvent = writer.get('DELETE FROM events WHERE seq = ?')
        for (const { seq, event_id } of rows) {
          removeDeliveries.run(workspaceId, event_id)
          removeEvent.run(seq)
        }
        return rows.length
      })
      removed += count
      if (count < removalBatchSize) return removed
      await yieldToEventLoop()
    }
  }

  async removeDay(day: string): Promise<number> {
    let removed = 0
    for (const { workspace_id } of await this.workspaces.listWorkspaces()) {
      removed += await this.removeEventsOfDay(workspace_id, day)
    }
    return removed
  }

  /** One table holds every day. */
  async prepareEventDays(): Promise<void> {}

  async withRetentionLock<T>(pass: () => Promise<T>): Promise<T | undefined> {
    const holder = randomUUID()
    const now = this.clock.now()
    const { writer } = this.sqlite
    const taken = await this.sqlite.exclusive(
      () =>
        writer
          .get(
            `INSERT INTO maintenance_leases (name, holder, expires_at) VALUES (?, ?, ?)
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
             WHERE maintenance_leases.expires_at < ?`,
          )
          .run(retentionLease.name, holder, now + retentionLease.ms, now).changes,
    )
    if (taken === 0) return undefined
    try {
      return await pass()
    } finally {
      await this.sqlite.exclusive(() => {
        if (writer.db.open) writer.get('DELETE FROM maintenance_leases WHERE name = ? AND holder = ?').run(retentionLease.name, holder)
      })
    }
  }
}
