// PostgreSQL's claims: any number of workers share the queue, each skipping the rows another is
// claiming (SKIP LOCKED), and LISTEN/NOTIFY wakes idle workers when work is queued anywhere.

import { randomUUID } from 'node:crypto'

import type { Clock } from '../../clock.ts'
import { fanOutBudget, fanOutRows, fanOutRowsPerClaim, fanoutWebhookIds, pendingFanoutColumns, type PendingFanout } from '../outbox.ts'
import { RelationalDeliveryQueue } from '../relational/deliveries.ts'
import { insertDeliveries } from '../relational/executor.ts'
import type { ClaimedDelivery, DeliveryClaim } from '../store.ts'
import { chooseClaims, claimWindow, saturatedWebhookIds, signingSecrets, type ClaimedDeliveryRow } from '../webhook-rows.ts'
import { prepared, type PgExecutor, type PgQueries } from './pg-executor.ts'
import { listenForDeliveries } from './pg-notifications.ts'

export class PgDeliveryQueue extends RelationalDeliveryQueue {
  readonly #pg: PgExecutor
  readonly #connectionString: string

  constructor(executor: PgExecutor, connectionString: string, clock: Clock) {
    super(executor, clock)
    this.#pg = executor
    this.#connectionString = connectionString
  }

  /**
   * Not durable: a claim lost in a crash of the database leaves its deliveries due, to be sent
   * (again) as after a worker's crash, which at-least-once delivery allows. Waiting for the
   * flush made each claim cost a disk sync and capped delivery to one webhook at about 1,000 a
   * second. Candidates come from the due index alone (it covers webhook_id), so a wide window
   * costs little; the event and webhook are read only for the deliveries actually claimed.
   */
  claimDueDeliveries(claim: DeliveryClaim): Promise<ClaimedDelivery[]> {
    const now = this.clock.now()
    const saturated = saturatedWebhookIds(claim.inFlightByWebhook, claim.perWebhookLimit)
    return this.#pg.transaction(
      async (tx) => {
        const { connection } = tx
        await fanOut(tx, now, { budget: fanOutBudget })
        const { rows: candidates } = await connection.query<{ seq: number; webhook_id: string }>(
          prepared(
            `SELECT seq, webhook_id FROM webhook_deliveries
             WHERE status = 'pending' AND next_attempt_at <= $1 AND webhook_id <> ALL($2::text[])
             ORDER BY next_attempt_at LIMIT $3
             FOR UPDATE SKIP LOCKED`,
            [now, saturated, claimWindow(claim)],
          ),
        )
        const chosen = chooseClaims(candidates, claim)
        if (chosen.length === 0) return []
        const seqs = chosen.map((row) => row.seq)
        await connection.query(
          prepared(
            `UPDATE webhook_deliveries d SET next_attempt_at = $1, claim_token = lease.claim_token
             FROM unnest($2::bigint[], $3::text[]) AS lease (seq, claim_token)
             WHERE d.seq = lease.seq`,
            [now + claim.leaseMs, seqs, chosen.map(() => randomUUID())],
          ),
        )
        // The event from its day's partition alone, by the created_at the delivery carries.
        const { rows: claimed } = await connection.query<ClaimedDeliveryRow>(
          prepared(
            `SELECT d.delivery_id, d.workspace_id, d.webhook_id, d.event_id, d.claim_token,
               d.round_attempts, d.manual_retry, w.url, w.secret, w.previous_secret,
               w.previous_secret_expires_at, COALESCE(e.json, d.test_event_json) AS event_json
             FROM unnest($1::bigint[]) WITH ORDINALITY AS chosen (seq, position)
             JOIN webhook_deliveries d ON d.seq = chosen.seq
             JOIN webhooks w ON w.webhook_id = d.webhook_id
             LEFT JOIN events e ON e.workspace_id = d.workspace_id AND e.created_at = d.event_created_at
               AND e.event_id = d.event_id
             ORDER BY chosen.position`,
            [seqs],
          ),
        )
        const nowIso = new Date(now).toISOString()
        return claimed.map(({ secret, previous_secret, previous_secret_expires_at, ...delivery }) => ({
          ...delivery,
          secrets: signingSecrets({ secret, previous_secret, previous_secret_expires_at }, nowIso),
        }))
      },
      { durable: false },
    )
  }

  /** Waits for rows a worker is fanning out (FOR UPDATE without SKIP LOCKED), then finds them gone. */
  async fanOutWorkspace(workspaceId: string): Promise<void> {
    if (!(await this.hasFanouts(workspaceId))) return
    const now = this.clock.now()
    await this.#pg.transaction((tx) => fanOut(tx, now, { budget: Number.POSITIVE_INFINITY, workspaceId }), { durable: false })
  }

  override async watchDeliveries(listener: () => void): Promise<() => Promise<void>> {
    return await listenForDeliveries(this.#connectionString, listener, () => {
      // A lost listening connection is reopened; meanwhile the worker's poll covers the gap.
    })
  }
}

/**
 * Turns the oldest fan-out rows into deliveries (outbox.ts): up to `budget` of them inside a
 * claim's transaction, skipping rows another worker is fanning out, so that any number of
 * workers share the fan-out as they share the claims; or all of one workspace's, waiting for
 * those. The webhooks are share-locked, in seq order as every transaction that locks several,
 * so that a disable or delete meanwhile waits for these deliveries and then parks or removes them.
 */
async function fanOut(tx: PgQueries, now: number, { budget, workspaceId }: { budget: number; workspaceId?: string }): Promise<void> {
  const select = `SELECT ${pendingFanoutColumns} FROM webhook_fanouts`
  const { rows } = await tx.connection.query<PendingFanout>(
    workspaceId === undefined
      ? prepared(`${select} ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED`, [fanOutRowsPerClaim])
      : prepared(`${select} WHERE workspace_id = $1 ORDER BY seq FOR UPDATE`, [workspaceId]),
  )
  if (rows.length === 0) return
  const { rows: webhooks } = await tx.connection.query<{ webhook_id: string; disabled: boolean }>(
    prepared('SELECT webhook_id, disabled FROM webhooks WHERE webhook_id = ANY($1::text[]) ORDER BY seq FOR SHARE', [
      [...new Set(rows.flatMap(fanoutWebhookIds))],
    ]),
  )
  const made = fanOutRows(rows, new Map(webhooks.map((webhook) => [webhook.webhook_id, webhook.disabled])), budget, now)
  await insertDeliveries(tx, made.deliveries)
  if (made.finished.length > 0) await tx.connection.query(prepared('DELETE FROM webhook_fanouts WHERE seq = ANY($1::bigint[])', [made.finished]))
  for (const { seq, webhooksDone } of made.progressed) {
    await tx.connection.query(prepared('UPDATE webhook_fanouts SET webhooks_done = $1 WHERE seq = $2', [webhooksDone, seq]))
  }
}
