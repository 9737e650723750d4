// How a backend stores the keys of an event: its workspace, its event_id, its created_at and the
// values of its filter columns. The shared queries (event-list-sql.ts, relational/) compare and
// select through this, never the columns' raw values, so that a backend may store them leaner
// than the wire's text. PostgreSQL stores the wire's text (textEventLayout); SQLite stores
// integers and 16-byte ids (sqlite/sqlite-event-layout.ts), which its indexes repeat in every
// entry.

import { sql, type RawBuilder, type SelectQueryBuilder } from 'kysely'

import type { Tables } from './schema.ts'
import type { EventPosition } from './store.ts'

/** A query of the events table, whatever it selects. */
export type EventsQuery<O> = SelectQueryBuilder<Tables, 'events', O>

/** A value as a column of the events table holds it: the wire's text, or an expression making it. */
export type StoredValue = string | RawBuilder<string>

export interface EventLayout {
  /** Confines a query of the events table to one workspace. */
  inWorkspace<O>(query: EventsQuery<O>, workspaceId: string): EventsQuery<O>
  /** A created_at (ISO 8601 UTC with milliseconds) as the created_at column holds it. */
  time(iso: string): StoredValue
  /** An event_id as the event_id column holds it. */
  eventId(eventId: string): StoredValue
  /** A value of a filter column (device_id, ...) as the column holds it. */
  filterValue(value: string): StoredValue
  /**
   * The stored event_id and created_at, for a select list (as `event_id` and `created_at`): the
   * wire's text in the rows the executor returns.
   */
  readonly eventIdText: RawBuilder<string>
  readonly createdAtText: RawBuilder<string>
  /**
   * The same two as the statement gives them, not yet the wire's text, and what makes one row's
   * of them a position: for a read that needs the keys of one row only (a page's cursor), so
   * that the rest of its rows are never converted.
   */
  readonly eventIdKey: RawBuilder<unknown>
  readonly createdAtKey: RawBuilder<unknown>
  positionOf(keys: EventKeys): EventPosition
  /** created_at's UTC day (`YYYY-MM-DD`) and its minute within that day, for the chart's buckets. */
  readonly utcDay: RawBuilder<string>
  readonly minuteOfDay: RawBuilder<number>
}

/** A row's eventIdKey and createdAtKey, as selected. */
export interface EventKeys {
  event_id: unknown
  created_at: unknown
}

/** Columns hold the wire's text: ids as they are, times as ISO 8601 with milliseconds. */
export const textEventLayout: EventLayout = {
  inWorkspace: (query, workspaceId) => query.where('events.workspace_id', '=', workspaceId),
  time: (iso) => iso,
  eventId: (eventId) => eventId,
  filterValue: (value) => value,
  eventIdText: sql.ref('events.event_id'),
  createdAtText: sql.ref('events.created_at'),
  eventIdKey: sql.ref('events.event_id'),
  createdAtKey: sql.ref('events.created_at'),
  positionOf: ({ event_id, created_at }) => ({ event_id: String(event_id), created_at: String(created_at) }),
  // The fixed text form `YYYY-MM-DDTHH:MM:...`: the same SQL on every engine, no date parsing.
  utcDay: sql<string>`substr(events.created_at, 1, 10)`,
  minuteOfDay: sql<number>`(cast(substr(events.created_at, 12, 2) as integer) * 60 + cast(substr(events.created_at, 15, 2) as integer))`,
}
