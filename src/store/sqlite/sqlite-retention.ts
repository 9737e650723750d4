// SQLite's retention: one table holds every day, so a day is removed by deleting its rows, in
// batches of their own transaction so that publishes go on in between; one pass at a time across
// every process on the file, by a lease in the database.

import { randomUUID } from 'node:crypto'

import { sql } from 'kysely'

import type { Clock } from '../../clock.ts'
import { rawQuery } from '../relational/executor.ts'
import type { EventRetentionStore, RetainedEvent, WorkspaceStore } from '../store.ts'
import { nextDay } from '../utc-days.ts'
import { sqliteEventLayout } from './sqlite-dialect.ts'
import { storedTime } from './sqlite-event-layout.ts'
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
    const row = await this.sqlite.first(
      rawQuery<{ created_at: string | null }>(
        this.sqlite.db,
        sql`SELECT MIN((SELECT MIN(created_at) FROM events WHERE events.workspace_key = w.workspace_key)) AS created_at FROM workspaces w`,
      ),
    )
    // Milliseconds, as the lean layout stores created_at (sqlite-event-layout.ts).
    const oldest = row?.created_at as number | null | undefined
    return oldest === null || oldest === undefined ? null : new Date(oldest).toISOString().slice(0, 10)
  }

  async readEventsOfDay(workspaceId: string, day: string, after: RetainedEvent | null, limit: number): Promise<RetainedEvent[]> {
    return await this.sqlite.rows(
      rawQuery<RetainedEvent>(
        this.sqlite.db,
        // created_at as text by the reader that runs it (sqliteEventLayout.createdAtText).
        sql`SELECT ${sqliteEventLayout.createdAtText} AS created_at, seq, json FROM events
            WHERE workspace_key = (SELECT workspace_key FROM workspaces WHERE workspace_id = ${workspaceId})
              AND events.created_at >= ${storedTime(day)} AND events.created_at < ${storedTime(nextDay(day))}
              AND (events.created_at, seq) > (${storedTime(after?.created_at ?? day)}, ${after?.seq ?? -1})
            ORDER BY events.created_at, seq LIMIT ${limit}`,
      ),
    )
  }

  async removeEventsOfDay(workspaceId: string, day: string): Promise<number> {
    let removed = 0
    for (;;) {
      const count = await this.sqlite.write('removeEventsBatch', workspaceId, day, removalBatchSize)
      removed += count
      if (count < removalBatchSize) return removed
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
    const taken = await this.sqlite.write('takeLease', retentionLease.name, holder, this.clock.now(), retentionLease.ms)
    if (taken === 0) return undefined
    try {
      return await pass()
    } finally {
      await this.sqlite.write('releaseLease', retentionLease.name, holder).catch(() => {})
    }
  }
}
