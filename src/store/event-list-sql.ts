// Builds the SQL of events/list, events/histogram, events/get and the stream's reads once for
// every backend; each backend's executor runs it (see relational/executor.ts).

import {
  sql,
  type CompiledQuery,
  type Expression,
  type Kysely,
  type RawBuilder,
  type SelectQueryBuilder,
} from 'kysely'

import type { EventKeys, EventLayout, EventsQuery, StoredValue } from './event-layout.ts'
import type { Tables } from './schema.ts'
import type {
  EventBucketCount,
  EventFilterColumn,
  EventFilters,
  EventListQuery,
  EventLookup,
  EventPosition,
} from './store.ts'

export interface EventRow {
  seq: number
  event_id: string
  created_at: string
  json: string
}

/** A row of a page: the event's JSON, and its keys as selected (EventLayout.positionOf decodes them). */
export interface EventPageRow extends EventKeys {
  json: string
}

type EventsSelect = SelectQueryBuilder<Tables, 'events', EventRow>

/**
 * The lower bounds on created_at of a query of one workspace: the oldest created_at the
 * workspace still shows ("now minus its retention", computed by the database in the same
 * statement, so that a change of the setting hides events on every process at once), merged
 * with the query's own `bound` as the backend's planner wants it. SQLite wants one bound (given
 * two, its planner left the device_id index for a scan of the whole time range: since +
 * device_id p50 58 ms instead of 0.7 ms at 105,000 events); PostgreSQL wants plain ones, which
 * prune day partitions.
 */
export type RetainedFrom = (workspaceId: string, bound: string | undefined) => readonly StoredValue[]

/** What the event queries take from their backend. */
export interface EventSqlBackend {
  /** How the events table stores keys and times: every comparison and selected id goes through it. */
  layout: EventLayout
  retainedFrom: RetainedFrom
  /**
   * created_at as a query that `event_ids` drive compares and orders by. SQLite's planner, given
   * a time range, an ORDER BY created_at and 1,000 ids, walked the (workspace_id, created_at)
   * index over the whole window (~340 ms at 200,000 events) rather than look the ids up; there
   * it is `+created_at`, which no index matches, so the ids are looked up and the few rows sorted.
   * PostgreSQL plans from statistics, and keeps the plain column for its partition pruning.
   */
  createdAtBesideEventIds: Expression<string> | 'events.created_at'
}

/**
 * The rows the reads return, with event_id and created_at as the wire's text. Ordered and
 * compared by the qualified stored columns (events.created_at), never by these names: an ORDER BY
 * of a bare name would order by the selected text, which no index matches.
 */
function selectEvents(db: Kysely<Tables>, workspaceId: string, layout: EventLayout): EventsSelect {
  return layout.inWorkspace(
    db.selectFrom('events').select(['events.seq', layout.eventIdText.as('event_id'), layout.createdAtText.as('created_at'), 'events.json']),
    workspaceId,
  )
}

/** created_at >= the later of `bound` and the retention cutoff. */
function retainedFrom<O>(
  query: EventsQuery<O>,
  workspaceId: string,
  retainedSince: RetainedFrom,
  bound: string | undefined,
  createdAt: Expression<string> | 'events.created_at' = 'events.created_at',
): EventsQuery<O> {
  return retainedSince(workspaceId, bound).reduce((select, lower) => select.where(createdAt, '>=', lower), query)
}

function newestFirst<O>(query: EventsQuery<O>, createdAt: Expression<string> | 'events.created_at' = 'events.created_at'): EventsQuery<O> {
  return query.orderBy(createdAt, 'desc').orderBy('events.seq', 'desc')
}

/** created_at as this query compares and orders by it (see EventSqlBackend). */
function createdAtOf(filters: EventFilters, backend: EventSqlBackend): Expression<string> | 'events.created_at' {
  return filters.event_ids === undefined ? 'events.created_at' : backend.createdAtBesideEventIds
}

function whereAnyOf<O>(
  query: EventsQuery<O>,
  column: EventFilterColumn | 'event_id' | 'event_type',
  values: readonly string[],
  layout: EventLayout,
): EventsQuery<O> {
  const stored = values.map(column === 'event_type' ? (value: string): StoredValue => value : column === 'event_id' ? layout.eventId : layout.filterValue)
  const ref = `events.${column}` as const
  // An empty list matches nothing: say so in SQL rather than emitting an invalid `IN ()`.
  if (stored.length === 0) return query.where((eb) => eb.lit(false))
  if (stored.length === 1) return query.where(ref, '=', stored[0] as StoredValue)
  return query.where(ref, 'in', stored)
}

/**
 * The events `filters` select, within the workspace and its retention. `query` must already be
 * confined to the workspace (selectEvents, or a where on workspace_id). The time bounds stay
 * plain comparisons on created_at, so that they are a range of the (workspace_id, created_at,
 * ...) indexes and, on PostgreSQL, of the day partitions.
 */
function whereEventFilters<O>(
  query: EventsQuery<O>,
  workspaceId: string,
  filters: EventFilters,
  backend: EventSqlBackend,
): EventsQuery<O> {
  const { layout } = backend
  const createdAt = createdAtOf(filters, backend)
  let select = retainedFrom(query, workspaceId, backend.retainedFrom, filters.created_at_min, createdAt)
  if (filters.created_at_after !== undefined) {
    select = select.where(createdAt, '>', layout.time(filters.created_at_after))
  }
  if (filters.created_at_before !== undefined) {
    select = select.where(createdAt, '<', layout.time(filters.created_at_before))
  }
  if (filters.event_ids !== undefined) select = whereAnyOf(select, 'event_id', filters.event_ids, layout)
  if (filters.event_types !== undefined) {
    select = whereAnyOf(select, 'event_type', filters.event_types, layout)
  }
  for (const [column, values] of Object.entries(filters.columns ?? {})) {
    if (values !== undefined) select = whereAnyOf(select, column as EventFilterColumn, values, layout)
  }
  return select
}

/**
 * The page query: one row more than the limit is fetched, so the caller learns whether a
 * next page exists without a second query.
 */
export function compileListEvents(
  db: Kysely<Tables>,
  workspaceId: string,
  query: EventListQuery,
  backend: EventSqlBackend,
): CompiledQuery<EventPageRow> {
  // The route sends each event's JSON and needs the keys of the page's last event only: they are
  // selected as stored, and only that row's are made text (about 30 µs a 50-event page on SQLite).
  const { layout } = backend
  const rows = layout.inWorkspace(
    db.selectFrom('events').select([layout.eventIdKey.as('event_id'), layout.createdAtKey.as('created_at'), 'events.json']),
    workspaceId,
  )
  let select = whereEventFilters(rows, workspaceId, query, backend)
  const before = query.before
  if (before !== undefined) {
    // Should the cursor's event have been deleted since (retention), -1 degrades the position
    // to "older than its created_at".
    const beforeSeq = seqOf(db, workspaceId, before, backend.layout)
    const createdAt = createdAtOf(query, backend)
    select = select.where(
      sql<boolean>`(${typeof createdAt === 'string' ? sql.ref(createdAt) : createdAt}, events.seq) < (${backend.layout.time(before.created_at)}, ${beforeSeq})`,
    )
  }
  select = newestFirst(select, createdAtOf(query, backend)).limit(query.limit + 1)
  if (query.offset > 0) select = select.offset(query.offset)
  return select.compile()
}

/**
 * The tie-breaking seq of the event at a position (a cursor or a stream id names it by
 * created_at and event_id, never by seq), or -1 when it is no longer stored. Its created_at
 * confines the lookup to one partition on PostgreSQL.
 */
function seqOf(db: Kysely<Tables>, workspaceId: string, position: EventPosition, layout: EventLayout): RawBuilder<number> {
  const seq = layout
    .inWorkspace(db.selectFrom('events').select('events.seq'), workspaceId)
    .where('events.created_at', '=', layout.time(position.created_at))
    .where('events.event_id', '=', layout.eventId(position.event_id))
  return sql<number>`coalesce((${seq}), -1)`
}

/**
 * The event stream's read: events strictly after `after`, oldest first. Within a workspace,
 * publishes commit one at a time and created_at never goes backwards, so (created_at, seq)
 * ascending is commit order: an event that commits later can never sort before one already
 * read, and reading on from the last position sent misses nothing. A position whose event is
 * gone (retention) degrades to "from its created_at on", which repeats rather than skips.
 */
export function compileEventsAfter(
  db: Kysely<Tables>,
  workspaceId: string,
  filters: EventFilters,
  after: EventPosition | null,
  limit: number,
  backend: EventSqlBackend,
): CompiledQuery<EventRow> {
  // Implied by the position's comparison below, but said as a bound of its own: PostgreSQL
  // prunes day partitions on a plain bound of created_at, not on a row comparison. Merged into
  // the lower bound rather than added, for SQLite's planner (see RetainedSince).
  const from =
    after === null || after.created_at === '' || (filters.created_at_min ?? '') >= after.created_at
      ? filters
      : { ...filters, created_at_min: after.created_at }
  let select = whereEventFilters(selectEvents(db, workspaceId, backend.layout), workspaceId, from, backend)
  // Before the first event (an empty position) every event is after.
  if (after !== null && after.created_at !== '') {
    const afterSeq = seqOf(db, workspaceId, after, backend.layout)
    select = select.where(sql<boolean>`(events.created_at, events.seq) > (${backend.layout.time(after.created_at)}, ${afterSeq})`)
  }
  return select.orderBy('events.created_at', 'asc').orderBy('events.seq', 'asc').limit(limit).compile()
}

/** The workspace's newest event, retained or not: where a live-only stream starts. */
export function compileNewestEvent(
  db: Kysely<Tables>,
  workspaceId: string,
  layout: EventLayout,
): CompiledQuery<EventRow> {
  return newestFirst(selectEvents(db, workspaceId, layout)).limit(1).compile()
}

export function compileFindEvent(
  db: Kysely<Tables>,
  workspaceId: string,
  lookup: EventLookup,
  backend: EventSqlBackend,
): CompiledQuery<EventRow> {
  const { layout } = backend
  let select = retainedFrom(selectEvents(db, workspaceId, layout), workspaceId, backend.retainedFrom, undefined)
  if (lookup.event_id !== undefined) select = select.where('events.event_id', '=', layout.eventId(lookup.event_id))
  if (lookup.device_id !== undefined) select = select.where('events.device_id', '=', layout.filterValue(lookup.device_id))
  if (lookup.event_types !== undefined) select = whereAnyOf(select, 'event_type', lookup.event_types, layout)
  return newestFirst(select).limit(1).compile()
}

/** A row of the histogram query: one event type in one bucket of one UTC day. */
export interface DayBucketRow {
  /** `YYYY-MM-DD`, the UTC day of created_at. */
  day: string
  /** The bucket's index within the day. */
  slot: number
  event_type: string
  count: number
}

/**
 * Counts the events `filters` select per bucket and event type, grouped in SQL. The bucket is
 * created_at's UTC day and its minute of the day divided by the width (EventLayout.utcDay and
 * minuteOfDay), with no time zone. Every allowed width is whole minutes and divides a day, so buckets
 * aligned to the Unix epoch are aligned to midnight UTC too. created_at itself is only
 * compared in WHERE, so the time range stays an index range (and prunes day partitions).
 * The width is written into the SQL as a literal: as a parameter, PostgreSQL would see the
 * SELECT's and the GROUP BY's expressions as different (two placeholders) and refuse the query.
 */
export function compileCountEventsByBucket(
  db: Kysely<Tables>,
  workspaceId: string,
  filters: EventFilters,
  bucketSeconds: number,
  backend: EventSqlBackend,
): CompiledQuery<DayBucketRow> {
  if (!Number.isInteger(bucketSeconds) || bucketSeconds <= 0 || bucketSeconds % 60 !== 0 || 86_400 % bucketSeconds !== 0) {
    throw new Error(`bucket width ${bucketSeconds} s is not whole minutes dividing a day`)
  }
  const { layout } = backend
  const day = layout.utcDay
  const slot = sql<number>`${layout.minuteOfDay} / ${sql.lit(bucketSeconds / 60)}`
  const select = layout.inWorkspace(
    db.selectFrom('events').select([
      day.as('day'),
      slot.as('slot'),
      'events.event_type',
      // PostgreSQL's count is a bigint, which the driver returns as text.
      sql<number>`cast(count(*) as integer)`.as('count'),
    ]),
    workspaceId,
  )
  return whereEventFilters(select, workspaceId, filters, backend)
    .groupBy([day, slot, 'events.event_type'])
    .compile()
}

/** The rows of compileCountEventsByBucket as the store returns them. */
export function toEventBucketCounts(rows: readonly DayBucketRow[], bucketSeconds: number): EventBucketCount[] {
  return rows.map(({ day, slot, event_type, count }) => ({
    bucket_start: Date.parse(`${day}T00:00:00.000Z`) / 1000 + slot * bucketSeconds,
    event_type,
    count: Number(count),
  }))
}
