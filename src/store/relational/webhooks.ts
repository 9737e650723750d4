// Webhooks, their deliveries as the API shows them, and recoveries: on every backend. Where
// several processes share a PostgreSQL database at READ COMMITTED, these tables rely on row
// locks, always taken in one order so that no two transactions wait for each other: workspace
// rows, then webhook rows (several at once in seq order), then delivery rows.
// - A transaction that reads a webhook's `disabled` or `event_types` to write deliveries holds a
//   lock on the webhook, so that disabling, enabling or editing it waits for those writes (and
//   sees them) instead of missing them.
// - A transaction that may update a webhook row twice first takes the workspace row FOR KEY
//   SHARE: PostgreSQL rechecks the foreign key of a row updated again by the transaction that
//   wrote it, which takes that lock, and a publish holds the workspace row while it waits for
//   the webhook rows.
// SQLite has one writer at a time: there a transaction holds all of that by itself.

import { randomUUID } from 'node:crypto'

import { sql, type Selectable } from 'kysely'

import type { Clock } from '../../clock.ts'
import type { WebhooksTable } from '../schema.ts'
import type {
  Delivery,
  DeliveryAttempt,
  DeliveryListQuery,
  DeliveryPage,
  DeliveryQueue,
  DeliveryStatus,
  DeliveryWithBody,
  NewRecovery,
  NewTestDelivery,
  NewWebhook,
  Recovery,
  RetriedDeliveries,
  Webhook,
  WebhookDeliveryStats,
  WebhookPatch,
  WebhookStore,
} from '../store.ts'
import { retainedSinceAt } from '../utc-days.ts'
import type { Executor, LockStrength } from './executor.ts'

export const webhookColumns = [
  'webhook_id',
  'workspace_id',
  'url',
  'event_types',
  'secret',
  'previous_secret',
  'previous_secret_expires_at',
  'disabled',
  'disabled_reason',
  'disabled_at',
  'failing_since',
  'description',
  'created_at',
  'updated_at',
] as const

const deliveryColumns = [
  'seq',
  'delivery_id',
  'webhook_id',
  'event_id',
  'event_type',
  'status',
  'attempt_count',
  'next_attempt_at',
  'last_error',
  'created_at',
  'completed_at',
  'recovery_id',
] as const

/** Whether a delivery is a test delivery, without reading its body. */
const isTestEvent = sql<number>`case when test_event_json is null then 0 else 1 end`.as('is_test_event')

const recoveryColumns = [
  'recovery_id',
  'webhook_id',
  'since',
  'until',
  'status',
  'events_total',
  'events_scanned',
  'deliveries_queued',
  'created_at',
  'completed_at',
] as const

export function toWebhook(row: Pick<Selectable<WebhooksTable>, (typeof webhookColumns)[number]>): Webhook {
  return { ...row, event_types: JSON.parse(row.event_types) as string[], disabled: Boolean(row.disabled) }
}

export class RelationalWebhooks implements WebhookStore {
  constructor(
    readonly executor: Executor,
    readonly clock: Clock,
    /** Makes what a workspace's publishes still owe into deliveries, before they are read. */
    private readonly outbox: Pick<DeliveryQueue, 'fanOutWorkspace'>,
  ) {}

  async createWebhook(workspaceId: string, webhook: NewWebhook, maxWebhooks: number): Promise<Webhook | undefined> {
    const now = this.#nowIso()
    const webhookId = randomUUID()
    return await this.executor.transaction(async (tx) => {
      // Creates of one workspace take turns, so that two at once cannot both see room for one.
      await lockWorkspaces(tx, [workspaceId], 'no key update')
      const { count } = (await tx.first(
        tx.db.selectFrom('webhooks').select((eb) => eb.fn.countAll<number>().as('count')).where('workspace_id', '=', workspaceId),
      )) ?? { count: 0 }
      if (Number(count) >= maxWebhooks) return undefined
      await tx.run(
        tx.db.insertInto('webhooks').values({
          webhook_id: webhookId,
          workspace_id: workspaceId,
          url: webhook.url,
          event_types: JSON.stringify(webhook.event_types),
          secret: webhook.secret,
          description: webhook.description ?? null,
          created_at: now,
          updated_at: now,
        }),
      )
      return await requireWebhook(tx, workspaceId, webhookId)
    })
  }

  async listWebhooks(workspaceId: string): Promise<Webhook[]> {
    const { db, dialect } = this.executor
    const rows = await this.executor.rows(
      db
        .selectFrom('webhooks')
        .select(webhookColumns)
        .where('workspace_id', '=', workspaceId)
        .orderBy('created_at')
        .orderBy(sql.ref(dialect.insertionOrder)),
    )
    return rows.map(toWebhook)
  }

  async getWebhook(workspaceId: string, webhookId: string): Promise<Webhook | undefined> {
    return await findWebhook(this.executor, workspaceId, webhookId)
  }

  async updateWebhook(workspaceId: string, webhookId: string, patch: WebhookPatch): Promise<Webhook | undefined> {
    return await this.executor.transaction(async (tx) => {
      await lockWorkspaces(tx, [workspaceId], 'key share')
      // Locked: two updates starting from the same row would each write back the other's fields.
      const current = await findWebhook(tx, workspaceId, webhookId, 'no key update')
      if (current === undefined) return undefined
      const now = this.clock.now()
      await tx.run(
        tx.db
          .updateTable('webhooks')
          .set({
            url: patch.url ?? current.url,
            event_types: JSON.stringify(patch.event_types ?? current.event_types),
            description: patch.description === undefined ? current.description : patch.description,
            updated_at: new Date(now).toISOString(),
          })
          .where('workspace_id', '=', workspaceId)
          .where('webhook_id', '=', webhookId),
      )
      if (patch.disabled === true && !current.disabled) await disableWebhook(tx, workspaceId, webhookId, 'manual', now)
      if (patch.disabled === false && current.disabled) await enableWebhook(tx, workspaceId, webhookId, now)
      return await requireWebhook(tx, workspaceId, webhookId)
    })
  }

  async deleteWebhook(workspaceId: string, webhookId: string): Promise<boolean> {
    const deleted = await this.executor.run(
      this.executor.db.deleteFrom('webhooks').where('workspace_id', '=', workspaceId).where('webhook_id', '=', webhookId),
    )
    return deleted === 1
  }

  async rotateWebhookSecret(
    workspaceId: string,
    webhookId: string,
    secret: string,
    previousSecretExpiresAt: string,
  ): Promise<Webhook | undefined> {
    const [row] = await this.executor.rows(
      this.executor.db
        .updateTable('webhooks')
        .set((eb) => ({
          previous_secret: eb.ref('secret'),
          previous_secret_expires_at: previousSecretExpiresAt,
          secret,
          updated_at: this.#nowIso(),
        }))
        .where('workspace_id', '=', workspaceId)
        .where('webhook_id', '=', webhookId)
        .returning(webhookColumns),
    )
    return row === undefined ? undefined : toWebhook(row)
  }

  async listDeliveries(workspaceId: string, query: DeliveryListQuery): Promise<DeliveryPage> {
    await this.outbox.fanOutWorkspace(workspaceId)
    let select = selectDeliveries(this.executor).where('workspace_id', '=', workspaceId)
    if (query.webhook_id !== undefined) select = select.where('webhook_id', '=', query.webhook_id)
    if (query.event_id !== undefined) select = select.where('event_id', '=', query.event_id)
    if (query.status !== undefined) select = select.where('status', '=', query.status)
    if (query.created_at_min !== undefined) select = select.where('created_at', '>=', query.created_at_min)
    const before = query.before_delivery_id
    if (before !== undefined) {
      // An unknown cursor id yields no rows rather than the first page again.
      select = select.where('seq', '<', (eb) =>
        eb.fn.coalesce(
          eb
            .selectFrom('webhook_deliveries')
            .select('seq')
            .where('workspace_id', '=', workspaceId)
            .where('delivery_id', '=', before),
          eb.lit(0),
        ),
      )
    }
    const rows = await this.executor.rows(select.orderBy('seq', 'desc').limit(query.limit + 1))
    const hasNextPage = rows.length > query.limit
    const page = hasNextPage ? rows.slice(0, query.limit) : rows
    return {
      deliveries: page.map(toDelivery),
      next_before_delivery_id: hasNextPage ? (page.at(-1)?.delivery_id ?? null) : null,
    }
  }

  async retryDelivery(workspaceId: string, deliveryId: string): Promise<Delivery | undefined> {
    const now = this.clock.now()
    return await this.executor.transaction(async (tx) => {
      const { db } = tx
      // The webhook's lock makes a concurrent disable or enable wait for this update and see it:
      // otherwise enabling could miss the delivery parked here, which would then never be sent.
      const delivery = await tx.first(
        db.selectFrom('webhook_deliveries').select('webhook_id').where('workspace_id', '=', workspaceId).where('delivery_id', '=', deliveryId),
      )
      if (delivery === undefined) return undefined
      const webhook = await findWebhook(tx, workspaceId, delivery.webhook_id, 'share')
      const updated = await tx.run(
        // A delivery of a disabled webhook stays parked until the webhook is enabled.
        retryUpdate(tx, webhook?.disabled === true, now)
          .where('workspace_id', '=', workspaceId)
          .where('delivery_id', '=', deliveryId),
      )
      if (updated === 0) return undefined
      await tx.notifyDeliveriesDue()
      const row = await tx.first(selectDeliveries(tx).where('workspace_id', '=', workspaceId).where('delivery_id', '=', deliveryId))
      return row === undefined ? undefined : toDelivery(row)
    })
  }

  async retryFailedDeliveries(
    workspaceId: string,
    webhookId: string,
    failedBefore: string,
    limit: number,
  ): Promise<RetriedDeliveries | undefined> {
    const now = this.clock.now()
    return await this.executor.transaction(async (tx) => {
      const { db, dialect } = tx
      const webhook = await findWebhook(tx, workspaceId, webhookId, 'share')
      if (webhook === undefined) return undefined
      const failed = db
        .selectFrom('webhook_deliveries')
        .where('workspace_id', '=', workspaceId)
        .where('status', '=', 'failed')
        .where('webhook_id', '=', webhookId)
        .where('completed_at', '<', failedBefore)
      const batch = (await tx.rows(failed.select('seq').orderBy('seq').limit(limit))).map((row) => row.seq)
      if (batch.length > 0) {
        await tx.run(retryUpdate(tx, webhook.disabled, now).where(dialect.isAnyOf('seq', batch, 'bigint')))
        await tx.notifyDeliveriesDue()
      }
      const { count } = (await tx.first(failed.select((eb) => eb.fn.countAll<number>().as('count')))) ?? { count: 0 }
      return { retried: batch.length, remaining: Number(count) }
    })
  }

  async getDelivery(workspaceId: string, deliveryId: string): Promise<DeliveryWithBody | undefined> {
    await this.outbox.fanOutWorkspace(workspaceId)
    const row = await this.executor.first(
      selectDeliveries(this.executor)
        .select(['test_event_json', 'event_created_at'])
        .where('workspace_id', '=', workspaceId)
        .where('delivery_id', '=', deliveryId),
    )
    if (row === undefined) return undefined
    const { test_event_json, event_created_at, ...delivery } = row
    let body = test_event_json
    if (body === null) {
      const layout = this.executor.dialect.events
      let event = layout
        .inWorkspace(this.executor.db.selectFrom('events').select('events.json'), workspaceId)
        .where('events.event_id', '=', layout.eventId(delivery.event_id))
      // On PostgreSQL, the event's day partition alone, as claims read it.
      if (event_created_at !== null) event = event.where('events.created_at', '=', layout.time(event_created_at))
      body = (await this.executor.first(event))?.json ?? null
    }
    return { delivery: toDelivery(delivery), body }
  }

  async createTestDelivery(workspaceId: string, test: NewTestDelivery): Promise<Delivery | undefined> {
    const now = this.clock.now()
    const nowIso = new Date(now).toISOString()
    return await this.executor.transaction(async (tx) => {
      // Locked as a publish locks it: disabling it meanwhile waits, then parks this delivery too.
      const webhook = await findWebhook(tx, workspaceId, test.webhook_id, 'share')
      if (webhook === undefined) return undefined
      const deliveryId = randomUUID()
      await tx.run(
        tx.db.insertInto('webhook_deliveries').values({
          delivery_id: deliveryId,
          workspace_id: workspaceId,
          webhook_id: test.webhook_id,
          event_id: test.event_id,
          event_type: test.event_type,
          event_created_at: nowIso,
          status: 'pending',
          next_attempt_at: webhook.disabled ? null : now,
          recovery_id: null,
          test_event_json: test.event_json,
          created_at: nowIso,
        }),
      )
      await tx.notifyDeliveriesDue()
      const row = await tx.first(selectDeliveries(tx).where('workspace_id', '=', workspaceId).where('delivery_id', '=', deliveryId))
      return row === undefined ? undefined : toDelivery(row)
    })
  }

  async webhookDeliveryStats(
    workspaceId: string,
    webhookIds: readonly string[],
    since: string,
  ): Promise<Map<string, WebhookDeliveryStats>> {
    const stats = new Map<string, WebhookDeliveryStats>()
    if (webhookIds.length === 0) return stats
    await this.outbox.fanOutWorkspace(workspaceId)
    for (const webhookId of webhookIds) {
      stats.set(webhookId, {
        webhook_id: webhookId,
        attempts: 0,
        successful_attempts: 0,
        pending_deliveries: 0,
        failed_deliveries: 0,
        last_delivery: null,
      })
    }
    const { db, dialect } = this.executor
    // Attempts come from the attempts' time index, then their deliveries by primary key.
    const attempts = await this.executor.rows(
      db
        .selectFrom('webhook_delivery_attempts as a')
        .innerJoin('webhook_deliveries as d', 'd.seq', 'a.delivery_seq')
        .select((eb) => [
          'd.webhook_id',
          eb.fn.countAll<number>().as('attempts'),
          eb.fn.sum<number>(sql`case when a.status_code between 200 and 299 then 1 else 0 end`).as('successful'),
        ])
        .where('d.workspace_id', '=', workspaceId)
        .where(dialect.isAnyOf('d.webhook_id', webhookIds))
        .where('a.attempted_at', '>=', since)
        .groupBy('d.webhook_id'),
    )
    for (const row of attempts) {
      const entry = stats.get(row.webhook_id)
      if (entry === undefined) continue
      entry.attempts = Number(row.attempts)
      entry.successful_attempts = Number(row.successful ?? 0)
    }
    const counts = await this.executor.rows(
      db
        .selectFrom('webhook_deliveries')
        .select((eb) => ['webhook_id', 'status', eb.fn.countAll<number>().as('count')])
        .where('workspace_id', '=', workspaceId)
        .where('status', 'in', ['pending', 'failed'])
        .where(dialect.isAnyOf('webhook_id', webhookIds))
        .groupBy(['webhook_id', 'status']),
    )
    for (const row of counts) {
      const entry = stats.get(row.webhook_id)
      if (entry === undefined) continue
      if (row.status === 'pending') entry.pending_deliveries = Number(row.count)
      if (row.status === 'failed') entry.failed_deliveries = Number(row.count)
    }
    for (const [webhookId, entry] of stats) {
      const newest = await this.executor.first(
        db
          .selectFrom('webhook_deliveries')
          .select(['seq', 'delivery_id', 'event_type', 'status', 'created_at'])
          .where('workspace_id', '=', workspaceId)
          .where('webhook_id', '=', webhookId)
          .orderBy('seq', 'desc')
          .limit(1),
      )
      if (newest === undefined) continue
      const attempt = await this.executor.first(
        db
          .selectFrom('webhook_delivery_attempts')
          .select(['attempted_at', 'status_code'])
          .where('delivery_seq', '=', newest.seq)
          .orderBy('attempt_id', 'desc')
          .limit(1),
      )
      const { seq: _seq, ...delivery } = newest
      entry.last_delivery = {
        ...delivery,
        last_attempt_at: attempt?.attempted_at ?? null,
        last_status_code: attempt?.status_code ?? null,
      }
    }
    return stats
  }

  async createRecovery(workspaceId: string, recovery: NewRecovery): Promise<Recovery | undefined> {
    const now = this.clock.now()
    return await this.executor.transaction(async (tx) => {
      // FOR KEY SHARE: a concurrent delete waits, rather than failing the insert's foreign key.
      const webhook = await findWebhook(tx, workspaceId, recovery.webhook_id, 'key share')
      if (webhook === undefined) return undefined
      // What the workspace still keeps: see advanceRecovery.
      const since = laterOf(recovery.since, await retainedSince(tx, workspaceId, now))
      const layout = tx.dialect.events
      const { total } = (await tx.first(
        layout
          .inWorkspace(tx.db.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('total')), workspaceId)
          .where('events.created_at', '>=', layout.time(since))
          .where('events.created_at', '<', layout.time(recovery.until)),
      )) ?? { total: 0 }
      const recoveryId = randomUUID()
      await tx.run(
        tx.db.insertInto('webhook_recoveries').values({
          recovery_id: recoveryId,
          workspace_id: workspaceId,
          webhook_id: recovery.webhook_id,
          since: recovery.since,
          until: recovery.until,
          status: 'running',
          events_total: Number(total),
          created_at: new Date(now).toISOString(),
        }),
      )
      // A recovery is a worker's work too.
      await tx.notifyDeliveriesDue()
      return await findRecovery(tx, workspaceId, recoveryId)
    })
  }

  async getRecovery(workspaceId: string, recoveryId: string): Promise<Recovery | undefined> {
    return await findRecovery(this.executor, workspaceId, recoveryId)
  }

  #nowIso(): string {
    return new Date(this.clock.now()).toISOString()
  }
}

/** Takes the workspaces' rows in one order (see the top of the file); nothing where no row locks. */
export async function lockWorkspaces(tx: Executor, workspaceIds: readonly string[], strength: LockStrength): Promise<void> {
  if (!tx.dialect.rowLocks || workspaceIds.length === 0) return
  await tx.rows(
    tx.dialect.locked(
      tx.db.selectFrom('workspaces').select('workspace_id').where(tx.dialect.isAnyOf('workspace_id', workspaceIds)).orderBy('workspace_id'),
      strength,
    ),
  )
}

export async function findWebhook(
  db: Executor,
  workspaceId: string,
  webhookId: string,
  lock?: LockStrength,
): Promise<Webhook | undefined> {
  const select = db.db.selectFrom('webhooks').select(webhookColumns).where('workspace_id', '=', workspaceId).where('webhook_id', '=', webhookId)
  const row = await db.first(lock === undefined ? select : db.dialect.locked(select, lock))
  return row === undefined ? undefined : toWebhook(row)
}

async function requireWebhook(tx: Executor, workspaceId: string, webhookId: string): Promise<Webhook> {
  const webhook = await findWebhook(tx, workspaceId, webhookId)
  if (webhook === undefined) throw new Error(`webhook ${webhookId} vanished inside its transaction`)
  return webhook
}

/** Disables a webhook and parks its pending deliveries until it is enabled again. */
export async function disableWebhook(tx: Executor, workspaceId: string, webhookId: string, reason: string, now: number): Promise<void> {
  const at = new Date(now).toISOString()
  await tx.run(
    tx.db
      .updateTable('webhooks')
      .set({ disabled: true, disabled_reason: reason, disabled_at: at, updated_at: at })
      .where('workspace_id', '=', workspaceId)
      .where('webhook_id', '=', webhookId)
      .where('disabled', '=', false),
  )
  await tx.run(
    tx.db.updateTable('webhook_deliveries').set({ next_attempt_at: null }).where('webhook_id', '=', webhookId).where('status', '=', 'pending'),
  )
}

async function enableWebhook(tx: Executor, workspaceId: string, webhookId: string, now: number): Promise<void> {
  await tx.run(
    tx.db
      .updateTable('webhooks')
      .set({ disabled: false, disabled_reason: null, disabled_at: null, failing_since: null })
      .where('workspace_id', '=', workspaceId)
      .where('webhook_id', '=', webhookId),
  )
  await tx.run(
    tx.db
      .updateTable('webhook_deliveries')
      .set({ next_attempt_at: now, claim_token: null })
      .where('webhook_id', '=', webhookId)
      .where('status', '=', 'pending')
      .where('next_attempt_at', 'is', null),
  )
  await tx.notifyDeliveriesDue()
}

/** The oldest created_at the workspace still shows at `now`: later events only are re-sent. */
export async function retainedSince(db: Executor, workspaceId: string, now: number): Promise<string> {
  const workspace = await db.first(
    db.db.selectFrom('workspaces').select('event_retention_days').where('workspace_id', '=', workspaceId),
  )
  // An unknown workspace shows nothing.
  return workspace === undefined ? '9999-12-31T23:59:59.999Z' : retainedSinceAt(now, workspace.event_retention_days)
}

/** The later of two created_at bounds (ISO 8601 text: string order is time order). */
export function laterOf(a: string, b: string): string {
  return a > b ? a : b
}

async function findRecovery(db: Executor, workspaceId: string, recoveryId: string): Promise<Recovery | undefined> {
  const row = await db.first(
    db.db.selectFrom('webhook_recoveries').select(recoveryColumns).where('workspace_id', '=', workspaceId).where('recovery_id', '=', recoveryId),
  )
  if (row === undefined) return undefined
  const deliveries: Record<DeliveryStatus, number> = { pending: 0, succeeded: 0, failed: 0 }
  const counts = await db.rows(
    db.db
      .selectFrom('webhook_deliveries')
      .select((eb) => ['status', eb.fn.countAll<number>().as('count')])
      .where('recovery_id', '=', recoveryId)
      .where('workspace_id', '=', workspaceId)
      .groupBy('status'),
  )
  for (const { status, count } of counts) deliveries[status] = Number(count)
  return { ...row, deliveries }
}

/** Deliveries with their attempts, read in one statement (one snapshot of both tables). */
function selectDeliveries(executor: Executor) {
  const { db, dialect } = executor
  return db
    .selectFrom('webhook_deliveries')
    .select([...deliveryColumns, isTestEvent])
    .select((eb) =>
      dialect
        .jsonArrayFrom(
          eb
            .selectFrom('webhook_delivery_attempts')
            .select(['attempted_at', 'duration_ms', 'status_code', 'error', 'response_body'])
            .whereRef('webhook_delivery_attempts.delivery_seq', '=', 'webhook_deliveries.seq')
            .orderBy('attempt_id'),
        )
        .as('attempts'),
    )
}

type DeliveryRow = Omit<Delivery, 'attempts' | 'next_attempt_at' | 'is_test_event'> & {
  seq: number
  next_attempt_at: number | null
  /** 0 or 1 from SQL. */
  is_test_event: number | boolean
  /** JSON text on SQLite, parsed already on PostgreSQL. */
  attempts: DeliveryAttempt[] | string
}

/** Makes deliveries due again for one more attempt, as a manual retry (parked if the webhook is disabled). */
function retryUpdate(tx: Executor, webhookDisabled: boolean, now: number) {
  return tx.db.updateTable('webhook_deliveries').set({
    status: 'pending',
    round_attempts: 0,
    manual_retry: true,
    claim_token: null,
    completed_at: null,
    next_attempt_at: webhookDisabled ? null : now,
  })
}

function toDelivery({ seq: _seq, next_attempt_at, attempts, is_test_event, ...row }: DeliveryRow): Delivery {
  return {
    ...row,
    is_test_event: Boolean(Number(is_test_event)),
    next_attempt_at: next_attempt_at === null ? null : new Date(next_attempt_at).toISOString(),
    attempts: typeof attempts === 'string' ? (JSON.parse(attempts) as DeliveryAttempt[]) : attempts,
  }
}
