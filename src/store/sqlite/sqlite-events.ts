// SQLite's event log: the group commit of publishes (run whole on the writer thread, with their
// outbox rows), the retention cutoff as its planner wants it, and a faster way to count the
// console's chart. Reads are the core's (relational/event-log.ts), on the reader threads.

import { sql } from 'kysely'

import type { Clock } from '../../clock.ts'
import type { EventSqlBackend } from '../event-list-sql.ts'
import { RelationalEventLog } from '../relational/event-log.ts'
import type { EventBucketCount, EventDraft, EventFilters, InsertEventsOptions, StoredEvent } from '../store.ts'
import { sqliteEventLayout } from './sqlite-dialect.ts'
import type { SqliteExecutor } from './sqlite-executor.ts'

export class SqliteEventLog extends RelationalEventLog {
  readonly #sqlite: SqliteExecutor
  /** Workspaces whose publishes were answered in this turn of the event loop, to tell watchers of. */
  readonly #toNotify = new Set<string>()

  constructor(sqlite: SqliteExecutor, clock: Clock) {
    super(sqlite, clock)
    this.#sqlite = sqlite
  }

  /**
   * One bound, the later of the query's own and "now minus the workspace's retention" as SQLite
   * computes it in the statement (in milliseconds, as created_at is stored); an unknown workspace
   * makes it NULL, which nothing is at or after.
   */
  protected readonly eventSql: EventSqlBackend = {
    layout: sqliteEventLayout,
    retainedFrom: (workspaceId, bound) => {
      const cutoff = sql<string>`${this.clock.now()} - 86400000 * (SELECT event_retention_days FROM workspaces WHERE workspace_id = ${workspaceId})`
      return [bound === undefined ? cutoff : sql<string>`max(${sqliteEventLayout.time(bound)}, ${cutoff})`]
    },
    // Unary plus: an expression no index matches, so the event_id index drives the query.
    createdAtBesideEventIds: sql<string>`+events.created_at`,
  }

  /**
   * Publishes are committed in groups, on the writer thread (sqlite-thread.ts): every publish
   * that arrives while a commit runs joins the next one, each in a savepoint of its own, and is
   * answered once that commit is on disk. One fsync and one write of each touched index page
   * then serve many requests, where a commit per request spent most of its time writing the
   * same pages again.
   */
  async insertEvents(workspaceId: string, drafts: readonly EventDraft[], options: InsertEventsOptions = {}): Promise<StoredEvent[]> {
    const outcome = await this.#sqlite.publish({ workspaceId, drafts, history: options.history === true }, this.clock.now())
    this.#notifySoon(workspaceId)
    if ('error' in outcome) throw Object.assign(new Error(outcome.error.message), outcome.error)
    return outcome.stored
  }

  /**
   * Told once per workspace for the publishes of one group commit, which are answered together:
   * a stream or worker woken by the first finds the others' events too.
   */
  #notifySoon(workspaceId: string): void {
    if (this.#toNotify.size === 0) {
      queueMicrotask(() => {
        const workspaceIds = [...this.#toNotify]
        this.#toNotify.clear()
        for (const id of workspaceIds) this.watchers.notify(id)
      })
    }
    this.#toNotify.add(workspaceId)
  }

  /**
   * Without id filters, the chart is counted one (type, bucket) at a time on the event_type
   * index where that is cheaper (sqlite-procedures.ts); otherwise the core's GROUP BY.
   */
  override async countEventsByBucket(workspaceId: string, filters: EventFilters, bucketSeconds: number): Promise<EventBucketCount[]> {
    return (
      (await this.#sqlite.read('countPerTypeAndBucket', { large: true }, workspaceId, filters, bucketSeconds, this.clock.now())) ??
      (await super.countEventsByBucket(workspaceId, filters, bucketSeconds))
    )
  }
}
