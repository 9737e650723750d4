// What a thread of the SQLite backend runs whole, in one message: work of many statements that
// would otherwise cost a round trip to the thread each. Synchronous, on the thread's connection.
// The writer's procedures write; the readers' only read.

import { randomUUID } from 'node:crypto'

import {
  fanOutBudget,
  fanOutRows,
  fanOutRowsPerClaim,
  fanoutWebhookIds,
  pendingFanoutColumns,
  publishedFanout,
  type PendingFanout,
} from '../outbox.ts'
import type { NewDelivery } from '../relational/executor.ts'
import {
  eventFilterColumns,
  keptCreatedAt,
  storedEventRow,
  type ClaimedDelivery,
  type DeliveryClaim,
  type DeliveryOutcome,
  type EventBucketCount,
  type EventDraft,
  type EventFilters,
  type StoredEvent,
} from '../store.ts'
import { nextDay, retainedSinceAt } from '../utc-days.ts'
import { chooseClaims, claimWindow, saturatedWebhookIds, signingSecrets, type ClaimedDeliveryRow } from '../webhook-rows.ts'
import type { StatementCache } from './sqlite-connection.ts'
import { decodeEventKeys, storedEventColumns, storedIdSql, storedTime } from './sqlite-event-layout.ts'

/** Sorts after every stored created_at: an unknown workspace shows nothing. */
const afterEveryEvent = '9999-12-31T23:59:59.999Z'

/** The workspace's key in the events table (sqlite-event-layout.ts); 0, which no workspace has, for an unknown one. */
function workspaceKey(statements: StatementCache, workspaceId: string): number {
  const key = statements.get('SELECT workspace_key FROM workspaces WHERE workspace_id = ?').pluck().get(workspaceId) as number | undefined
  return key ?? 0
}

/** The oldest created_at the workspace still shows at `now`. */
function retainedSince(statements: StatementCache, workspaceId: string, now: number): string {
  const row = statements.get('SELECT event_retention_days FROM workspaces WHERE workspace_id = ?').get(workspaceId) as
    | { event_retention_days: number }
    | undefined
  return row === undefined ? afterEveryEvent : retainedSinceAt(now, row.event_retention_days)
}

const insertEventSql = `INSERT INTO events (workspace_key, event_id, event_type, created_at,
    ${eventFilterColumns.join(', ')}, json)
  VALUES (@workspace_key, @event_id, @event_type, @created_at,
    ${eventFilterColumns.map((column) => `@${column}`).join(', ')}, @json)
  ON CONFLICT (workspace_key, event_id) DO NOTHING`

const insertDeliveriesSql = `INSERT INTO webhook_deliveries (delivery_id, workspace_id, webhook_id, event_id,
    event_type, event_created_at, status, next_attempt_at, recovery_id, created_at)
  SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, 'pending',
    value ->> 6, value ->> 7, value ->> 8
  FROM json_each(?) ORDER BY key`

/** Many deliveries, in one statement shape, in the order given. */
function insertDeliveries(statements: StatementCache, deliveries: readonly NewDelivery[]): void {
  const insert = statements.get(insertDeliveriesSql)
  for (let start = 0; start < deliveries.length; start += 1000) {
    const rows = deliveries.slice(start, start + 1000).map((d) => [
      d.delivery_id, d.workspace_id, d.webhook_id, d.event_id, d.event_type, d.event_created_at,
      d.next_attempt_at, d.recovery_id, d.created_at,
    ])
    insert.run(JSON.stringify(rows))
  }
}

export interface Publish {
  workspaceId: string
  drafts: readonly EventDraft[]
  /** InsertEventsOptions.history: each draft keeps its created_at, and no delivery is queued. */
  history: boolean
}

export type PublishOutcome = { stored: StoredEvent[] } | { error: { message: string; code?: string } }

/**
 * The group commit (run by the writer thread's commitGroup, not through `procedures`): every
 * publish in one transaction, each in a savepoint of its own (one bad
 * publish is undone alone), with its outbox rows; on disk (synchronous=FULL) before it returns.
 */
export function commitPublishes(statements: StatementCache, publishes: readonly Publish[], now: number): PublishOutcome[] {
  const { db } = statements
  const outcomes: PublishOutcome[] = []
  db.transaction(() => {
    for (const publish of publishes) {
      statements.get('SAVEPOINT publish').run()
      try {
        outcomes.push({ stored: writeEvents(statements, publish, now) })
        statements.get('RELEASE publish').run()
      } catch (error) {
        statements.get('ROLLBACK TO publish').run()
        statements.get('RELEASE publish').run()
        const { message, code } = error as { message: string; code?: string }
        outcomes.push({ error: code === undefined ? { message } : { message, code } })
      }
    }
  }).immediate()
  return outcomes
}

function writeEvents(statements: StatementCache, { workspaceId, drafts, history }: Publish, now: number): StoredEvent[] {
  // created_at never goes backwards within a workspace, even if the clock does, so that a
  // poller passing the last created_at it saw as `since` never misses an event. History keeps
  // the created_at it had.
  // An unknown workspace's 0 fails the insert's foreign key, as its id did before.
  const workspace_key = workspaceKey(statements, workspaceId)
  const newest = statements.get('SELECT MAX(created_at) FROM events WHERE workspace_key = ?').pluck().get(workspace_key) as number | null
  const publishedMs = newest !== null && newest > now ? newest : now
  const publishedAt = new Date(publishedMs).toISOString()
  const insert = statements.get(insertEventSql)
  const findStored = statements.get('SELECT hex(event_id) AS event_id, created_at, json FROM events WHERE workspace_key = ? AND event_id = ?')
  const added: EventDraft[] = []
  const stored = drafts.map((draft): StoredEvent => {
    const created_at = history ? keptCreatedAt(draft) : publishedAt
    const occurred_at = draft.occurred_at ?? created_at
    const { json, filterValues } = storedEventRow(workspaceId, draft, created_at, occurred_at)
    const row = storedEventColumns(workspace_key, { event_id: draft.event_id, event_type: draft.event_type, created_at, json, filterValues })
    if (insert.run(row).changes === 0) {
      const before = findStored.get(workspace_key, row['event_id']) as StoredEvent
      decodeEventKeys([before])
      return { ...before, already_stored: true }
    }
    added.push(draft)
    return { event_id: draft.event_id, created_at, json }
  })
  if (added.length > 0 && !history) {
    const webhooks = statements
      .get('SELECT webhook_id, event_types FROM webhooks WHERE workspace_id = ? AND disabled = 0 ORDER BY rowid')
      .all(workspaceId) as { webhook_id: string; event_types: string }[]
    const fanout = publishedFanout(workspaceId, webhooks, added, publishedAt, now)
    if (fanout !== undefined) {
      statements
        .get(
          `INSERT INTO webhook_fanouts (workspace_id, event_created_at, events, webhooks, queued_at)
           VALUES (@workspace_id, @event_created_at, @events, @webhooks, @queued_at)`,
        )
        .run(fanout)
    }
  }
  return stored
}

/**
 * Turns the oldest fan-out rows into deliveries (outbox.ts): up to `budget` of them, inside a
 * claim's transaction (the deliveries it makes due are claimable at once), or all of one
 * workspace's, before its deliveries are read.
 */
function fanOut(statements: StatementCache, now: number, budget: number, workspaceId?: string): void {
  const select = `SELECT ${pendingFanoutColumns} FROM webhook_fanouts`
  const rows = (
    workspaceId === undefined
      ? statements.get(`${select} ORDER BY seq LIMIT ?`).all(fanOutRowsPerClaim)
      : statements.get(`${select} WHERE workspace_id = ? ORDER BY seq`).all(workspaceId)
  ) as PendingFanout[]
  if (rows.length === 0) return
  const webhooks = statements
    .get('SELECT webhook_id, disabled FROM webhooks WHERE webhook_id IN (SELECT value FROM json_each(?))')
    .all(JSON.stringify([...new Set(rows.flatMap(fanoutWebhookIds))])) as { webhook_id: string; disabled: number }[]
  const made = fanOutRows(rows, new Map(webhooks.map((webhook) => [webhook.webhook_id, webhook.disabled === 1])), budget, now)
  insertDeliveries(statements, made.deliveries)
  const remove = statements.get('DELETE FROM webhook_fanouts WHERE seq = ?')
  for (const seq of made.finished) remove.run(seq)
  for (const { seq, webhooksDone } of made.progressed) {
    statements.get('UPDATE webhook_fanouts SET webhooks_done = ? WHERE seq = ?').run(webhooksDone, seq)
  }
}

/**
 * Claims and outcomes may be lost in a crash of the database and done again (TransactionOptions'
 * `durable`), so they commit without waiting for the disk (synchronous = NORMAL), as PostgreSQL
 * commits them with synchronous_commit off. A crash of the process loses nothing. After a power
 * loss, those committed since the last flush may be gone and their deliveries are sent again,
 * which at-least-once allows; the next publish's commit (FULL) or checkpoint flushes the WAL up
 * to itself, these commits included, so with no publishes that window is up to a checkpoint's
 * worth of them (PostgreSQL's WAL writer flushes within a second). A publish stays durable: the
 * group commit sets FULL itself (sqlite-thread.ts).
 */
export function withoutFlush<T>(statements: StatementCache, work: () => T): T {
  statements.db.pragma('synchronous = NORMAL')
  try {
    return work()
  } finally {
    statements.db.pragma('synchronous = FULL')
  }
}

/** Every delivery the workspace's publishes still owe, in one transaction. */
function fanOutWorkspace(statements: StatementCache, workspaceId: string, now: number): void {
  withoutFlush(statements, () => statements.db.transaction(() => fanOut(statements, now, Number.POSITIVE_INFINITY, workspaceId)).immediate())
}

/** A claim as it crosses to the thread: the map of what is in flight as entries. */
export type ThreadClaim = Omit<DeliveryClaim, 'inFlightByWebhook'> & { inFlightByWebhook: [string, number][] }

/** SQLite has no booleans, and the claim token is made after the row is read. */
type ClaimRow = Omit<ClaimedDeliveryRow, 'manual_retry' | 'claim_token'> & { seq: number; manual_retry: number }

/**
 * One writer at a time: a claim needs no row locks. Candidates come from the due index alone (it
 * covers webhook_id); the event and webhook are read only for the deliveries actually claimed.
 */
function claimDeliveries(statements: StatementCache, threadClaim: ThreadClaim, now: number): ClaimedDelivery[] {
  const claim: DeliveryClaim = { ...threadClaim, inFlightByWebhook: new Map(threadClaim.inFlightByWebhook) }
  const saturated = saturatedWebhookIds(claim.inFlightByWebhook, claim.perWebhookLimit)
  const claimAll = statements.db.transaction(() => {
    fanOut(statements, now, fanOutBudget)
    const candidates = statements
      .get(
        `SELECT seq, webhook_id FROM webhook_deliveries
         WHERE status = 'pending' AND next_attempt_at <= ?
           AND webhook_id NOT IN (SELECT value FROM json_each(?))
         ORDER BY next_attempt_at LIMIT ?`,
      )
      .all(now, JSON.stringify(saturated), claimWindow(claim)) as { seq: number; webhook_id: string }[]
    const details = statements.get(
      `SELECT d.seq, d.delivery_id, d.workspace_id, d.webhook_id, d.event_id, d.round_attempts,
         d.manual_retry, w.url, w.secret, w.previous_secret, w.previous_secret_expires_at,
         COALESCE(e.json, d.test_event_json) AS event_json
       FROM webhook_deliveries d
       JOIN webhooks w ON w.webhook_id = d.webhook_id
       JOIN workspaces ws ON ws.workspace_id = d.workspace_id
       LEFT JOIN events e ON e.workspace_key = ws.workspace_key AND e.event_id = ${storedIdSql('d.event_id')}
       WHERE d.seq = ?`,
    )
    const lease = statements.get('UPDATE webhook_deliveries SET next_attempt_at = ?, claim_token = ? WHERE seq = ?')
    const nowIso = new Date(now).toISOString()
    return chooseClaims(candidates, claim).map((candidate): ClaimedDelivery => {
      const { seq, manual_retry, secret, previous_secret, previous_secret_expires_at, ...row } = details.get(candidate.seq) as ClaimRow
      const claimToken = randomUUID()
      lease.run(now + claim.leaseMs, claimToken, seq)
      return {
        ...row,
        claim_token: claimToken,
        manual_retry: manual_retry === 1,
        secrets: signingSecrets({ secret, previous_secret, previous_secret_expires_at }, nowIso),
      }
    })
  })
  return withoutFlush(statements, () => claimAll.immediate())
}

/**
 * The console's chart without id filters, counted one (type, bucket) at a time on the
 * (workspace_id, event_type, created_at) index: each count is a range of index entries, with
 * no table row read and no sort, where the single GROUP BY reads every row of the range and
 * sorts them. 200,000 events over 30 days: 39 ms instead of 246 ms in 12-hour buckets, 141
 * instead of 335 in 1-hour ones. Null (the GROUP BY instead) when id filters apply (their own
 * indexes serve better) or the counts would be too many for a small store to gain.
 */
function countPerTypeAndBucket(
  statements: StatementCache,
  workspaceId: string,
  filters: EventFilters,
  bucketSeconds: number,
  now: number,
): EventBucketCount[] | null {
  const before = filters.created_at_before
  if (before === undefined || filters.event_ids !== undefined) return null
  if (Object.values(filters.columns ?? {}).some((values) => values !== undefined)) return null
  const key = workspaceKey(statements, workspaceId)
  const retained = retainedSince(statements, workspaceId, now)
  const from = storedTime(filters.created_at_min !== undefined && filters.created_at_min > retained ? filters.created_at_min : retained)
  // Times as stored: milliseconds. `after` is exclusive, so the earliest counted is after + 1.
  const after = filters.created_at_after === undefined ? Number.NEGATIVE_INFINITY : storedTime(filters.created_at_after)
  const end = storedTime(before)
  const widthMs = bucketSeconds * 1000
  const firstBucket = Math.floor(Math.max(after + 1, from) / widthMs) * widthMs
  const lastBucket = Math.floor((end - 1) / widthMs) * widthMs
  if (!Number.isFinite(firstBucket) || !Number.isFinite(lastBucket) || lastBucket < firstBucket) return []
  const afterBound = Number.isFinite(after) ? after : -1
  const types = filters.event_types ?? eventTypesOf(statements, key)
  const lookups = types.length * ((lastBucket - firstBucket) / widthMs + 1)
  if (lookups > cheapPerTypeBucketCounts) {
    // Many counts pay off only over many events: a count of the range (index entries only)
    // says which way is cheaper.
    const events = statements
      .get(
        `SELECT count(*) FROM events INDEXED BY events_by_created_at
         WHERE workspace_key = ? AND created_at >= ? AND created_at > ? AND created_at < ?`,
      )
      .pluck()
      .get(key, from, afterBound, end) as number
    if (lookups * eventsPerCountedBucket > events) return null
  }
  const count = statements
    .get(
      `SELECT count(*) FROM events INDEXED BY events_by_event_type
       WHERE workspace_key = ? AND event_type = ? AND created_at >= ? AND created_at > ? AND created_at < ?`,
    )
    .pluck()
  const counts: EventBucketCount[] = []
  for (const event_type of types) {
    for (let bucket = firstBucket; bucket <= lastBucket; bucket += widthMs) {
      const n = count.get(key, event_type, Math.max(bucket, from), afterBound, Math.min(bucket + widthMs, end)) as number
      if (n > 0) counts.push({ bucket_start: bucket / 1000, event_type, count: n })
    }
  }
  return counts
}

/**
 * Up to this many (type, bucket) counts are made without asking: a few milliseconds even on an
 * empty store. Past it, only where the range holds at least eventsPerCountedBucket events per
 * count: a count costs a few microseconds even over an empty range, a row of the GROUP BY about
 * one (measured at 200,000 and 1,000,000 events).
 */
const cheapPerTypeBucketCounts = 2500
const eventsPerCountedBucket = 4

/** The types a workspace has events of: one index probe per type, not a scan. */
function eventTypesOf(statements: StatementCache, workspaceKey: number): string[] {
  const next = statements.get('SELECT min(event_type) FROM events WHERE workspace_key = ? AND event_type > ?').pluck()
  const types: string[] = []
  for (let type = next.get(workspaceKey, '') as string | null; type !== null; type = next.get(workspaceKey, type) as string | null) {
    types.push(type)
  }
  return types
}

/** Removes up to `batchSize` events of one workspace's day, with their finished deliveries. */
function removeEventsBatch(statements: StatementCache, workspaceId: string, day: string, batchSize: number): number {
  return statements.db
    .transaction(() => {
      const rows = statements
        .get(
          `SELECT seq, hex(event_id) AS event_id FROM events WHERE workspace_key = ? AND created_at >= ? AND created_at < ?
           ORDER BY created_at LIMIT ?`,
        )
        .all(workspaceKey(statements, workspaceId), storedTime(day), storedTime(nextDay(day)), batchSize) as { seq: number; event_id: string }[]
      decodeEventKeys(rows)
      const removeDeliveries = statements.get(`DELETE FROM webhook_deliveries WHERE workspace_id = ? AND event_id = ? AND status <> 'pending'`)
      const removeEvent = statements.get('DELETE FROM events WHERE seq = ?')
      for (const { seq, event_id } of rows) {
        removeDeliveries.run(workspaceId, event_id)
        removeEvent.run(seq)
      }
      return rows.length
    })
    .immediate()
}

/** Takes the lease `name` unless another holder's is still running: 1 when taken. */
function takeLease(statements: StatementCache, name: string, holder: string, now: number, ms: number): number {
  return statements
    .get(
      `INSERT INTO maintenance_leases (name, holder, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
       WHERE maintenance_leases.expires_at < ?`,
    )
    .run(name, holder, now + ms, now).changes
}

function releaseLease(statements: StatementCache, name: string, holder: string): void {
  statements.get('DELETE FROM maintenance_leases WHERE name = ? AND holder = ?').run(name, holder)
}

/**
 * A batch of successes to webhooks that are not failing, the usual batch, whole in one message
 * (as PostgreSQL's recordSuccessesSql): every attempt of a delivery that still exists, and each
 * delivery done that this claim still holds (another worker's lease since is left to that
 * worker's outcome). Writes nothing, and answers false, if a webhook of the batch is failing:
 * the core then records the batch, and updates the webhook.
 */
function recordSuccesses(statements: StatementCache, outcomes: readonly DeliveryOutcome[], now: number): boolean {
  const completedAt = new Date(now).toISOString()
  const webhookIds = JSON.stringify([...new Set(outcomes.map((outcome) => outcome.webhook_id))])
  const failing = statements.get('SELECT 1 AS failing FROM webhooks WHERE webhook_id IN (SELECT value FROM json_each(?)) AND failing_since IS NOT NULL LIMIT 1')
  const findDelivery = statements.get('SELECT seq FROM webhook_deliveries WHERE delivery_id = ? AND workspace_id = ?')
  const insertAttempt = statements.get(
    `INSERT INTO webhook_delivery_attempts (delivery_seq, attempted_at, duration_ms, status_code, error, response_body)
     VALUES (?, ?, ?, ?, ?, ?)`,
  )
  const markDone = statements.get(
    `UPDATE webhook_deliveries SET status = 'succeeded', next_attempt_at = NULL, claim_token = NULL, completed_at = ?,
       attempt_count = attempt_count + 1, round_attempts = round_attempts + 1, last_error = NULL
     WHERE seq = ? AND claim_token = ?`,
  )
  const recordAll = statements.db.transaction(() => {
    if (failing.get(webhookIds) !== undefined) return false
    for (const { delivery_id, workspace_id, claim_token, attempt } of outcomes) {
      // Deleted with its webhook while the request was in flight: nothing left to record.
      const delivery = findDelivery.get(delivery_id, workspace_id) as { seq: number } | undefined
      if (delivery === undefined) continue
      insertAttempt.run(delivery.seq, attempt.attempted_at, attempt.duration_ms, attempt.status_code, attempt.error, attempt.response_body)
      markDone.run(completedAt, delivery.seq, claim_token)
    }
    return true
  })
  return withoutFlush(statements, () => recordAll.immediate())
}

export const procedures = {
  recordSuccesses,
  claimDeliveries,
  fanOutWorkspace,
  countPerTypeAndBucket,
  removeEventsBatch,
  takeLease,
  releaseLease,
} as const

export type Procedures = typeof procedures
export type ProcedureName = keyof Procedures
/** A procedure's arguments after the connection's statements. */
export type ProcedureArgs<N extends ProcedureName> = Parameters<Procedures[N]> extends [StatementCache, ...infer Rest] ? Rest : never
