// PostgreSQL's event log: publishes serialized per workspace by its row lock and committed in
// groups, day partitions made ahead of need, and LISTEN/NOTIFY so that every API process hears
// of every publish. Reads are the core's (relational/event-log.ts).

import { randomUUID } from 'node:crypto'

import { sql } from 'kysely'

import type { Clock } from '../../clock.ts'
import type { EventSqlBackend } from '../event-list-sql.ts'
import { publishedFanout, type NewFanout } from '../outbox.ts'
import { RelationalEventLog } from '../relational/event-log.ts'
import {
  eventFilterColumns,
  keptCreatedAt,
  storedEventRow,
  type EventDraft,
  type EventsPublishedListener,
  type InsertEventsOptions,
  type StoredEvent,
} from '../store.ts'
import { addDays, nextDay, utcDay } from '../utc-days.ts'
import { prepared, type PgExecutor, type PgQueries } from './pg-executor.ts'
import {
  deliveriesChannel,
  eventsPublishedChannel,
  listenForNotifications,
  notifyEventsPublishedColumn,
  publishedWorkspace,
} from './pg-notifications.ts'

/** Publishes committed together at most, per workspace (see #insertEvents). */
const maxGroupedWrites = 64

export const partitionLockId = 0x5ea4e8
/** Partitions are made this many days ahead, so that no publish waits for DDL at midnight. */
const partitionDaysAhead = 2

/** The partition of one UTC day: `events_20261123` holds created_at in [2026-11-23, 2026-11-24). */
export function partitionName(day: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new Error(`not a day: ${day}`)
  return `events_${day.replaceAll('-', '')}`
}

const lockWorkspaceForPublishSql = `SELECT ${notifyEventsPublishedColumn} FROM workspaces
  WHERE workspace_id = $1 FOR NO KEY UPDATE`

/**
 * What a group of publishes reads, in one statement: the workspace's newest created_at, its
 * events of the group's ids already stored, and (when $3) its enabled webhooks, as JSON in the
 * first row.
 */
const readForPublishSql = `SELECT NULL AS event_id, MAX(created_at) AS created_at,
    CASE WHEN $3::boolean THEN (
      SELECT coalesce(json_agg(json_build_object('webhook_id', webhook_id, 'event_types', event_types) ORDER BY seq), '[]')::text
      FROM webhooks WHERE workspace_id = $1 AND NOT disabled) END AS json
  FROM events WHERE workspace_id = $1
  UNION ALL
  SELECT event_id, created_at, json FROM events WHERE workspace_id = $1 AND event_id = ANY($2::text[])`

/** $1 and one array per event column: the fan-out rows' arrays come after. */
const lastEventParameter = eventFilterColumns.length + 5 + 1
/**
 * What a group of publishes writes, in one statement: its events, one array per column
 * unnested in the group's order so that seq follows it (duplicates were taken out before), its
 * fan-out rows likewise, and, when there are any, the notification that wakes the workers (sent
 * on commit).
 */
const writeForPublishSql = `WITH inserted AS (
    INSERT INTO events (workspace_id, event_id, event_type, created_at, occurred_at, ${eventFilterColumns.join(', ')}, json)
    SELECT $1::text, batch.event_id, batch.event_type, batch.created_at, batch.occurred_at,
      ${eventFilterColumns.map((column) => `batch.${column}`).join(', ')}, batch.json
    FROM unnest(${Array.from({ length: lastEventParameter - 1 }, (_, index) => `$${index + 2}::text[]`).join(', ')})
      WITH ORDINALITY AS batch (event_id, event_type, created_at, occurred_at, ${eventFilterColumns.join(', ')}, json, position)
    ORDER BY batch.position),
  queued AS (
    INSERT INTO webhook_fanouts (workspace_id, event_created_at, events, webhooks, queued_at)
    SELECT $1::text, fanout.event_created_at, fanout.events, fanout.webhooks, fanout.queued_at
    FROM unnest($${lastEventParameter + 1}::text[], $${lastEventParameter + 2}::text[], $${lastEventParameter + 3}::text[], $${lastEventParameter + 4}::bigint[])
      WITH ORDINALITY AS fanout (event_created_at, events, webhooks, queued_at, position)
    ORDER BY fanout.position)
  SELECT pg_notify('${deliveriesChannel}', '') FROM (SELECT 1) AS one WHERE cardinality($${lastEventParameter + 1}::text[]) > 0`

function isMissingPartition(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error as { code?: string }).code === '23514' &&
    error.message.startsWith('no partition of relation')
  )
}

/** A publish waiting in its workspace's queue for the next group commit. */
interface QueuedWrite {
  workspaceId: string
  drafts: readonly EventDraft[]
  /** InsertEventsOptions.history: the drafts keep their created_at and queue no deliveries. */
  history: boolean
  resolve(stored: StoredEvent[]): void
  reject(error: unknown): void
}

/** Each publish of a group is stored all-or-nothing in a savepoint, and answered on its own. */
type WriteOutcome = { stored: StoredEvent[] } | { error: unknown }

/** Answers each publish of a committed group: `outcomes` holds one per write, in order. */
function settleWrites(writes: readonly QueuedWrite[], outcomes: readonly WriteOutcome[]): void {
  writes.forEach((write, index) => {
    const outcome = outcomes[index] as WriteOutcome
    if ('stored' in outcome) write.resolve(outcome.stored)
    else write.reject(outcome.error)
  })
}

export class PgEventLog extends RelationalEventLog {
  readonly #pg: PgExecutor
  readonly #connectionString: string
  /** Days whose partition this process knows to exist. */
  readonly preparedDays = new Set<string>()
  /** Per workspace with a publish transaction running here: the publishes waiting for the next. */
  readonly #queuedWrites = new Map<string, QueuedWrite[]>()
  /** Names this store's events-published notifications, so that it skips its own. */
  readonly #notificationToken = randomUUID()
  /** The LISTEN connection for other processes' publishes, open while anyone watches. */
  #listening: Promise<() => Promise<void>> | undefined

  constructor(executor: PgExecutor, connectionString: string, clock: Clock) {
    super(executor, clock)
    this.#pg = executor
    this.#connectionString = connectionString
  }

  /** Two plain bounds, which prune day partitions; now is this store's clock. */
  protected readonly eventSql: EventSqlBackend = {
    layout: this.executor.dialect.events,
    retainedFrom: (workspaceId, bound) => [
      sql<string>`to_char(to_timestamp(${this.clock.now() / 1000}) at time zone 'UTC' - make_interval(days => (select event_retention_days from workspaces where workspace_id = ${workspaceId})), 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
      ...(bound === undefined ? [] : [bound]),
    ],
    createdAtBesideEventIds: 'events.created_at',
  }

  /** The days ahead of this one that get their partition before anything is written to them. */
  upcomingDays(): string[] {
    const today = utcDay(this.clock.now())
    return Array.from({ length: partitionDaysAhead + 1 }, (_, ahead) => addDays(today, ahead))
  }

  async prepareEventDays(days: readonly string[]): Promise<void> {
    for (const day of days) {
      if (this.preparedDays.has(day)) continue
      const partition = partitionName(day)
      await this.#pg.transaction(async ({ connection }) => {
        await connection.query('SELECT pg_advisory_xact_lock($1)', [partitionLockId])
        const { rows } = await connection.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [partition])
        if (rows[0]?.exists === true) return
        // Made apart and then attached: ATTACH takes a lock that lets reads and writes of events
        // go on, where CREATE TABLE ... PARTITION OF would block them.
        await connection.query(`CREATE TABLE ${partition} (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`)
        await connection.query(`ALTER TABLE events ATTACH PARTITION ${partition} FOR VALUES FROM ('${day}') TO ('${nextDay(day)}')`)
      })
      this.preparedDays.add(day)
    }
  }

  async insertEvents(workspaceId: string, drafts: readonly EventDraft[], options: InsertEventsOptions = {}): Promise<StoredEvent[]> {
    const history = options.history === true
    const today = utcDay(this.clock.now())
    if (!this.preparedDays.has(today)) await this.prepareEventDays([today, nextDay(today)])
    // History goes to the days of its own created_at, past ones included.
    if (history) await this.prepareEventDays([...new Set(drafts.map((draft) => keptCreatedAt(draft).slice(0, 10)))])
    try {
      return await this.#insertEvents(workspaceId, drafts, history)
    } catch (error) {
      // Only when no process has made today's partition yet, and this process's clock (or a
      // previous event's created_at) is past the partitions made ahead.
      if (!isMissingPartition(error)) throw error
      this.preparedDays.clear()
      const { rows } = await this.#pg.pool.query<{ newest: string | null }>(
        'SELECT MAX(created_at) AS newest FROM events WHERE workspace_id = $1',
        [workspaceId],
      )
      const newest = rows[0]?.newest ?? null
      const day = newest !== null && newest.slice(0, 10) > today ? newest.slice(0, 10) : today
      await this.prepareEventDays([day, nextDay(day)])
      return await this.#insertEvents(workspaceId, drafts, history)
    }
  }

  /**
   * Publishes to one workspace are serialized by its row lock (below), so this process queues
   * those that arrive while one of its transactions for the workspace runs, and commits them
   * together next (#commitWrites). Sixteen publishers waiting on the row lock
   * each, one commit at a time, managed 68 single events a second.
   */
  #insertEvents(workspaceId: string, drafts: readonly EventDraft[], history: boolean): Promise<StoredEvent[]> {
    return new Promise((resolve, reject) => {
      const write: QueuedWrite = { workspaceId, drafts, history, resolve, reject }
      const queued = this.#queuedWrites.get(workspaceId)
      if (queued !== undefined) {
        queued.push(write)
        return
      }
      this.#queuedWrites.set(workspaceId, [])
      void this.#commitQueuedWrites(workspaceId, [write])
    })
  }

  async #commitQueuedWrites(workspaceId: string, first: QueuedWrite[]): Promise<void> {
    let writes = first
    for (;;) {
      await this.#commitWrites(workspaceId, writes)
      const queued = this.#queuedWrites.get(workspaceId) ?? []
      if (queued.length === 0) {
        this.#queuedWrites.delete(workspaceId)
        return
      }
      // A bounded group: each publish is a few round trips under the workspace's lock, and the
      // first of a group waits for the last.
      writes = queued.splice(0, maxGroupedWrites)
    }
  }

  /**
   * Commits a group in five round trips whatever its size: the workspace's lock, one read and
   * one write for all of its publishes (#writeGroup), between BEGIN and COMMIT. Seven round trips
   * per publish, each in a savepoint of its own, made a group's transaction the bound of
   * publishing to one workspace: at 100 publishes a second, groups of 20 taking 200 ms each.
   * A group that fails is committed again a publish at a time, each in a savepoint, so that a
   * publish that cannot be stored fails alone.
   */
  async #commitWrites(workspaceId: string, writes: readonly QueuedWrite[]): Promise<void> {
    let outcomes: WriteOutcome[]
    try {
      outcomes = await this.#pg.transaction(async (tx) => {
        await this.#lockForPublish(tx, workspaceId)
        return (await this.#writeGroup(tx, workspaceId, writes)).map((stored) => ({ stored }))
      })
    } catch (error) {
      if (writes.length === 1) {
        for (const write of writes) write.reject(error)
        return
      }
      try {
        outcomes = await this.#pg.transaction(async (tx) => {
          await this.#lockForPublish(tx, workspaceId)
          const each: WriteOutcome[] = []
          for (const write of writes) {
            try {
              const [stored] = await tx.transaction(() => this.#writeGroup(tx, workspaceId, [write]))
              each.push({ stored: stored as StoredEvent[] })
            } catch (error) {
              each.push({ error })
            }
          }
          return each
        })
      } catch (error) {
        // The transaction failed as a whole: nothing of the group is stored.
        for (const write of writes) write.reject(error)
        return
      }
    }
    this.watchers.notify(workspaceId)
    settleWrites(writes, outcomes)
  }

  /**
   * One writer per workspace at a time, across every API process: created_at then never goes
   * backwards within a workspace and seq order is commit order, which keeps `since` polling and
   * page cursors exact. It also makes the event_id check of #writeGroup race-free, which a
   * partitioned table cannot enforce with a unique index. Other workspaces write in parallel.
   * The same statement queues the notification that wakes the event streams of other API
   * processes: sent on commit, dropped on rollback, and no round trip of its own.
   */
  async #lockForPublish(tx: PgQueries, workspaceId: string): Promise<void> {
    const locked = await tx.connection.query(prepared(lockWorkspaceForPublishSql, [workspaceId, this.#notificationToken]))
    // The check that the foreign key made before migration 4 dropped it (see there).
    if (locked.rowCount === 0) throw new Error(`no workspace ${workspaceId}`)
  }

  /**
   * Stores the events of several publishes, in order, in a transaction that holds the
   * workspace's row lock, as if each were stored after the one before: an event_id stored
   * before or by an earlier publish is already_stored (the first one stands), and created_at
   * never goes back. History keeps each draft's created_at and queues no deliveries; every
   * other publish queues its fan-out row (the outbox, outbox.ts). The webhooks are read without
   * a lock: what one edited, disabled or deleted meanwhile gets is settled at fan-out.
   */
  async #writeGroup(tx: PgQueries, workspaceId: string, writes: readonly QueuedWrite[]): Promise<StoredEvent[][]> {
    const eventIds = [...new Set(writes.flatMap((write) => write.drafts.map((draft) => draft.event_id)))]
    const { rows: known } = await tx.connection.query<{ event_id: string | null; created_at: string | null; json: string | null }>(
      prepared(readForPublishSql, [workspaceId, eventIds, writes.some((write) => !write.history)]),
    )
    const head = known.find((row) => row.event_id === null)
    let newest = head?.created_at ?? null
    const webhooks = head?.json == null ? [] : (JSON.parse(head.json) as { webhook_id: string; event_types: string }[])
    /** Stored before this publish: in the database, or by an earlier publish of the group. */
    const storedBefore = new Map<string, StoredEvent>()
    for (const { event_id, created_at, json } of known) {
      if (event_id !== null) storedBefore.set(event_id, { event_id, created_at: created_at as string, json: json as string, already_stored: true })
    }
    const now = this.clock.now()
    const nowIso = new Date(now).toISOString()
    const eventRows: (string | null)[][] = []
    const fanouts: NewFanout[] = []
    const results = writes.map(({ drafts, history }) => {
      const publishedAt = newest !== null && newest > nowIso ? newest : nowIso
      const added = new Map<string, StoredEvent>()
      const addedDrafts: EventDraft[] = []
      for (const draft of drafts) {
        // Earlier in this publish, or stored before it: the first one stands.
        if (added.has(draft.event_id) || storedBefore.has(draft.event_id)) continue
        const created_at = history ? keptCreatedAt(draft) : publishedAt
        const occurred_at = draft.occurred_at ?? created_at
        const { json, filterValues } = storedEventRow(workspaceId, draft, created_at, occurred_at)
        eventRows.push([draft.event_id, draft.event_type, created_at, occurred_at, ...eventFilterColumns.map((column) => filterValues[column]), json])
        added.set(draft.event_id, { event_id: draft.event_id, created_at, json })
        addedDrafts.push(draft)
        if (newest === null || created_at > newest) newest = created_at
      }
      const fanout = history ? undefined : publishedFanout(workspaceId, webhooks, addedDrafts, publishedAt, now)
      if (fanout !== undefined) fanouts.push(fanout)
      const stored = drafts.map((draft) => (added.get(draft.event_id) ?? storedBefore.get(draft.event_id)) as StoredEvent)
      for (const event of added.values()) storedBefore.set(event.event_id, { ...event, already_stored: true })
      return stored
    })
    if (eventRows.length > 0) {
      const eventColumns = (eventRows[0] ?? []).map((_, column) => eventRows.map((row) => row[column]))
      const fanoutColumns = (['event_created_at', 'events', 'webhooks', 'queued_at'] as const).map((column) => fanouts.map((fanout) => fanout[column]))
      await tx.connection.query(prepared(writeForPublishSql, [workspaceId, ...eventColumns, ...fanoutColumns]))
    }
    return results
  }

  /**
   * Publishes through this process are told at once; those of other processes arrive by NOTIFY
   * on one LISTEN connection, opened when the first watcher comes and closed after the last.
   */
  override async watchEvents(listener: EventsPublishedListener): Promise<() => Promise<void>> {
    const remove = this.watchers.add(listener)
    this.#listening ??= listenForNotifications(
      this.#connectionString,
      eventsPublishedChannel,
      (payload) => {
        // null: the connection came back, and whatever was sent meanwhile is lost.
        if (payload === null) return this.watchers.notify(null)
        const workspaceId = publishedWorkspace(payload, this.#notificationToken)
        if (workspaceId !== undefined) this.watchers.notify(workspaceId)
      },
      () => {
        // A lost listening connection is reopened; meanwhile the watchers' own polls cover the gap.
      },
    )
    const listening = this.#listening
    try {
      await listening
    } catch (error) {
      remove()
      if (this.#listening === listening) this.#listening = undefined
      throw error
    }
    return async () => {
      remove()
      const current = this.#listening
      if (this.watchers.size > 0 || current === undefined) return
      this.#listening = undefined
      await current.then((stop) => stop()).catch(() => {})
    }
  }

  /** Stops listening, when the store closes. */
  async stopListening(): Promise<void> {
    const listening = this.#listening
    this.#listening = undefined
    await listening?.then((stop) => stop()).catch(() => {})
  }
}
