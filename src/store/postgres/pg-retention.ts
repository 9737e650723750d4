// PostgreSQL's retention: events are partitioned by UTC day, so a day past every workspace's
// retention is removed by detaching and dropping its partition, not by deleting its rows; one
// pass at a time across every process, by a session-level advisory lock.

import type { EventRetentionStore, RetainedEvent } from '../store.ts'
import { nextDay } from '../utc-days.ts'
import type { PgEventLog } from './pg-events.ts'
import { partitionName } from './pg-events.ts'
import type { PgExecutor } from './pg-executor.ts'

const retentionLockId = 0x5ea4e9

export class PgRetention implements EventRetentionStore {
  constructor(
    readonly pg: PgExecutor,
    readonly events: PgEventLog,
  ) {}

  async #query<T extends object>(sql: string, parameters: unknown[] = []): Promise<T[]> {
    return (await this.pg.pool.query<T>(sql, parameters)).rows
  }

  async oldestEventDay(): Promise<string | null> {
    // The day tables by name rather than the partitions of events alone: a pass interrupted
    // between DETACH and DROP leaves a standalone table that is no partition any more, and the
    // next pass must still find its day to drop it.
    const [oldest] = await this.#query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_class c
       WHERE c.relnamespace = to_regnamespace(current_schema()) AND c.relkind = 'r'
         AND c.relname ~ '^events_[0-9]{8}$'
         AND (NOT c.relispartition
           OR EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid AND i.inhparent = 'events'::regclass))
       ORDER BY c.relname LIMIT 1`,
    )
    if (oldest === undefined) return null
    const digits = oldest.name.slice('events_'.length)
    return `${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6, 8)}`
  }

  async readEventsOfDay(workspaceId: string, day: string, after: RetainedEvent | null, limit: number): Promise<RetainedEvent[]> {
    // From the day's own table, not through events: the same rows while it is attached, and
    // still there to export when an interrupted pass left it detached, or detach pending
    // (which queries on events no longer see).
    const table = partitionName(day)
    const [state] = await this.#query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [table])
    if (state?.exists !== true) return []
    return await this.#query<RetainedEvent>(
      `SELECT created_at, seq, json FROM ${table}
       WHERE workspace_id = $1 AND created_at >= $2 AND created_at < $3
         AND (created_at, seq) > ($4::text COLLATE "C", $5::bigint)
       ORDER BY created_at, seq LIMIT $6`,
      [workspaceId, day, nextDay(day), after?.created_at ?? day, after?.seq ?? -1, limit],
    )
  }

  async removeEventsOfDay(workspaceId: string, day: string): Promise<number> {
    return await this.pg.transaction(async ({ connection }) => {
      const window = [workspaceId, day, nextDay(day)]
      await connection.query(
        `DELETE FROM webhook_deliveries d USING events e
         WHERE e.workspace_id = $1 AND e.created_at >= $2 AND e.created_at < $3
           AND d.workspace_id = $1 AND d.event_id = e.event_id AND d.status <> 'pending'`,
        window,
      )
      const removed = await connection.query('DELETE FROM events WHERE workspace_id = $1 AND created_at >= $2 AND created_at < $3', window)
      return removed.rowCount ?? 0
    })
  }

  async removeDay(day: string): Promise<number> {
    const partition = partitionName(day)
    const [state] = await this.#query<{ exists: boolean; attached: boolean; detach_pending: boolean }>(
      `SELECT to_regclass($1) IS NOT NULL AS exists,
         i.inhrelid IS NOT NULL AS attached, COALESCE(i.inhdetachpending, false) AS detach_pending
       FROM (SELECT 1) one LEFT JOIN pg_inherits i ON i.inhrelid = to_regclass($1)`,
      [partition],
    )
    if (state === undefined || !state.exists) return 0
    const [counted] = await this.#query<{ count: number }>(`SELECT COUNT(*)::int AS count FROM ${partition}`)
    await this.#query(
      `DELETE FROM webhook_deliveries d USING ${partition} e
       WHERE d.workspace_id = e.workspace_id AND d.event_id = e.event_id AND d.status <> 'pending'`,
    )
    // Dropping an attached partition would lock the whole events table (ACCESS EXCLUSIVE) and
    // queue every read behind it; detaching CONCURRENTLY does not. An interrupted detach is
    // left pending, and FINALIZE completes it; a table already detached is only dropped.
    if (state.detach_pending) {
      await this.#query(`ALTER TABLE events DETACH PARTITION ${partition} FINALIZE`)
    } else if (state.attached) {
      await this.#query(`ALTER TABLE events DETACH PARTITION ${partition} CONCURRENTLY`)
    }
    await this.#query(`DROP TABLE ${partition}`)
    this.events.preparedDays.delete(day)
    return counted?.count ?? 0
  }

  prepareEventDays(days: readonly string[]): Promise<void> {
    return this.events.prepareEventDays(days)
  }

  async withRetentionLock<T>(pass: () => Promise<T>): Promise<T | undefined> {
    // A session lock on a client held for the whole pass: it goes with the session if the
    // process dies, so a crashed pass never blocks the next one.
    const client = await this.pg.pool.connect()
    try {
      const { rows } = await client.query<{ taken: boolean }>('SELECT pg_try_advisory_lock($1) AS taken', [retentionLockId])
      if (rows[0]?.taken !== true) return undefined
      try {
        return await pass()
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [retentionLockId]).catch(() => {})
      }
    } finally {
      client.release()
    }
  }
}
