// PostgreSQL's claims: any number of workers share the queue, each skipping the rows another is
// claiming (SKIP LOCKED), and LISTEN/NOTIFY wakes idle workers when work is queued anywhere.

import { randomUUID } from 'node:crypto'

import type { Clock } from '../../clock.ts'
import { fanOutBudget, fanOutRows, fanOutRowsPerClaim, pendingFanoutColumns, type PendingFanout } from '../outbox.ts'
import { onlyPlainSuccesses, RelationalDeliveryQueue } from '../relational/deliveries.ts'
import type { ClaimedDelivery, DecideOutcome, DeliveryClaim, DeliveryOutcome } from '../store.ts'
import { chooseClaims, claimWindow, saturatedWebhookIds, signingSecrets, type ClaimedDeliveryRow } from '../webhook-rows.ts'
import { prepared, type PgExecutor, type PgQueries, type PgTransactionOptions } from './pg-executor.ts'
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
   * second. Candidates come from the due index alone (it covers webhook_id) and are not locked:
   * only the chosen are, as the lease takes them (SKIP LOCKED: another worker's are passed
   * over, and a row another worker leased meanwhile is no longer due). Locking the whole
   * window, four times the free slots, wrote a row lock for each candidate on every claim.
   * The event and webhook are read only for the deliveries actually leased.
   */
  claimDueDeliveries(claim: DeliveryClaim): Promise<ClaimedDelivery[]> {
    const now = this.clock.now()
    const saturated = saturatedWebhookIds(claim.inFlightByWebhook, claim.perWebhookLimit)
    return this.#pg.transaction(
      async (tx) => {
        const { connection } = tx
        await fanOut(tx, now, { budget: fanOutBudget })
        const { rows: candidates } = await connection.query<{ seq: number; webhook_id: string }>(
          prepared(dueCandidatesSql, [now, saturated, claimWindow(claim)]),
        )
        const chosen = chooseClaims(candidates, claim)
        if (chosen.length === 0) return []
        const { rows: leased } = await connection.query<LeasedRow>(
          prepared(
            `WITH leased AS (
               UPDATE webhook_deliveries d SET next_attempt_at = $1, claim_token = $2
               WHERE d.seq IN (
                 SELECT seq FROM webhook_deliveries
                 WHERE seq = ANY($3::bigint[]) AND status = 'pending' AND next_attempt_at <= $4
                 FOR UPDATE SKIP LOCKED)
               RETURNING d.seq, d.delivery_id, d.workspace_id, d.webhook_id, d.event_id, d.event_created_at,
                 d.claim_token, d.round_attempts, d.manual_retry, d.test_event_json)
             SELECT leased.*, w.url, w.secret, w.previous_secret, w.previous_secret_expires_at
             FROM leased JOIN webhooks w ON w.webhook_id = leased.webhook_id`,
            // One token for the claim: it tells this lease from any later one of the same rows.
            [now + claim.leaseMs, randomUUID(), chosen.map((row) => row.seq), now],
          ),
        )
        const events = await readLeasedEvents(tx, leased)
        const position = new Map(chosen.map((row, index) => [row.seq, index]))
        leased.sort((a, b) => (position.get(a.seq) as number) - (position.get(b.seq) as number))
        const nowIso = new Date(now).toISOString()
        return leased.map(({ seq: _seq, event_created_at, test_event_json, secret, previous_secret, previous_secret_expires_at, ...delivery }) => ({
          ...delivery,
          event_json: events.get(eventKey(delivery.workspace_id, delivery.event_id, event_created_at)) ?? test_event_json,
          secrets: signingSecrets({ secret, previous_secret, previous_secret_expires_at }, nowIso),
        }))
      },
      claimTransaction,
    )
  }

  /**
   * A batch of successes to webhooks that are not failing, the usual batch, in one statement
   * (its attempts, and its deliveries done) between BEGIN and COMMIT: three round trips instead
   * of seven, which made recording the outcomes most of the worker's round trips to the
   * database. Any other batch, or one the statement finds a failing webhook in (and then writes
   * nothing), goes the core's way, which locks and updates the webhooks.
   */
  override async recordDeliveryOutcomes(outcomes: readonly DeliveryOutcome[], decide: DecideOutcome): Promise<void> {
    if (outcomes.length === 0) return
    if (onlyPlainSuccesses(outcomes, decide)) {
      const applied = await this.#pg.transaction(async (tx) => {
        const { rows } = await tx.connection.query<{ applied: boolean }>(
          prepared(recordSuccessesSql, [
            [...new Set(outcomes.map((outcome) => outcome.webhook_id))],
            JSON.stringify(outcomes.map((outcome, position) => ({ ...outcome.attempt, delivery_id: outcome.delivery_id, workspace_id: outcome.workspace_id, claim_token: outcome.claim_token, position }))),
            new Date(this.clock.now()).toISOString(),
          ]),
        )
        return rows[0]?.applied === true
      }, { durable: false })
      if (applied) return
    }
    await super.recordDeliveryOutcomes(outcomes, decide)
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
 * Records successes ($2: JSON of each attempt with its delivery_id, workspace_id, claim_token
 * and position) unless a webhook of the batch ($1) is failing; whether it did. As the core does:
 * every attempt of a delivery that still exists, and each delivery done that this claim still
 * holds (another worker's lease since is left to that worker's outcome).
 */
const recordSuccessesSql = `WITH failing AS (
    SELECT 1 FROM webhooks WHERE webhook_id = ANY($1::text[]) AND failing_since IS NOT NULL LIMIT 1),
  recorded AS (
    SELECT d.seq, o.*
    FROM json_to_recordset($2::json) AS o (delivery_id text, workspace_id text, claim_token text, position integer,
      attempted_at text, duration_ms integer, status_code integer, error text, response_body text)
    JOIN webhook_deliveries d ON d.delivery_id = o.delivery_id AND d.workspace_id = o.workspace_id
    WHERE NOT EXISTS (SELECT 1 FROM failing)),
  attempts AS (
    INSERT INTO webhook_delivery_attempts (delivery_seq, attempted_at, duration_ms, status_code, error, response_body)
    SELECT seq, attempted_at, duration_ms, status_code, error, response_body FROM recorded ORDER BY position),
  done AS (
    UPDATE webhook_deliveries d SET status = 'succeeded', next_attempt_at = NULL, claim_token = NULL, completed_at = $3,
      attempt_count = d.attempt_count + 1, round_attempts = d.round_attempts + 1, last_error = NULL
    FROM recorded WHERE d.seq = recorded.seq AND d.claim_token = recorded.claim_token)
  SELECT NOT EXISTS (SELECT 1 FROM failing) AS applied`

/** Due deliveries oldest first, but none of the webhooks a worker has filled ($2), $3 at most. */
export const dueCandidatesSql = `SELECT seq, webhook_id FROM webhook_deliveries
  WHERE status = 'pending' AND next_attempt_at <= $1 AND webhook_id <> ALL($2::text[])
  ORDER BY next_attempt_at LIMIT $3`

/**
 * A claim's transaction: not durable (claimDueDeliveries says why), and planned without sorts.
 * The candidates must come from the due index in its order, stopping at the window: a queue
 * table grows and empties faster than ANALYZE follows it, and PostgreSQL, taking the due rows
 * for a few (0.5% of the table for status = 'pending' without statistics), read every due row
 * of the backlog in every claim to sort them instead: 8 ms and 800 buffers a claim at 20,000
 * rows (auto_explain). No statement of a claim needs a sort that an index does not give.
 */
export const claimTransaction: PgTransactionOptions = { durable: false, planner: { enable_sort: 'off' } }

type LeasedRow = Omit<ClaimedDeliveryRow, 'event_json'> & {
  seq: number
  event_created_at: string | null
  test_event_json: string | null
}

const eventKey = (workspaceId: string, eventId: string, createdAt: string | null) => `${workspaceId} ${eventId} ${createdAt}`

/**
 * The leased deliveries' events, by eventKey. The created_at values are the statement's own
 * (a custom plan), so PostgreSQL plans only the day partitions they fall in; a join on the
 * delivery's column would plan every partition on every claim. Matching each column against
 * its list can also match an event of another delivery's workspace or day: the map keeps only
 * exact triples.
 */
async function readLeasedEvents(tx: PgQueries, leased: readonly LeasedRow[]): Promise<Map<string, string>> {
  const events = leased.filter((row) => row.event_created_at !== null)
  if (events.length === 0) return new Map()
  const unique = (values: readonly string[]) => [...new Set(values)]
  const { rows } = await tx.connection.query<{ workspace_id: string; event_id: string; created_at: string; json: string }>(
    prepared(
      `SELECT workspace_id, event_id, created_at, json FROM events
       WHERE created_at = ANY($1::text[]) AND workspace_id = ANY($2::text[]) AND event_id = ANY($3::text[])`,
      [unique(events.map((row) => row.event_created_at as string)), unique(events.map((row) => row.workspace_id)), unique(events.map((row) => row.event_id))],
    ),
  )
  return new Map(rows.map((row) => [eventKey(row.workspace_id, row.event_id, row.created_at), row.json]))
}

/**
 * Turns the oldest fan-out rows into deliveries (outbox.ts): up to `budget` of them inside a
 * claim's transaction, skipping rows another worker is fanning out, so that any number of
 * workers share the fan-out as they share the claims; or all of one workspace's, waiting for
 * those. The webhooks are share-locked, in seq order as every transaction that locks several,
 * so that a disable or delete meanwhile waits for these deliveries and then parks or removes
 * them. Two round trips: the rows with their webhooks' state, then every write (four before,
 * on every claim that found publishes to fan out).
 */
async function fanOut(tx: PgQueries, now: number, { budget, workspaceId }: { budget: number; workspaceId?: string }): Promise<void> {
  const { rows } = await tx.connection.query<PendingFanout & { webhook_states: string }>(
    workspaceId === undefined
      ? prepared(readFanoutsSql('ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED'), [fanOutRowsPerClaim])
      : prepared(readFanoutsSql('WHERE workspace_id = $1 ORDER BY seq FOR UPDATE'), [workspaceId]),
  )
  if (rows.length === 0) return
  const states = JSON.parse(rows[0]?.webhook_states ?? '[]') as [webhookId: string, disabled: boolean][]
  const made = fanOutRows(rows, new Map(states), budget, now)
  await tx.connection.query(
    prepared(writeFanOutSql, [
      JSON.stringify(made.deliveries),
      made.finished,
      made.progressed.map((row) => row.seq),
      made.progressed.map((row) => row.webhooksDone),
    ]),
  )
}

/**
 * Fan-out rows (chosen and locked by `rowsClause`) with, in every row, the state of every
 * webhook they name as JSON [[webhook_id, disabled], ...], those webhooks share-locked after
 * the rows, in seq order. A deleted webhook is not in it.
 */
const readFanoutsSql = (rowsClause: string) => `WITH fanouts AS MATERIALIZED (
    SELECT ${pendingFanoutColumns} FROM webhook_fanouts ${rowsClause}),
  states AS MATERIALIZED (
    SELECT webhook_id, disabled FROM webhooks
    WHERE webhook_id IN (SELECT named ->> 0 FROM fanouts, json_array_elements(fanouts.webhooks::json) AS named)
    ORDER BY seq FOR SHARE)
  SELECT fanouts.*, (SELECT coalesce(json_agg(json_build_array(webhook_id, disabled)), '[]')::text FROM states) AS webhook_states
  FROM fanouts ORDER BY seq`

/** What fanning out writes, in one statement: the deliveries in order, done rows deleted, the rest moved on. */
const writeFanOutSql = `WITH inserted AS (
    INSERT INTO webhook_deliveries (delivery_id, workspace_id, webhook_id, event_id, event_type, event_created_at,
      status, next_attempt_at, recovery_id, created_at)
    SELECT r.delivery_id, r.workspace_id, r.webhook_id, r.event_id, r.event_type, r.event_created_at,
      'pending', r.next_attempt_at, r.recovery_id, r.created_at
    FROM json_populate_recordset(NULL::webhook_deliveries, $1::json) WITH ORDINALITY AS r
    ORDER BY r.ordinality),
  finished AS (DELETE FROM webhook_fanouts WHERE seq = ANY($2::bigint[])),
  progressed AS (
    UPDATE webhook_fanouts SET webhooks_done = moved.webhooks_done
    FROM unnest($3::bigint[], $4::int[]) AS moved (seq, webhooks_done)
    WHERE webhook_fanouts.seq = moved.seq)
  SELECT 1`
