// The worker's side of the outbox that is the same on every backend: recording outcomes,
// finding when work is next due, and turning a recovery's window into deliveries. Claims are
// each backend's own (sqlite-claims.ts, pg-claims.ts): that is where the engines differ most.

import { randomUUID } from 'node:crypto'

import { sql } from 'kysely'

import type { Clock } from '../../clock.ts'
import { eventTypeMatches } from '../event-type-patterns.ts'
import { addDue, addFanoutsDue } from '../outbox.ts'
import type {
  ClaimedDelivery,
  DecideOutcome,
  DeliveryAttempt,
  DeliveryClaim,
  DeliveryOutcome,
  DeliveryQueue,
  DueDeliveries,
  OutcomeDecision,
  ReleasedDelivery,
  WebhookHealth,
} from '../store.ts'
import { insertDeliveries, type Executor } from './executor.ts'
import { disableWebhook, laterOf, lockWorkspaces, retainedSince } from './webhooks.ts'

/** How soon a worker looks again at fan-out rows its claim left. */
const fanOutRecheckMs = 5

/** The delivery's last_error after a failed attempt. */
function describeAttemptError(attempt: DeliveryAttempt): string {
  if (attempt.error !== null) return attempt.error
  return attempt.status_code === null ? 'no response' : `HTTP ${attempt.status_code}`
}

export const healthy: WebhookHealth = { failing_since: null, disabled: false }

/**
 * Whether every outcome of a batch is a success that leaves a healthy webhook as it is: the
 * usual batch, which both backends record in one step (a statement on PostgreSQL, a procedure
 * on SQLite's writer) unless a webhook of it turns out to be failing.
 */
export function onlyPlainSuccesses(outcomes: readonly DeliveryOutcome[], decide: DecideOutcome): boolean {
  return outcomes.every((outcome) => {
    const decision = decide(outcome, healthy)
    return decision.delivery.kind === 'succeeded' && decision.webhook.failing_since === null && decision.webhook.disable === null
  })
}

/** The queue of every backend; each adds its own claims, and its signal of new work if any. */
export abstract class RelationalDeliveryQueue implements DeliveryQueue {
  constructor(
    protected readonly executor: Executor,
    protected readonly clock: Clock,
  ) {}

  abstract claimDueDeliveries(claim: DeliveryClaim): Promise<ClaimedDelivery[]>

  abstract fanOutWorkspace(workspaceId: string): Promise<void>

  /** Whether the workspace's publishes still owe deliveries: one index probe. */
  protected async hasFanouts(workspaceId: string): Promise<boolean> {
    const { db } = this.executor
    return (await this.executor.first(db.selectFrom('webhook_fanouts').select('seq').where('workspace_id', '=', workspaceId).limit(1))) !== undefined
  }

  /** Without a signal between processes, a worker finds others' work by its poll. */
  async watchDeliveries(_listener: () => void): Promise<() => Promise<void>> {
    return async () => {}
  }

  recordDeliveryOutcomes(outcomes: readonly DeliveryOutcome[], decide: DecideOutcome): Promise<void> {
    return recordDeliveryOutcomes(this.executor, this.clock, outcomes, decide)
  }

  async releaseDeliveries(released: readonly ReleasedDelivery[]): Promise<void> {
    if (released.length === 0) return
    const { db } = this.executor
    await this.executor.run(
      db
        .updateTable('webhook_deliveries')
        .set({ next_attempt_at: this.clock.now(), claim_token: null })
        .where('status', '=', 'pending')
        .where(({ eb, refTuple, tuple }) =>
          eb(refTuple('workspace_id', 'delivery_id', 'claim_token'), 'in', released.map((row) => tuple(row.workspace_id, row.delivery_id, row.claim_token))),
        ),
    )
  }

  nextDeliveryDueAt(excludedWebhookIds: readonly string[]): Promise<number | null> {
    return nextDeliveryDueAt(this.executor, this.clock, excludedWebhookIds)
  }

  advanceRecovery(batchSize: number): Promise<boolean> {
    return advanceRecovery(this.executor, this.clock, batchSize)
  }

  countDueDeliveriesByWebhook(now: number): Promise<DueDeliveries[]> {
    return countDueDeliveriesByWebhook(this.executor, now)
  }
}

/**
 * Not scoped by workspace: /metrics is the operator's view of every tenant's backlog, served
 * only on its own listener. The due index (next_attempt_at, webhook_id) bounds the scan to what
 * is due, which is small unless delivery falls behind.
 */
async function countDueDeliveriesByWebhook(executor: Executor, now: number): Promise<DueDeliveries[]> {
  const { db } = executor
  const rows = await executor.rows(
    db
      .selectFrom('webhook_deliveries')
      .select((eb) => [
        'workspace_id',
        'webhook_id',
        eb.fn.countAll<number | string>().as('due'),
        eb.fn.min<number>('next_attempt_at').as('oldest_due_at'),
      ])
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .groupBy(['workspace_id', 'webhook_id']),
  )
  const due = new Map<string, DueDeliveries>()
  // PostgreSQL's count is a bigint, which pg returns as text unless told otherwise.
  for (const row of rows) addDue(due, { ...row, due: Number(row.due), oldest_due_at: Number(row.oldest_due_at) })
  // Publishes not yet fanned out owe deliveries too (a few rows, unless fan-out falls behind).
  addFanoutsDue(due, await executor.rows(db.selectFrom('webhook_fanouts').select(['workspace_id', 'webhooks', 'webhooks_done', 'queued_at'])))
  return [...due.values()]
}

async function recordDeliveryOutcomes(
  executor: Executor,
  clock: Clock,
  outcomes: readonly DeliveryOutcome[],
  decide: DecideOutcome,
): Promise<void> {
  if (outcomes.length === 0) return
  const now = clock.now()
  const nowIso = new Date(now).toISOString()
  const webhooks = new Map(outcomes.map((outcome) => [outcome.webhook_id, outcome.workspace_id]))
  // Webhooks this batch may write: those an outcome changes when healthy (a failure marks them
  // failing), and those already failing (a success clears that). A healthy webhook's successes
  // write nothing on it.
  const changing = [
    ...new Set(
      outcomes
        .filter((outcome) => {
          const { webhook } = decide(outcome, healthy)
          return webhook.failing_since !== null || webhook.disable !== null
        })
        .map((outcome) => outcome.webhook_id),
    ),
  ]

  // As for claims: an outcome lost in a crash of the database sends its delivery again.
  await executor.transaction(
    async (tx) => {
      const { db, dialect } = tx
      await lockWorkspaces(tx, [...new Set(webhooks.values())], 'key share')
      // Locked up front, in seq order, before any delivery row: two workers marking the same
      // webhooks failing in different orders would deadlock. Only those: a claim share-locks the
      // webhooks it fans out to, so locking a healthy webhook for every batch of successes
      // would stall fan-out behind delivery on PostgreSQL.
      let states = db
        .selectFrom('webhooks')
        .select(['webhook_id', 'failing_since', 'disabled'])
        .where(dialect.isAnyOf('webhook_id', [...webhooks.keys()]))
      if (dialect.rowLocks) {
        states = dialect.locked(
          states
            .where((eb) => eb.or([eb('failing_since', 'is not', null), dialect.isAnyOf('webhook_id', changing)]))
            .orderBy(sql.ref(dialect.insertionOrder)),
          'no key update',
        )
      }
      const held = new Map<string, WebhookHealth>()
      for (const row of await tx.rows(states)) {
        held.set(row.webhook_id, { failing_since: row.failing_since, disabled: Boolean(row.disabled) })
      }

      // Every attempt in one statement. A delivery deleted with its webhook while the request was
      // in flight has nothing left to record.
      const seqs = new Map(
        (
          await tx.rows(
            db.selectFrom('webhook_deliveries').select(['seq', 'delivery_id', 'workspace_id']).where(dialect.isAnyOf('delivery_id', outcomes.map((o) => o.delivery_id))),
          )
        ).map((row) => [`${row.workspace_id} ${row.delivery_id}`, row.seq]),
      )
      const recorded = outcomes.filter((outcome) => seqs.has(`${outcome.workspace_id} ${outcome.delivery_id}`))
      await dialect.insertRows(
        tx,
        'webhook_delivery_attempts',
        recorded.map((outcome) => ({ delivery_seq: seqs.get(`${outcome.workspace_id} ${outcome.delivery_id}`) as number, ...outcome.attempt })),
      )

      // Decided in order, each with the webhook's state as the outcomes before it left it.
      const decideInOrder = (subset: readonly DeliveryOutcome[]) => {
        const states = new Map(held)
        /** Why each webhook this batch disables is disabled: the first decision that did. */
        const disabledFor = new Map<string, NonNullable<OutcomeDecision['webhook']['disable']>>()
        const decisions = subset.map((outcome) => {
          const before = states.get(outcome.webhook_id) ?? healthy
          const decision = decide(outcome, before)
          // A webhook not held is healthy for this batch; marked failing since by another worker,
          // its lock is not ours to wait for (that could deadlock), and the next success clears it.
          if (states.has(outcome.webhook_id)) {
            const { disable } = decision.webhook
            if (disable !== null && !before.disabled) disabledFor.set(outcome.webhook_id, disable)
            states.set(outcome.webhook_id, { failing_since: decision.webhook.failing_since, disabled: before.disabled || disable !== null })
          }
          return decision
        })
        return { decisions, states, disabledFor }
      }
      const decided = decideInOrder(recorded)

      // The deliveries. Successes, the usual outcome, in one statement; the others each with
      // their own schedule and error. A delivery another worker holds now (our lease ran out)
      // is left to that worker's outcome.
      const owned = (outcome: DeliveryOutcome) => [seqs.get(`${outcome.workspace_id} ${outcome.delivery_id}`) as number, outcome.claim_token] as const
      const changed = new Set<DeliveryOutcome>()
      const succeeded = recorded.filter((_, index) => decided.decisions[index]?.delivery.kind === 'succeeded')
      if (succeeded.length > 0) {
        const rows = await tx.rows(
          db
            .updateTable('webhook_deliveries')
            .set((eb) => ({
              status: 'succeeded',
              next_attempt_at: null,
              claim_token: null,
              completed_at: nowIso,
              attempt_count: eb('attempt_count', '+', 1),
              round_attempts: eb('round_attempts', '+', 1),
              last_error: null,
            }))
            .where(({ eb, refTuple, tuple }) => eb(refTuple('seq', 'claim_token'), 'in', succeeded.map((outcome) => tuple(...owned(outcome)))))
            .returning('seq'),
        )
        const updated = new Set(rows.map((row) => Number(row.seq)))
        for (const outcome of succeeded) if (updated.has(owned(outcome)[0])) changed.add(outcome)
      }
      for (const [index, outcome] of recorded.entries()) {
        const decision = decided.decisions[index] as OutcomeDecision
        if (decision.delivery.kind === 'succeeded') continue
        const [seq, claimToken] = owned(outcome)
        const update = db.updateTable('webhook_deliveries').where('seq', '=', seq).where('claim_token', '=', claimToken)
        const count =
          decision.delivery.kind === 'retry'
            ? await tx.run(
                update.set((eb) => ({
                  next_attempt_at: decision.delivery.kind === 'retry' ? decision.delivery.next_attempt_at : null,
                  claim_token: null,
                  attempt_count: eb('attempt_count', '+', 1),
                  round_attempts: eb('round_attempts', '+', 1),
                  last_error: describeAttemptError(outcome.attempt),
                })),
              )
            : await tx.run(
                update.set((eb) => ({
                  status: 'failed',
                  next_attempt_at: null,
                  claim_token: null,
                  completed_at: nowIso,
                  attempt_count: eb('attempt_count', '+', 1),
                  round_attempts: eb('round_attempts', '+', 1),
                  last_error: describeAttemptError(outcome.attempt),
                })),
              )
        if (count > 0) changed.add(outcome)
      }

      // The webhooks, as the outcomes that changed their delivery leave them.
      const final = changed.size === recorded.length ? decided : decideInOrder(recorded.filter((outcome) => changed.has(outcome)))
      for (const [webhookId, before] of held) {
        const after = final.states.get(webhookId) ?? before
        const workspaceId = webhooks.get(webhookId) as string
        if (after.failing_since !== before.failing_since) {
          await tx.run(
            db.updateTable('webhooks').set({ failing_since: after.failing_since }).where('workspace_id', '=', workspaceId).where('webhook_id', '=', webhookId),
          )
        }
        const reason = final.disabledFor.get(webhookId)
        if (reason !== undefined) await disableWebhook(tx, workspaceId, webhookId, reason, now)
      }
    },
    { durable: false },
  )
}

/**
 * When the next pending delivery of a webhook not in `excludedWebhookIds` falls due (ms since
 * epoch), or null when none is scheduled.
 */
async function nextDeliveryDueAt(executor: Executor, clock: Clock, excludedWebhookIds: readonly string[]): Promise<number | null> {
  const { db, dialect } = executor
  // One statement for both, on the worker's every wait.
  const row = await executor.first(
    db.selectNoFrom((eb) => [
      eb.selectFrom('webhook_fanouts').select('seq').limit(1).as('fanout'),
      eb
        .selectFrom('webhook_deliveries')
        .select('next_attempt_at')
        .where('status', '=', 'pending')
        .where('next_attempt_at', 'is not', null)
        .where((eb) => eb.not(dialect.isAnyOf('webhook_id', excludedWebhookIds)))
        .orderBy('next_attempt_at')
        .limit(1)
        .as('due'),
    ]),
  )
  const dueAt = row?.due === null || row?.due === undefined ? null : Number(row.due)
  // A claim fans out what it can (outbox.ts): a row left is too large for one claim, or being
  // fanned out by another worker, whose transaction ends soon.
  if (row?.fanout === null || row?.fanout === undefined) return dueAt
  const fanoutAt = clock.now() + fanOutRecheckMs
  return dueAt === null ? fanoutAt : Math.min(dueAt, fanoutAt)
}

/** Queues the deliveries of up to `batchSize` events of a running recovery; false when none runs. */
async function advanceRecovery(executor: Executor, clock: Clock, batchSize: number): Promise<boolean> {
  const now = clock.now()
  return await executor.transaction(async (tx) => {
    const { db, dialect } = tx
    // The recovery is locked so that two workers never scan the same batch: the next worker
    // takes the next running recovery.
    const recovery = await tx.first(
      dialect.locked(
        db
          .selectFrom('webhook_recoveries')
          .select(['recovery_id', 'workspace_id', 'webhook_id', 'since', 'until', 'cursor_created_at', 'cursor_seq'])
          .where('status', '=', 'running')
          .orderBy('created_at')
          .limit(1),
        'update',
        { skipLocked: true },
      ),
    )
    if (recovery === undefined) return false
    // Its webhook is share-locked (its `disabled` decides whether the new deliveries are
    // parked), skipping rather than waiting: a delete holds the webhook and then waits to
    // delete this very recovery. Gone or busy: the recovery is tried again later.
    const webhook = await tx.first(
      dialect.locked(
        db.selectFrom('webhooks').select(['event_types', 'disabled']).where('workspace_id', '=', recovery.workspace_id).where('webhook_id', '=', recovery.webhook_id),
        'share',
        { skipLocked: true },
      ),
    )
    if (webhook === undefined) return true
    // Within a workspace, created_at never decreases as seq grows (the store guarantees it), so
    // (created_at, seq) order is seq order and the cursor is one seq. Events past the workspace's
    // retention are not re-sent: reads already hide them (checked on every batch, as the cutoff
    // moves while a long recovery runs). One lower bound, the later of the two, for SQLite's planner.
    const since = laterOf(recovery.cursor_created_at ?? recovery.since, await retainedSince(tx, recovery.workspace_id, now))
    const layout = dialect.events
    const events = await tx.rows(
      layout
        .inWorkspace(
          db.selectFrom('events').select(['events.seq', layout.eventIdText.as('event_id'), 'events.event_type', layout.createdAtText.as('created_at')]),
          recovery.workspace_id,
        )
        .where('events.created_at', '>=', layout.time(since))
        .where('events.created_at', '<', layout.time(recovery.until))
        .where('events.seq', '>', recovery.cursor_seq)
        .orderBy('events.created_at')
        .orderBy('events.seq')
        .limit(batchSize),
    )
    const patterns = JSON.parse(webhook.event_types) as string[]
    const createdAt = new Date(now).toISOString()
    const deliveries = events
      .filter((event) => eventTypeMatches(patterns, event.event_type))
      .map((event) => ({
        delivery_id: randomUUID(),
        workspace_id: recovery.workspace_id,
        webhook_id: recovery.webhook_id,
        event_id: event.event_id,
        event_type: event.event_type,
        event_created_at: event.created_at,
        next_attempt_at: webhook.disabled ? null : now,
        recovery_id: recovery.recovery_id,
        created_at: createdAt,
      }))
    await insertDeliveries(tx, deliveries)
    if (deliveries.length > 0) await tx.notifyDeliveriesDue()
    const last = events.at(-1)
    const done = events.length < batchSize
    await tx.run(
      db
        .updateTable('webhook_recoveries')
        .set((eb) => ({
          events_scanned: eb('events_scanned', '+', events.length),
          deliveries_queued: eb('deliveries_queued', '+', deliveries.length),
          cursor_created_at: last?.created_at ?? recovery.cursor_created_at,
          cursor_seq: last?.seq ?? recovery.cursor_seq,
          status: done ? 'completed' : 'running',
          completed_at: done ? createdAt : null,
        }))
        .where('recovery_id', '=', recovery.recovery_id),
    )
    return true
  })
}
