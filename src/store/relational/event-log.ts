// The event log's reads, the same on every backend (event-list-sql.ts builds them). What a
// backend adds: its publish (a group commit of its own), how it tells watchers of other
// processes, how a query learns the retention cutoff, and faster ways to count where it has them.

import type { Clock } from '../../clock.ts'
import {
  compileCountEventsByBucket,
  compileEventsAfter,
  compileFindEvent,
  compileListEvents,
  compileNewestEvent,
  toEventBucketCounts,
  type EventRow,
  type EventSqlBackend,
} from '../event-list-sql.ts'
import { EventWatchers } from '../event-watchers.ts'
import type {
  EventBucketCount,
  EventDraft,
  EventFilters,
  EventListQuery,
  EventLog,
  EventLookup,
  EventPage,
  EventPosition,
  EventsPublishedListener,
  InsertEventsOptions,
  StoredEvent,
} from '../store.ts'
import { jsonPageOf } from '../json-page.ts'
import type { Executor } from './executor.ts'

/** A read of more rows than this, or with more ids, is large (see ReadOptions). */
const largeReadRows = 100

export abstract class RelationalEventLog implements EventLog {
  /** Told after each commit of this process. */
  protected readonly watchers = new EventWatchers()

  constructor(
    protected readonly executor: Executor,
    protected readonly clock: Clock,
  ) {}

  abstract insertEvents(workspaceId: string, drafts: readonly EventDraft[], options?: InsertEventsOptions): Promise<StoredEvent[]>
  /** What the event queries take from the backend (see EventSqlBackend). */
  protected abstract readonly eventSql: EventSqlBackend

  /** Publishes through this process are told at once; other processes' need the backend. */
  async watchEvents(listener: EventsPublishedListener): Promise<() => Promise<void>> {
    const remove = this.watchers.add(listener)
    return async () => {
      remove()
    }
  }

  async listEvents(workspaceId: string, query: EventListQuery): Promise<EventPage> {
    const statement = compileListEvents(this.executor.db, workspaceId, query, this.eventSql)
    const options = { large: query.limit > largeReadRows || (query.event_ids?.length ?? 0) > largeReadRows }
    // The statement reads one row more than the page, to tell whether there is a next one.
    const { jsonText, last, more } =
      this.executor.jsonPage === undefined
        ? jsonPageOf(await this.executor.rows(statement, options), query.limit)
        : await this.executor.jsonPage(statement, query.limit, options)
    return {
      eventsJsonText: jsonText,
      next: more && last !== undefined ? this.eventSql.layout.positionOf(last) : null,
    }
  }

  async countEventsByBucket(workspaceId: string, filters: EventFilters, bucketSeconds: number): Promise<EventBucketCount[]> {
    const query = compileCountEventsByBucket(this.executor.db, workspaceId, filters, bucketSeconds, this.eventSql)
    return toEventBucketCounts(await this.executor.rows(query, { large: true }), bucketSeconds)
  }

  async findEvent(workspaceId: string, lookup: EventLookup): Promise<StoredEvent | undefined> {
    const row = await this.executor.first(compileFindEvent(this.executor.db, workspaceId, lookup, this.eventSql))
    return row === undefined ? undefined : toStoredEvent(row)
  }

  async listEventsAfter(
    workspaceId: string,
    filters: EventFilters,
    after: EventPosition | null,
    limit: number,
  ): Promise<StoredEvent[]> {
    const query = compileEventsAfter(this.executor.db, workspaceId, filters, after, limit, this.eventSql)
    return (await this.executor.rows(query, { large: limit > largeReadRows })).map(toStoredEvent)
  }

  async newestEventPosition(workspaceId: string): Promise<EventPosition | null> {
    const row = await this.executor.first(compileNewestEvent(this.executor.db, workspaceId, this.executor.dialect.events))
    return row === undefined ? null : { created_at: row.created_at, event_id: row.event_id }
  }
}

function toStoredEvent({ event_id, created_at, json }: EventRow): StoredEvent {
  return { event_id, created_at, json }
}
