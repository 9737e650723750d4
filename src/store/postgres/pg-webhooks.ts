import { randomUUID } from 'node:crypto'

import type pg from 'pg'

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
import type { PgConnection, Queryable } from './pg-connection.ts'
import { notifyDeliveriesSql } from './pg-notifications.ts'
import { retainedSinceSql } from './pg-retained-since.ts'

// Several API and worker processes share the database, each with a pool of connections, at
// READ COMMITTED. Where SQLite relies on its one writer at a time, these tables rely on row
// locks, always taken in one order so that no two transactions can wait for each other: workspace
// rows, then webhook rows (several at once in seq order), then delivery rows.
// - A transaction that reads a webhook's `disabled` or `event_types` to write deliveries holds a
//   lock on the webhook, so that disabling, enabling or editing it waits for those writes (and
//   sees them) instead of missing them.
// - A transaction that may update a webhook row twice first takes the workspace row FOR KEY
//   SHARE: PostgreSQL rechecks the foreign key of a row updated again by the transaction that
//   wrote it, which takes that lock, and the events insert holds the workspace row while it
//   waits for the webhook rows.

interface WebhookRow extends Omit<Webhook, 'event_types'> {
  event_types: string
}

interface DeliveryRow extends Omit<Delivery, 'attempts' | 'next_attempt_at'> {
  seq: number
  next_attempt_at: number | null
}

interface RecoveryRow {
  recovery_id: string
  workspace_id: string
  webhook_id: string
  since: string
  until: string
  cursor_created_at: string | null
  cursor_seq: number
  event_types: string
  disabled: boolean
}

/** A new event, as the outbox sees it. */
export interface OutboxEvent {
  event_id: string
  event_type: string
  created_at: string
}

/** Deliveries queued by one statement, in the order given (their seq order). */
interface DeliveryBatch {
  workspaceId: string
  recoveryId: string | null
  /** Null parks them (their webhook is disabled). */
  nextAttemptAt: number | null
  createdAt: string
  /** event_created_at lets a claim load the event from its day's partition alone. */
  deliveries: { webhook_id: string; event_id: string; event_type: string; event_created_at: string }[]
}

type WebhookLock = '' | 'FOR KEY SHARE' | 'FOR NO KEY UPDATE'

/**
 * Queues a delivery of each new event to every enabled webhook of the workspace that wants it.
 * Runs inside the transaction that stores the events: this is the outbox.
 */
export async function queueDeliveries(
  client: Queryable,
  workspaceId: string,
  events: readonly OutboxEvent[],
  now: Date,
): Promise<void> {
  if (events.length === 0) return
  // FOR SHARE: a webhook disabled or edited meanwhile waits for these deliveries, then parks
  // them; one disabled first is skipped (the lock rechecks the row).
  const { rows: webhooks } = await client.query<{ webhook_id: string; event_types: string }>(
    `SELECT webhook_id, event_types FROM webhooks WHERE workspace_id = $1 AND NOT disabled
     ORDER BY seq FOR SHARE`,
    [workspaceId],
  )
  const deliveries: DeliveryBatch['deliveries'] = []
  for (const webhook of webhooks) {
    const patterns = JSON.parse(webhook.event_types) as string[]
    for (const event of events) {
      if (!eventTypeMatches(patterns, event.event_type)) continue
      deliveries.push({
        webhook_id: webhook.webhook_id,
        event_id: event.event_id,
        event_type: event.event_type,
        event_created_at: event.created_at,
      })
    }
  }
  await insertDeliveries(client, {
    workspaceId,
    recoveryId: null,
    nextAttemptAt: now.getTime(),
    createdAt: now.toISOString(),
    deliveries,
  })
}

/**
 * One statement for the whole batch: a round trip per delivery would hold the locks longer.
 * The notification wakes idle workers of every process when the transaction commits.
 */
async function insertDeliveries(client: Queryable, batch: DeliveryBatch): Promise<void> {
  if (batch.deliveries.length === 0) return
  await client.query(notifyDeliveriesSql)
  await client.query(
    `INSERT INTO webhook_deliveries (delivery_id, workspace_id, webhook_id, event_id, event_type,
       event_created_at, status, next_attempt_at, recovery_id, created_at)
     SELECT d.delivery_id, $1::text, d.webhook_id, d.event_id, d.event_type, d.event_created_at,
       'pending', $2::bigint, $3::text, $4::text
     FROM unnest($5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
       AS d (delivery_id, webhook_id, event_id, event_type, event_created_at)`,
    [
      batch.workspaceId,
      batch.nextAttemptAt,
      batch.recoveryId,
      batch.createdAt,
      batch.deliveries.map(() => randomUUID()),
      batch.deliveries.map((delivery) => delivery.webhook_id),
      batch.deliveries.map((delivery) => delivery.event_id),
      batch.deliveries.map((delivery) => delivery.event_type),
      batch.deliveries.map((delivery) => delivery.event_created_at),
    ],
  )
}

export class PgWebhooks implements WebhookStore, Omit<DeliveryQueue, 'watchDeliveries'> {
  readonly #connection: PgConnection

  constructor(connection: PgConnection) {
    this.#connection = connection
  }

  async createWebhook(workspaceId: string, webhook: NewWebhook, maxWebhooks: number): Promise<Webhook | undefined> {
    const now = new Date().toISOString()
    return this.#connection.transaction(async (client) => {
      // Creates of one workspace take turns, so that two at once cannot both see room for one.
      await client.query("SELECT pg_advisory_xact_lock(hashtextextended('webhooks:' || $1, 0))", [workspaceId])
      const [row] = await rows<WebhookRow>(
        client,
        `INSERT INTO webhooks (webhook_id, workspace_id, url, event_types, secret, created_at, updated_at)
         SELECT $1, $2, $3, $4, $5, $6, $7
         WHERE (SELECT count(*) FROM webhooks WHERE workspace_id = $2) < $8
         RETURNING ${webhookColumns}`,
        [randomUUID(), workspaceId, webhook.url, JSON.stringify(webhook.event_types), webhook.secret, now, now, maxWebhooks],
      )
      return row === undefined ? undefined : toWebhook(row)
    })
  }

  async listWebhooks(workspaceId: string): Promise<Webhook[]> {
    const webhooks = await rows<WebhookRow>(
      this.#connection.pool,
      `SELECT ${webhookColumns} FROM webhooks WHERE workspace_id = $1 ORDER BY created_at, seq`,
      [workspaceId],
    )
    return webhooks.map(toWebhook)
  }

  async getWebhook(workspaceId: string, webhookId: string): Promise<Webhook | undefined> {
    return this.#findWebhook(this.#connection.pool, workspaceId, webhookId, '')
  }

  async updateWebhook(
    workspaceId: string,
    webhookId: string,
    patch: WebhookPatch,
  ): Promise<Webhook | undefined> {
    return this.#connection.transaction(async (client) => {
      await lockWorkspaces(client, [workspaceId])
      // Locked: two updates starting from the same row would each write back the other's fields.
      const current = await this.#findWebhook(client, workspaceId, webhookId, 'FOR NO KEY UPDATE')
      if (current === undefined) return undefined
      const now = new Date()
      await client.query(
        `UPDATE webhooks SET url = $1, event_types = $2, updated_at = $3
         WHERE workspace_id = $4 AND webhook_id = $5`,
        [
          patch.url ?? current.url,
          JSON.stringify(patch.event_types ?? current.event_types),
          now.toISOString(),
          workspaceId,
          webhookId,
        ],
      )
      if (patch.disabled === true && !current.disabled) {
        await this.#disable(client, workspaceId, webhookId, 'manual', now)
      }
      if (patch.disabled === false && current.disabled) {
        await this.#enable(client, workspaceId, webhookId, now)
      }
      return this.#requireWebhook(client, workspaceId, webhookId)
    })
  }

  async deleteWebhook(workspaceId: string, webhookId: string): Promise<boolean> {
    const result = await this.#connection.pool.query(
      'DELETE FROM webhooks WHERE workspace_id = $1 AND webhook_id = $2',
      [workspaceId, webhookId],
    )
    return result.rowCount === 1
  }

  async rotateWebhookSecret(
    workspaceId: string,
    webhookId: string,
    secret: string,
    previousSecretExpiresAt: string,
  ): Promise<Webhook | undefined> {
    const [row] = await rows<WebhookRow>(
      this.#connection.pool,
      `UPDATE webhooks
       SET previous_secret = secret, previous_secret_expires_at = $1, secret = $2, updated_at = $3
       WHERE workspace_id = $4 AND webhook_id = $5
       RETURNING ${webhookColumns}`,
      [previousSecretExpiresAt, secret, new Date().toISOString(), workspaceId, webhookId],
    )
    return row === undefined ? undefined : toWebhook(row)
  }

  async listDeliveries(workspaceId: string, query: DeliveryListQuery): Promise<DeliveryPage> {
    const parameters: unknown[] = []
    const parameter = (value: unknown): string => {
      parameters.push(value)
      return `$${parameters.length}`
    }
    const conditions = [`workspace_id = ${parameter(workspaceId)}`]
    if (query.webhook_id !== undefined) conditions.push(`webhook_id = ${parameter(query.webhook_id)}`)
    if (query.event_id !== undefined) conditions.push(`event_id = ${parameter(query.event_id)}`)
    if (query.status !== undefined) conditions.push(`status = ${parameter(query.status)}`)
    if (query.created_at_min !== undefined) {
      conditions.push(`created_at >= ${parameter(query.created_at_min)}`)
    }
    if (query.before_delivery_id !== undefined) {
      // An unknown cursor id yields no rows rather than the first page again.
      conditions.push(
        `seq < coalesce((SELECT seq FROM webhook_deliveries
           WHERE workspace_id = ${parameter(workspaceId)}
             AND delivery_id = ${parameter(query.before_delivery_id)}), 0)`,
      )
    }
    const found = await rows<DeliveryRow>(
      this.#connection.pool,
      `SELECT ${deliveryColumns} FROM webhook_deliveries WHERE ${conditions.join(' AND ')}
       ORDER BY seq DESC LIMIT ${parameter(query.limit + 1)}`,
      parameters,
    )
    const hasNextPage = found.length > query.limit
    const page = hasNextPage ? found.slice(0, query.limit) : found
    return {
      deliveries: await this.#withAttempts(this.#connection.pool, page),
      next_before_delivery_id: hasNextPage ? (page.at(-1)?.delivery_id ?? null) : null,
    }
  }

  async retryDelivery(
    workspaceId: string,
    deliveryId: string,
    now: number,
  ): Promise<Delivery | undefined> {
    return this.#connection.transaction(async (client) => {
      // The webhook's lock makes a concurrent disable or enable wait for this update and see it:
      // otherwise enabling could miss the delivery parked here, which would then never be sent.
      await client.query(
        `SELECT 1 FROM webhooks
         WHERE webhook_id = (SELECT webhook_id FROM webhook_deliveries
                             WHERE workspace_id = $1 AND delivery_id = $2)
         FOR SHARE`,
        [workspaceId, deliveryId],
      )
      // A delivery of a disabled webhook stays parked until the webhook is enabled.
      const result = await client.query<DeliveryRow>(
        `UPDATE webhook_deliveries
         SET status = 'pending', round_attempts = 0, manual_retry = true, claim_token = NULL,
           completed_at = NULL,
           next_attempt_at = CASE
             WHEN (SELECT disabled FROM webhooks WHERE webhook_id = webhook_deliveries.webhook_id)
             THEN NULL ELSE $1::bigint END
         WHERE workspace_id = $2 AND delivery_id = $3
         RETURNING ${deliveryColumns}`,
        [now, workspaceId, deliveryId],
      )
      if (result.rowCount === 0) return undefined
      await client.query(notifyDeliveriesSql)
      return (await this.#withAttempts(client, result.rows))[0]
    })
  }

  async createRecovery(workspaceId: string, recovery: NewRecovery): Promise<Recovery | undefined> {
    return this.#connection.transaction(async (client) => {
      // FOR KEY SHARE: a concurrent delete waits, rather than failing the insert's foreign key.
      const webhook = await this.#findWebhook(
        client,
        workspaceId,
        recovery.webhook_id,
        'FOR KEY SHARE',
      )
      if (webhook === undefined) return undefined
      // What the workspace still keeps: see advanceRecovery.
      const [count] = await rows<{ total: number }>(
        client,
        `SELECT COUNT(*) AS total FROM events
         WHERE workspace_id = $1 AND created_at >= $2 AND created_at >= ${retainedSinceSql('$1')}
           AND created_at < $3`,
        [workspaceId, recovery.since, recovery.until],
      )
      const recoveryId = randomUUID()
      await client.query(
        `INSERT INTO webhook_recoveries (recovery_id, workspace_id, webhook_id, since, until,
           status, events_total, created_at)
         VALUES ($1, $2, $3, $4, $5, 'running', $6, $7)`,
        [
          recoveryId,
          workspaceId,
          recovery.webhook_id,
          recovery.since,
          recovery.until,
          count?.total ?? 0,
          new Date().toISOString(),
        ],
      )
      // A recovery is a worker's work too.
      await client.query(notifyDeliveriesSql)
      return this.#findRecovery(client, workspaceId, recoveryId)
    })
  }

  async getRecovery(workspaceId: string, recoveryId: string): Promise<Recovery | undefined> {
    return this.#findRecovery(this.#connection.pool, workspaceId, recoveryId)
  }

  async claimDueDeliveries(claim: DeliveryClaim): Promise<ClaimedDelivery[]> {
    const saturated = saturatedWebhookIds(claim.inFlightByWebhook, claim.perWebhookLimit)
    return this.#connection.transaction(async (client) => {
      // A claim need not wait for its commit to reach the disk: a claim lost in a crash of the
      // database leaves its deliveries due, to be sent (again) as after a worker's crash, which
      // at-least-once delivery allows. Waiting for the flush made each claim cost a disk sync
      // and capped delivery to one webhook at about 1,000 a second.
      await client.query('SET LOCAL synchronous_commit = off')
      // Candidates come from the due index alone (it covers webhook_id), so a wide window costs
      // little; the event and webhook are read only for the deliveries actually claimed.
      // SKIP LOCKED: rows another worker is claiming are left to it, without waiting.
      const candidates = await rows<{ seq: number; webhook_id: string }>(
        client,
        `SELECT seq, webhook_id FROM webhook_deliveries
         WHERE status = 'pending' AND next_attempt_at <= $1 AND webhook_id <> ALL($2::text[])
         ORDER BY next_attempt_at
         LIMIT $3
         FOR UPDATE SKIP LOCKED`,
        [claim.now, saturated, claimWindow(claim)],
      )
      const chosen = chooseClaims(candidates, claim)
      if (chosen.length === 0) return []
      const seqs = chosen.map((row) => row.seq)
      await client.query(
        `UPDATE webhook_deliveries d SET next_attempt_at = $1, claim_token = lease.claim_token
         FROM unnest($2::bigint[], $3::text[]) AS lease (seq, claim_token)
         WHERE d.seq = lease.seq`,
        [claim.now + claim.leaseMs, seqs, chosen.map(() => randomUUID())],
      )
      const claimed = await rows<ClaimedDeliveryRow>(
        client,
        `SELECT d.delivery_id, d.workspace_id, d.webhook_id, d.event_id, d.claim_token,
           d.round_attempts, d.manual_retry, w.url, w.secret, w.previous_secret,
           w.previous_secret_expires_at, e.json AS event_json
         FROM unnest($1::bigint[]) WITH ORDINALITY AS chosen (seq, position)
         JOIN webhook_deliveries d ON d.seq = chosen.seq
         JOIN webhooks w ON w.webhook_id = d.webhook_id
         LEFT JOIN events e ON e.workspace_id = d.workspace_id AND e.created_at = d.event_created_at
           AND e.event_id = d.event_id
         ORDER BY chosen.position`,
        [seqs],
      )
      const nowIso = new Date(claim.now).toISOString()
      return claimed.map(
        ({ secret, previous_secret, previous_secret_expires_at, ...delivery }): ClaimedDelivery => ({
          ...delivery,
          secrets: signingSecrets({ secret, previous_secret, previous_secret_expires_at }, nowIso),
        }),
      )
    })
  }

  async recordDeliveryOutcomes(
    outcomes: readonly DeliveryOutcome[],
    policy: OutcomePolicy,
  ): Promise<void> {
    if (outcomes.length === 0) return
    const now = new Date(policy.now)
    const nowIso = now.toISOString()
    const disableBefore = new Date(policy.now - policy.disableAfterMs).toISOString()
    const webhooks = new Map(outcomes.map((outcome) => [outcome.webhook_id, outcome.workspace_id]))

    // Webhooks this batch may write: those with a failure to mark, and those already failing
    // (a success clears failing_since). A healthy webhook's successes write nothing on it.
    const failedWebhookIds = outcomes
      .filter((outcome) => outcome.result.kind !== 'succeeded')
      .map((outcome) => outcome.webhook_id)

    await this.#connection.transaction(async (client) => {
      // As for claims: an outcome lost in a crash of the database sends its delivery again.
      await client.query('SET LOCAL synchronous_commit = off')
      await lockWorkspaces(client, [...new Set(webhooks.values())])
      // The webhooks written below are locked up front, in seq order, before any delivery row:
      // two workers marking the same webhooks failing in different orders would deadlock. Only
      // those: a publish share-locks its workspace's webhooks to queue deliveries, so locking a
      // healthy webhook here for every batch of successes stalled publishing behind delivery
      // (seconds from publish to receipt at 1,000 events/s on PostgreSQL).
      const locked = new Set(
        (
          await rows<{ webhook_id: string }>(
            client,
            `SELECT webhook_id FROM webhooks
             WHERE (workspace_id, webhook_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
               AND (failing_since IS NOT NULL OR webhook_id = ANY($3::text[]))
             ORDER BY seq
             FOR NO KEY UPDATE`,
            [[...webhooks.values()], [...webhooks.keys()], failedWebhookIds],
          )
        ).map((row) => row.webhook_id),
      )
      for (const outcome of outcomes) {
        const { workspace_id, delivery_id, webhook_id, claim_token, attempt, result } = outcome
        const recorded = await client.query(
          `INSERT INTO webhook_delivery_attempts (delivery_seq, attempted_at, duration_ms,
             status_code, error, response_body)
           SELECT seq, $3::text, $4::integer, $5::integer, $6::text, $7::text
           FROM webhook_deliveries WHERE workspace_id = $1 AND delivery_id = $2`,
          [
            workspace_id,
            delivery_id,
            attempt.attempted_at,
            attempt.duration_ms,
            attempt.status_code,
            attempt.error,
            attempt.response_body,
          ],
        )
        // Deleted with its webhook while the request was in flight: nothing left to record.
        if (recorded.rowCount === 0) continue
        const error = describeAttemptError(attempt)
        const owned =
          result.kind === 'retry'
            ? await client.query(
                `UPDATE webhook_deliveries
                 SET next_attempt_at = CASE
                       WHEN (SELECT disabled FROM webhooks
                             WHERE webhook_id = webhook_deliveries.webhook_id)
                       THEN NULL ELSE $1::bigint END,
                   claim_token = NULL, attempt_count = attempt_count + 1,
                   round_attempts = round_attempts + 1, last_error = $2
                 WHERE workspace_id = $3 AND delivery_id = $4 AND claim_token = $5`,
                [result.next_attempt_at, error, workspace_id, delivery_id, claim_token],
              )
            : await client.query(
                `UPDATE webhook_deliveries
                 SET status = $1, next_attempt_at = NULL, claim_token = NULL, completed_at = $2,
                   attempt_count = attempt_count + 1, round_attempts = round_attempts + 1,
                   last_error = $3
                 WHERE workspace_id = $4 AND delivery_id = $5 AND claim_token = $6`,
                [
                  result.kind === 'succeeded' ? 'succeeded' : 'failed',
                  nowIso,
                  result.kind === 'succeeded' ? null : error,
                  workspace_id,
                  delivery_id,
                  claim_token,
                ],
              )
        // Another worker holds this delivery now (our lease ran out): its outcome decides.
        if (owned.rowCount === 0) continue
        if (result.kind === 'succeeded') {
          // Healthy when locked: nothing to clear. Marked failing since by another worker: its
          // lock is not ours to wait for (that could deadlock), and the next success clears it.
          if (!locked.has(webhook_id)) continue
          await client.query(
            `UPDATE webhooks SET failing_since = NULL
             WHERE workspace_id = $1 AND webhook_id = $2 AND failing_since IS NOT NULL`,
            [workspace_id, webhook_id],
          )
          continue
        }
        if (result.kind === 'gone') {
          await this.#disable(client, workspace_id, webhook_id, 'gone', now)
          continue
        }
        const [webhook] = await rows<{ failing_since: string; disabled: boolean }>(
          client,
          `UPDATE webhooks SET failing_since = coalesce(failing_since, $1)
           WHERE workspace_id = $2 AND webhook_id = $3
           RETURNING failing_since, disabled`,
          [nowIso, workspace_id, webhook_id],
        )
        if (webhook !== undefined && !webhook.disabled && webhook.failing_since <= disableBefore) {
          await this.#disable(client, workspace_id, webhook_id, 'failing', now)
        }
      }
    })
  }

  async nextDeliveryDueAt(excludedWebhookIds: readonly string[]): Promise<number | null> {
    const [row] = await rows<{ next_attempt_at: number }>(
      this.#connection.pool,
      `SELECT next_attempt_at FROM webhook_deliveries
       WHERE status = 'pending' AND next_attempt_at IS NOT NULL
         AND webhook_id <> ALL($1::text[])
       ORDER BY next_attempt_at LIMIT 1`,
      [excludedWebhookIds],
    )
    return row?.next_attempt_at ?? null
  }

  async advanceRecovery(now: number, batchSize: number): Promise<boolean> {
    return this.#connection.transaction(async (client) => {
      // The recovery is locked so that two workers never scan the same batch: the next worker
      // takes the next running recovery. Its webhook is share-locked (its `disabled` decides
      // whether the new deliveries are parked, see the top of the file), skipping rather than
      // waiting: a delete holds the webhook and then waits to delete this very recovery.
      const [recovery] = await rows<RecoveryRow>(
        client,
        `SELECT r.recovery_id, r.workspace_id, r.webhook_id, r.since, r.until, r.cursor_created_at,
           r.cursor_seq, w.event_types, w.disabled
         FROM webhook_recoveries r
         JOIN webhooks w ON w.workspace_id = r.workspace_id AND w.webhook_id = r.webhook_id
         WHERE r.status = 'running'
         ORDER BY r.created_at LIMIT 1
         FOR UPDATE OF r SKIP LOCKED FOR SHARE OF w SKIP LOCKED`,
      )
      if (recovery === undefined) return false
      // Within a workspace, created_at never decreases as seq grows (the store guarantees
      // it), so (created_at, seq) order is seq order and the cursor is one seq. Events past
      // the workspace's retention are not re-sent: reads already hide them (checked on every
      // batch, as the cutoff moves while a long recovery runs).
      const events = await rows<{
        seq: number
        event_id: string
        event_type: string
        created_at: string
      }>(
        client,
        `SELECT seq, event_id, event_type, created_at FROM events
         WHERE workspace_id = $1 AND created_at >= $2 AND created_at >= ${retainedSinceSql('$1')}
           AND created_at < $3 AND seq > $4
         ORDER BY created_at, seq LIMIT $5`,
        [
          recovery.workspace_id,
          recovery.cursor_created_at ?? recovery.since,
          recovery.until,
          recovery.cursor_seq,
          batchSize,
        ],
      )
      const patterns = JSON.parse(recovery.event_types) as string[]
      const createdAt = new Date(now).toISOString()
      const deliveries = events
        .filter((event) => eventTypeMatches(patterns, event.event_type))
        .map((event) => ({
          webhook_id: recovery.webhook_id,
          event_id: event.event_id,
          event_type: event.event_type,
          event_created_at: event.created_at,
        }))
      await insertDeliveries(client, {
        workspaceId: recovery.workspace_id,
        recoveryId: recovery.recovery_id,
        nextAttemptAt: recovery.disabled ? null : now,
        createdAt,
        deliveries,
      })
      const last = events.at(-1)
      const done = events.length < batchSize
      await client.query(
        `UPDATE webhook_recoveries
         SET events_scanned = events_scanned + $1, deliveries_queued = deliveries_queued + $2,
           cursor_created_at = coalesce($3, cursor_created_at),
           cursor_seq = coalesce($4, cursor_seq), status = $5, completed_at = $6
         WHERE recovery_id = $7`,
        [
          events.length,
          deliveries.length,
          last?.created_at ?? null,
          last?.seq ?? null,
          done ? 'completed' : 'running',
          done ? createdAt : null,
          recovery.recovery_id,
        ],
      )
      return true
    })
  }

  /** Disables a webhook and parks its pending deliveries until it is enabled again. */
  async #disable(
    client: Queryable,
    workspaceId: string,
    webhookId: string,
    reason: string,
    now: Date,
  ): Promise<void> {
    await client.query(
      `UPDATE webhooks SET disabled = true, disabled_reason = $1, disabled_at = $2, updated_at = $3
       WHERE workspace_id = $4 AND webhook_id = $5 AND NOT disabled`,
      [reason, now.toISOString(), now.toISOString(), workspaceId, webhookId],
    )
    await client.query(
      `UPDATE webhook_deliveries SET next_attempt_at = NULL
       WHERE webhook_id = $1 AND status = 'pending'`,
      [webhookId],
    )
  }

  async #enable(client: Queryable, workspaceId: string, webhookId: string, now: Date): Promise<void> {
    await client.query(
      `UPDATE webhooks
       SET disabled = false, disabled_reason = NULL, disabled_at = NULL, failing_since = NULL
       WHERE workspace_id = $1 AND webhook_id = $2`,
      [workspaceId, webhookId],
    )
    await client.query(
      `UPDATE webhook_deliveries SET next_attempt_at = $1, claim_token = NULL
       WHERE webhook_id = $2 AND status = 'pending' AND next_attempt_at IS NULL`,
      [now.getTime(), webhookId],
    )
    await client.query(notifyDeliveriesSql)
  }

  async #findWebhook(
    db: Queryable,
    workspaceId: string,
    webhookId: string,
    lock: WebhookLock,
  ): Promise<Webhook | undefined> {
    const [row] = await rows<WebhookRow>(
      db,
      `SELECT ${webhookColumns} FROM webhooks WHERE workspace_id = $1 AND webhook_id = $2 ${lock}`,
      [workspaceId, webhookId],
    )
    return row === undefined ? undefined : toWebhook(row)
  }

  async #requireWebhook(db: Queryable, workspaceId: string, webhookId: string): Promise<Webhook> {
    const webhook = await this.#findWebhook(db, workspaceId, webhookId, '')
    if (webhook === undefined) throw new Error(`webhook ${webhookId} vanished inside its transaction`)
    return webhook
  }

  async #findRecovery(
    db: Queryable,
    workspaceId: string,
    recoveryId: string,
  ): Promise<Recovery | undefined> {
    const [row] = await rows<Omit<Recovery, 'deliveries'>>(
      db,
      `SELECT recovery_id, webhook_id, since, until, status, events_total, events_scanned,
         deliveries_queued, created_at, completed_at
       FROM webhook_recoveries WHERE workspace_id = $1 AND recovery_id = $2`,
      [workspaceId, recoveryId],
    )
    if (row === undefined) return undefined
    const deliveries: Record<DeliveryStatus, number> = { pending: 0, succeeded: 0, failed: 0 }
    const counts = await rows<{ status: DeliveryStatus; count: number }>(
      db,
      `SELECT status, COUNT(*) AS count FROM webhook_deliveries
       WHERE recovery_id = $1 AND workspace_id = $2 GROUP BY status`,
      [recoveryId, workspaceId],
    )
    for (const { status, count } of counts) deliveries[status] = count
    return { ...row, deliveries }
  }

  async #withAttempts(db: Queryable, deliveries: readonly DeliveryRow[]): Promise<Delivery[]> {
    if (deliveries.length === 0) return []
    const attempts = await rows<DeliveryAttempt & { delivery_seq: number }>(
      db,
      `SELECT delivery_seq, attempted_at, duration_ms, status_code, error, response_body
       FROM webhook_delivery_attempts
       WHERE delivery_seq = ANY($1::bigint[])
       ORDER BY delivery_seq, attempt_id`,
      [deliveries.map((row) => row.seq)],
    )
    const bySeq = new Map<number, DeliveryAttempt[]>()
    for (const { delivery_seq, ...attempt } of attempts) {
      const list = bySeq.get(delivery_seq) ?? []
      list.push(attempt)
      bySeq.set(delivery_seq, list)
    }
    return deliveries.map(({ seq, next_attempt_at, ...row }) => ({
      ...row,
      next_attempt_at: next_attempt_at === null ? null : new Date(next_attempt_at).toISOString(),
      attempts: bySeq.get(seq) ?? [],
    }))
  }
}

/** See the top of the file: the lock a webhook row's foreign key check takes, taken first. */
async function lockWorkspaces(client: Queryable, workspaceIds: readonly string[]): Promise<void> {
  await client.query(
    `SELECT 1 FROM workspaces WHERE workspace_id = ANY($1::text[]) ORDER BY workspace_id
     FOR KEY SHARE`,
    [workspaceIds],
  )
}

async function rows<T extends pg.QueryResultRow>(
  db: Queryable,
  sql: string,
  values: readonly unknown[] = [],
): Promise<T[]> {
  return (await db.query<T>(sql, [...values])).rows
}

function toWebhook(row: WebhookRow): Webhook {
  return { ...row, event_types: JSON.parse(row.event_types) as string[] }
}

