import { randomUUID } from 'node:crypto'

import type Database from 'better-sqlite3'

import { eventTypeMatches } from '../event-type-patterns.ts'
import type {
  ClaimedDelivery,
  Delivery,
  DeliveryAttempt,
  DeliveryClaim,
  DeliveryListQuery,
  DeliveryOutcome,
  DeliveryPage,
  DeliveryQueue,
  DeliveryStatus,
  NewRecovery,
  NewWebhook,
  OutcomePolicy,
  Recovery,
  Webhook,
  WebhookPatch,
  WebhookStore,
} from '../store.ts'
import {
  type ClaimedDeliveryRow,
  chooseClaims,
  claimWindow,
  deliveryColumns,
  describeAttemptError,
  saturatedWebhookIds,
  signingSecrets,
  webhookColumns,
} from '../webhook-rows.ts'
import { retainedSince } from './sqlite-retained-since.ts'

/** What the webhook tables need of the SQLite store: its connections and statement caches. */
export interface SqliteConnection {
  /** The writer. */
  db: Database.Database
  /** A statement on the writer: for writes, and for what a write reads. */
  statement(sql: string): Database.Statement
  /** A statement on the reader, which sees only what is committed: for reads on their own. */
  read(sql: string): Database.Statement
}

/** Runs a statement on one of the connections. */
type On = (sql: string) => Database.Statement

interface WebhookRow extends Omit<Webhook, 'event_types' | 'disabled'> {
  event_types: string
  disabled: number
}

interface DeliveryRow extends Omit<Delivery, 'attempts' | 'next_attempt_at'> {
  seq: number
  next_attempt_at: number | null
}

interface RecoveryRow extends Omit<Recovery, 'deliveries'> {
  workspace_id: string
  cursor_created_at: string | null
  cursor_seq: number
}

/** A new event, as the outbox sees it. */
export interface OutboxEvent {
  event_id: string
  event_type: string
}

/** A delivery row a publish writes in its transaction (see SqliteStore's group commit). */
export interface PendingDelivery {
  workspace_id: string
  webhook_id: string
  event_id: string
  event_type: string
  next_attempt_at: number
  created_at: string
}

/**
 * The delivery of each new event to every enabled webhook of the workspace that wants it: the
 * outbox, written in the transaction that stores the events.
 */
export function pendingDeliveries(
  connection: SqliteConnection,
  workspaceId: string,
  events: readonly OutboxEvent[],
  now: Date,
): PendingDelivery[] {
  if (events.length === 0) return []
  const webhooks = connection
    .statement('SELECT webhook_id, event_types FROM webhooks WHERE workspace_id = ? AND disabled = 0')
    .all(workspaceId) as { webhook_id: string; event_types: string }[]
  const createdAt = now.toISOString()
  const deliveries: PendingDelivery[] = []
  for (const webhook of webhooks) {
    const patterns = JSON.parse(webhook.event_types) as string[]
    for (const event of events) {
      if (!eventTypeMatches(patterns, event.event_type)) continue
      deliveries.push({
        workspace_id: workspaceId,
        webhook_id: webhook.webhook_id,
        event_id: event.event_id,
        event_type: event.event_type,
        next_attempt_at: now.getTime(),
        created_at: createdAt,
      })
    }
  }
  return deliveries
}

/** The later of two created_at bounds (ISO 8601 text: string order is time order). */
function laterOf(a: string, b: string): string {
  return a > b ? a : b
}

export function insertDeliveryStatement(connection: SqliteConnection): Database.Statement {
  return connection.statement(
    `INSERT INTO webhook_deliveries (delivery_id, workspace_id, webhook_id, event_id, event_type,
       status, next_attempt_at, recovery_id, created_at)
     VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?)`,
  )
}

export class SqliteWebhooks implements WebhookStore, Omit<DeliveryQueue, 'watchDeliveries'> {
  readonly #connection: SqliteConnection

  constructor(connection: SqliteConnection) {
    this.#connection = connection
  }

  async createWebhook(workspaceId: string, webhook: NewWebhook, maxWebhooks: number): Promise<Webhook | undefined> {
    const now = new Date().toISOString()
    const webhookId = randomUUID()
    // One statement: the count and the insert cannot be split by another writer.
    const { changes } = this.#run(
      `INSERT INTO webhooks (webhook_id, workspace_id, url, event_types, secret, created_at, updated_at)
       SELECT ?, ?, ?, ?, ?, ?, ?
       WHERE (SELECT count(*) FROM webhooks WHERE workspace_id = ?) < ?`,
      webhookId,
      workspaceId,
      webhook.url,
      JSON.stringify(webhook.event_types),
      webhook.secret,
      now,
      now,
      workspaceId,
      maxWebhooks,
    )
    return changes === 0 ? undefined : this.#requireWebhook(workspaceId, webhookId)
  }

  async listWebhooks(workspaceId: string): Promise<Webhook[]> {
    const rows = this.#connection
      .read(
        `SELECT ${webhookColumns} FROM webhooks WHERE workspace_id = ? ORDER BY created_at, rowid`,
      )
      .all(workspaceId) as WebhookRow[]
    return rows.map(toWebhook)
  }

  async getWebhook(workspaceId: string, webhookId: string): Promise<Webhook | undefined> {
    return this.#findWebhook(workspaceId, webhookId, this.#connection.read)
  }

  async updateWebhook(
    workspaceId: string,
    webhookId: string,
    patch: WebhookPatch,
  ): Promise<Webhook | undefined> {
    const { db } = this.#connection
    return db
      .transaction(() => {
        const current = this.#findWebhook(workspaceId, webhookId, this.#connection.statement)
        if (current === undefined) return undefined
        const now = new Date()
        this.#run(
          `UPDATE webhooks SET url = ?, event_types = ?, updated_at = ?
           WHERE workspace_id = ? AND webhook_id = ?`,
          patch.url ?? current.url,
          JSON.stringify(patch.event_types ?? current.event_types),
          now.toISOString(),
          workspaceId,
          webhookId,
        )
        if (patch.disabled === true && !current.disabled) {
          this.#disable(workspaceId, webhookId, 'manual', now)
        }
        if (patch.disabled === false && current.disabled) {
          this.#enable(workspaceId, webhookId, now)
        }
        return this.#requireWebhook(workspaceId, webhookId)
      })
      .immediate()
  }

  async deleteWebhook(workspaceId: string, webhookId: string): Promise<boolean> {
    const result = this.#run(
      'DELETE FROM webhooks WHERE workspace_id = ? AND webhook_id = ?',
      workspaceId,
      webhookId,
    )
    return result.changes === 1
  }

  async rotateWebhookSecret(
    workspaceId: string,
    webhookId: string,
    secret: string,
    previousSecretExpiresAt: string,
  ): Promise<Webhook | undefined> {
    const result = this.#run(
      `UPDATE webhooks
       SET previous_secret = secret, previous_secret_expires_at = ?, secret = ?, updated_at = ?
       WHERE workspace_id = ? AND webhook_id = ?`,
      previousSecretExpiresAt,
      secret,
      new Date().toISOString(),
      workspaceId,
      webhookId,
    )
    return result.changes === 1 ? this.#findWebhook(workspaceId, webhookId, this.#connection.statement) : undefined
  }

  async listDeliveries(workspaceId: string, query: DeliveryListQuery): Promise<DeliveryPage> {
    const conditions = ['workspace_id = ?']
    const parameters: unknown[] = [workspaceId]
    if (query.webhook_id !== undefined) {
      conditions.push('webhook_id = ?')
      parameters.push(query.webhook_id)
    }
    if (query.event_id !== undefined) {
      conditions.push('event_id = ?')
      parameters.push(query.event_id)
    }
    if (query.status !== undefined) {
      conditions.push('status = ?')
      parameters.push(query.status)
    }
    if (query.created_at_min !== undefined) {
      conditions.push('created_at >= ?')
      parameters.push(query.created_at_min)
    }
    if (query.before_delivery_id !== undefined) {
      // An unknown cursor id yields no rows rather than the first page again.
      conditions.push(
        'seq < coalesce((SELECT seq FROM webhook_deliveries WHERE workspace_id = ? AND delivery_id = ?), 0)',
      )
      parameters.push(workspaceId, query.before_delivery_id)
    }
    const rows = this.#connection
      .read(
        `SELECT ${deliveryColumns} FROM webhook_deliveries WHERE ${conditions.join(' AND ')}
         ORDER BY seq DESC LIMIT ?`,
      )
      .all(...parameters, query.limit + 1) as DeliveryRow[]
    const hasNextPage = rows.length > query.limit
    const page = hasNextPage ? rows.slice(0, query.limit) : rows
    return {
      deliveries: this.#withAttempts(page, this.#connection.read),
      next_before_delivery_id: hasNextPage ? (page.at(-1)?.delivery_id ?? null) : null,
    }
  }

  async retryDelivery(
    workspaceId: string,
    deliveryId: string,
    now: number,
  ): Promise<Delivery | undefined> {
    const { db } = this.#connection
    return db
      .transaction(() => {
        // A delivery of a disabled webhook stays parked until the webhook is enabled.
        const result = this.#run(
          `UPDATE webhook_deliveries
           SET status = 'pending', round_attempts = 0, manual_retry = 1, claim_token = NULL,
             completed_at = NULL,
             next_attempt_at = CASE
               WHEN (SELECT disabled FROM webhooks WHERE webhook_id = webhook_deliveries.webhook_id) = 1
               THEN NULL ELSE ? END
           WHERE workspace_id = ? AND delivery_id = ?`,
          now,
          workspaceId,
          deliveryId,
        )
        if (result.changes === 0) return undefined
        const row = this.#connection
          .statement(
            `SELECT ${deliveryColumns} FROM webhook_deliveries WHERE workspace_id = ? AND delivery_id = ?`,
          )
          .get(workspaceId, deliveryId) as DeliveryRow
        return this.#withAttempts([row], this.#connection.statement)[0]
      })
      .immediate()
  }

  async createRecovery(workspaceId: string, recovery: NewRecovery): Promise<Recovery | undefined> {
    const { db } = this.#connection
    return db
      .transaction(() => {
        if (this.#findWebhook(workspaceId, recovery.webhook_id, this.#connection.statement) === undefined) return undefined
        // What the workspace still keeps: see advanceRecovery.
        const since = laterOf(recovery.since, retainedSince(this.#connection, workspaceId))
        const { total } = this.#connection
          .statement(
            `SELECT COUNT(*) AS total FROM events
             WHERE workspace_id = ? AND created_at >= ? AND created_at < ?`,
          )
          .get(workspaceId, since, recovery.until) as { total: number }
        const recoveryId = randomUUID()
        this.#run(
          `INSERT INTO webhook_recoveries (recovery_id, workspace_id, webhook_id, since, until,
             status, events_total, created_at)
           VALUES (?, ?, ?, ?, ?, 'running', ?, ?)`,
          recoveryId,
          workspaceId,
          recovery.webhook_id,
          recovery.since,
          recovery.until,
          total,
          new Date().toISOString(),
        )
        return this.#findRecovery(workspaceId, recoveryId, this.#connection.statement)
      })
      .immediate()
  }

  async getRecovery(workspaceId: string, recoveryId: string): Promise<Recovery | undefined> {
    return this.#findRecovery(workspaceId, recoveryId, this.#connection.read)
  }

  async claimDueDeliveries(claim: DeliveryClaim): Promise<ClaimedDelivery[]> {
    const { db } = this.#connection
    // Candidates come from the due index alone (it covers webhook_id), so a wide window costs
    // little; the event and webhook are read only for the deliveries actually claimed.
    const candidates = this.#connection.statement(
      `SELECT seq, webhook_id FROM webhook_deliveries
       WHERE status = 'pending' AND next_attempt_at <= ?
         AND webhook_id NOT IN (SELECT value FROM json_each(?))
       ORDER BY next_attempt_at
       LIMIT ?`,
    )
    const details = this.#connection.statement(
      `SELECT d.seq, d.delivery_id, d.workspace_id, d.webhook_id, d.event_id, d.round_attempts,
         d.manual_retry, w.url, w.secret, w.previous_secret, w.previous_secret_expires_at,
         e.json AS event_json
       FROM webhook_deliveries d
       JOIN webhooks w ON w.webhook_id = d.webhook_id
       LEFT JOIN events e ON e.workspace_id = d.workspace_id AND e.event_id = d.event_id
       WHERE d.seq = ?`,
    )
    const lease = this.#connection.statement(
      'UPDATE webhook_deliveries SET next_attempt_at = ?, claim_token = ? WHERE seq = ?',
    )
    const saturated = saturatedWebhookIds(claim.inFlightByWebhook, claim.perWebhookLimit)
    return db
      .transaction(() => {
        const rows = candidates.all(claim.now, JSON.stringify(saturated), claimWindow(claim)) as {
          seq: number
          webhook_id: string
        }[]
        const nowIso = new Date(claim.now).toISOString()
        const chosen = chooseClaims(rows, claim).map((candidate) => details.get(candidate.seq) as ClaimRow)
        return chosen.map((row): ClaimedDelivery => {
          const claimToken = randomUUID()
          lease.run(claim.now + claim.leaseMs, claimToken, row.seq)
          const secrets = signingSecrets(row, nowIso)
          return {
            delivery_id: row.delivery_id,
            workspace_id: row.workspace_id,
            webhook_id: row.webhook_id,
            event_id: row.event_id,
            claim_token: claimToken,
            round_attempts: row.round_attempts,
            manual_retry: row.manual_retry === 1,
            url: row.url,
            secrets,
            event_json: row.event_json,
          }
        })
      })
      .immediate()
  }

  async recordDeliveryOutcomes(
    outcomes: readonly DeliveryOutcome[],
    policy: OutcomePolicy,
  ): Promise<void> {
    if (outcomes.length === 0) return
    const { db } = this.#connection
    const statement = (sql: string) => this.#connection.statement(sql)
    const findSeq = statement(
      'SELECT seq FROM webhook_deliveries WHERE workspace_id = ? AND delivery_id = ?',
    )
    const insertAttempt = statement(
      `INSERT INTO webhook_delivery_attempts (delivery_seq, attempted_at, duration_ms, status_code,
         error, response_body)
       VALUES (?, ?, ?, ?, ?, ?)`,
    )
    const finish = statement(
      `UPDATE webhook_deliveries
       SET status = ?, next_attempt_at = NULL, claim_token = NULL, completed_at = ?,
         attempt_count = attempt_count + 1, round_attempts = round_attempts + 1, last_error = ?
       WHERE workspace_id = ? AND delivery_id = ? AND claim_token = ?`,
    )
    const reschedule = statement(
      `UPDATE webhook_deliveries
       SET next_attempt_at = CASE
             WHEN (SELECT disabled FROM webhooks WHERE webhook_id = webhook_deliveries.webhook_id) = 1
             THEN NULL ELSE ? END,
         claim_token = NULL, attempt_count = attempt_count + 1,
         round_attempts = round_attempts + 1, last_error = ?
       WHERE workspace_id = ? AND delivery_id = ? AND claim_token = ?`,
    )
    const clearFailing = statement(
      `UPDATE webhooks SET failing_since = NULL
       WHERE workspace_id = ? AND webhook_id = ? AND failing_since IS NOT NULL`,
    )
    const markFailing = statement(
      `UPDATE webhooks SET failing_since = coalesce(failing_since, ?)
       WHERE workspace_id = ? AND webhook_id = ?
       RETURNING failing_since, disabled`,
    )
    const now = new Date(policy.now)
    const nowIso = now.toISOString()
    const disableBefore = new Date(policy.now - policy.disableAfterMs).toISOString()

    db.transaction(() => {
      for (const outcome of outcomes) {
        const { workspace_id, delivery_id, webhook_id, claim_token, attempt, result } = outcome
        const delivery = findSeq.get(workspace_id, delivery_id) as { seq: number } | undefined
        // Deleted with its webhook while the request was in flight: nothing left to record.
        if (delivery === undefined) continue
        insertAttempt.run(
          delivery.seq,
          attempt.attempted_at,
          attempt.duration_ms,
          attempt.status_code,
          attempt.error,
          attempt.response_body,
        )
        const error = describeAttemptError(attempt)
        const owned =
          result.kind === 'retry'
            ? reschedule.run(result.next_attempt_at, error, workspace_id, delivery_id, claim_token)
            : finish.run(
                result.kind === 'succeeded' ? 'succeeded' : 'failed',
                nowIso,
                result.kind === 'succeeded' ? null : error,
                workspace_id,
                delivery_id,
                claim_token,
              )
        // Another worker holds this delivery now (our lease ran out): its outcome decides.
        if (owned.changes === 0) continue
        if (result.kind === 'succeeded') {
          clearFailing.run(workspace_id, webhook_id)
          continue
        }
        if (result.kind === 'gone') {
          this.#disable(workspace_id, webhook_id, 'gone', now)
          continue
        }
        const webhook = markFailing.get(nowIso, workspace_id, webhook_id) as
          | { failing_since: string; disabled: number }
          | undefined
        if (webhook !== undefined && webhook.disabled === 0 && webhook.failing_since <= disableBefore) {
          this.#disable(workspace_id, webhook_id, 'failing', now)
        }
      }
    }).immediate()
  }

  async nextDeliveryDueAt(excludedWebhookIds: readonly string[]): Promise<number | null> {
    const row = this.#connection
      .read(
        `SELECT next_attempt_at FROM webhook_deliveries
         WHERE status = 'pending' AND next_attempt_at IS NOT NULL
           AND webhook_id NOT IN (SELECT value FROM json_each(?))
         ORDER BY next_attempt_at LIMIT 1`,
      )
      .get(JSON.stringify(excludedWebhookIds)) as { next_attempt_at: number } | undefined
    return row?.next_attempt_at ?? null
  }

  async advanceRecovery(now: number, batchSize: number): Promise<boolean> {
    const { db } = this.#connection
    return db
      .transaction(() => {
        const recovery = this.#connection
          .statement(
            `SELECT recovery_id, workspace_id, webhook_id, since, until, cursor_created_at, cursor_seq
             FROM webhook_recoveries WHERE status = 'running' ORDER BY created_at LIMIT 1`,
          )
          .get() as RecoveryRow | undefined
        if (recovery === undefined) return false
        const webhook = this.#findWebhook(recovery.workspace_id, recovery.webhook_id, this.#connection.statement)
        if (webhook === undefined) return true
        // Within a workspace, created_at never decreases as seq grows (the store guarantees
        // it), so (created_at, seq) order is seq order and the cursor is one seq. Events past
        // the workspace's retention are not re-sent: reads already hide them (checked on every
        // batch, as the cutoff moves while a long recovery runs). One lower bound, the later of
        // the two, as events/list does for SQLite's planner.
        const since = laterOf(
          recovery.cursor_created_at ?? recovery.since,
          retainedSince(this.#connection, recovery.workspace_id),
        )
        const events = this.#connection
          .statement(
            `SELECT seq, event_id, event_type, created_at FROM events
             WHERE workspace_id = ? AND created_at >= ? AND created_at < ? AND seq > ?
             ORDER BY created_at, seq LIMIT ?`,
          )
          .all(
            recovery.workspace_id,
            since,
            recovery.until,
            recovery.cursor_seq,
            batchSize,
          ) as { seq: number; event_id: string; event_type: string; created_at: string }[]
        const insert = insertDeliveryStatement(this.#connection)
        const createdAt = new Date(now).toISOString()
        let queued = 0
        for (const event of events) {
          if (!eventTypeMatches(webhook.event_types, event.event_type)) continue
          insert.run(
            randomUUID(),
            recovery.workspace_id,
            webhook.webhook_id,
            event.event_id,
            event.event_type,
            webhook.disabled ? null : now,
            recovery.recovery_id,
            createdAt,
          )
          queued += 1
        }
        const last = events.at(-1)
        const done = events.length < batchSize
        this.#run(
          `UPDATE webhook_recoveries
           SET events_scanned = events_scanned + ?, deliveries_queued = deliveries_queued + ?,
             cursor_created_at = coalesce(?, cursor_created_at), cursor_seq = coalesce(?, cursor_seq),
             status = ?, completed_at = ?
           WHERE recovery_id = ?`,
          events.length,
          queued,
          last?.created_at ?? null,
          last?.seq ?? null,
          done ? 'completed' : 'running',
          done ? createdAt : null,
          recovery.recovery_id,
        )
        return true
      })
      .immediate()
  }

  /** Disables a webhook and parks its pending deliveries until it is enabled again. */
  #disable(workspaceId: string, webhookId: string, reason: string, now: Date): void {
    this.#run(
      `UPDATE webhooks SET disabled = 1, disabled_reason = ?, disabled_at = ?, updated_at = ?
       WHERE workspace_id = ? AND webhook_id = ? AND disabled = 0`,
      reason,
      now.toISOString(),
      now.toISOString(),
      workspaceId,
      webhookId,
    )
    this.#run(
      `UPDATE webhook_deliveries SET next_attempt_at = NULL
       WHERE webhook_id = ? AND status = 'pending'`,
      webhookId,
    )
  }

  #enable(workspaceId: string, webhookId: string, now: Date): void {
    this.#run(
      `UPDATE webhooks
       SET disabled = 0, disabled_reason = NULL, disabled_at = NULL, failing_since = NULL
       WHERE workspace_id = ? AND webhook_id = ?`,
      workspaceId,
      webhookId,
    )
    this.#run(
      `UPDATE webhook_deliveries SET next_attempt_at = ?, claim_token = NULL
       WHERE webhook_id = ? AND status = 'pending' AND next_attempt_at IS NULL`,
      now.getTime(),
      webhookId,
    )
  }

  #findWebhook(workspaceId: string, webhookId: string, on: On): Webhook | undefined {
    const row = on(`SELECT ${webhookColumns} FROM webhooks WHERE workspace_id = ? AND webhook_id = ?`)
      .get(workspaceId, webhookId) as WebhookRow | undefined
    return row === undefined ? undefined : toWebhook(row)
  }

  #requireWebhook(workspaceId: string, webhookId: string): Webhook {
    const webhook = this.#findWebhook(workspaceId, webhookId, this.#connection.statement)
    if (webhook === undefined) throw new Error(`webhook ${webhookId} vanished inside its transaction`)
    return webhook
  }

  #findRecovery(workspaceId: string, recoveryId: string, on: On): Recovery | undefined {
    const row = on(
        `SELECT recovery_id, webhook_id, since, until, status, events_total, events_scanned,
           deliveries_queued, created_at, completed_at
         FROM webhook_recoveries WHERE workspace_id = ? AND recovery_id = ?`,
      )
      .get(workspaceId, recoveryId) as Omit<Recovery, 'deliveries'> | undefined
    if (row === undefined) return undefined
    const deliveries: Record<DeliveryStatus, number> = { pending: 0, succeeded: 0, failed: 0 }
    const counts = on(
        `SELECT status, COUNT(*) AS count FROM webhook_deliveries
         WHERE recovery_id = ? AND workspace_id = ? GROUP BY status`,
      )
      .all(recoveryId, workspaceId) as { status: DeliveryStatus; count: number }[]
    for (const { status, count } of counts) deliveries[status] = count
    return { ...row, deliveries }
  }

  #withAttempts(rows: readonly DeliveryRow[], on: On): Delivery[] {
    if (rows.length === 0) return []
    const attempts = on(
        `SELECT delivery_seq, attempted_at, duration_ms, status_code, error, response_body
         FROM webhook_delivery_attempts
         WHERE delivery_seq IN (SELECT value FROM json_each(?))
         ORDER BY delivery_seq, attempt_id`,
      )
      .all(JSON.stringify(rows.map((row) => row.seq))) as (DeliveryAttempt & {
      delivery_seq: number
    })[]
    const bySeq = new Map<number, DeliveryAttempt[]>()
    for (const { delivery_seq, ...attempt } of attempts) {
      const list = bySeq.get(delivery_seq) ?? []
      list.push(attempt)
      bySeq.set(delivery_seq, list)
    }
    return rows.map(({ seq, next_attempt_at, ...row }) => ({
      ...row,
      next_attempt_at: next_attempt_at === null ? null : new Date(next_attempt_at).toISOString(),
      attempts: bySeq.get(seq) ?? [],
    }))
  }

  #run(sql: string, ...parameters: unknown[]): Database.RunResult {
    return this.#connection.statement(sql).run(...parameters)
  }
}

/** SQLite has no booleans, and the claim token is made after the row is read. */
type ClaimRow = Omit<ClaimedDeliveryRow, 'manual_retry' | 'claim_token'> & { seq: number; manual_retry: number }

function toWebhook(row: WebhookRow): Webhook {
  return {
    ...row,
    event_types: JSON.parse(row.event_types) as string[],
    disabled: row.disabled === 1,
  }
}

