// A workspace's rows other than its events, read and written as stored, on every backend: what
// `seam-events copy` moves from one database to another (see InstallationRows in store.ts).

import { sql } from 'kysely'

import type {
  DeliveryAttempt,
  InstallationRowCounts,
  InstallationRows,
  PendingDeliveryRow,
  WorkspaceRows,
} from '../store.ts'
import type { Executor } from './executor.ts'

const apiKeyRowColumns = ['api_key_id', 'workspace_id', 'name', 'scope', 'short_token', 'token_hash', 'created_at', 'revoked_at'] as const
const webhookRowColumns = [
  'webhook_id',
  'workspace_id',
  'url',
  'description',
  'event_types',
  'secret',
  'previous_secret',
  'previous_secret_expires_at',
  'disabled',
  'disabled_reason',
  'disabled_at',
  'failing_since',
  'created_at',
  'updated_at',
] as const
const pendingDeliveryColumns = [
  'seq',
  'delivery_id',
  'webhook_id',
  'event_id',
  'event_type',
  'event_created_at',
  'test_event_json',
  'attempt_count',
  'round_attempts',
  'manual_retry',
  'next_attempt_at',
  'last_error',
  'recovery_id',
  'created_at',
] as const

export class RelationalInstallationRows implements InstallationRows {
  constructor(readonly executor: Executor) {}

  async readWorkspaceRows(workspaceId: string): Promise<WorkspaceRows | undefined> {
    const { db, dialect } = this.executor
    const workspace = await this.executor.first(
      db.selectFrom('workspaces').select(['workspace_id', 'name', 'created_at', 'event_retention_days']).where('workspace_id', '=', workspaceId),
    )
    if (workspace === undefined) return undefined
    const api_keys = await this.executor.rows(
      db
        .selectFrom('api_keys')
        .select(apiKeyRowColumns)
        .where('workspace_id', '=', workspaceId)
        .orderBy('created_at')
        .orderBy(sql.ref(dialect.insertionOrder)),
    )
    const webhooks = await this.executor.rows(
      db
        .selectFrom('webhooks')
        .select(webhookRowColumns)
        .where('workspace_id', '=', workspaceId)
        .orderBy('created_at')
        .orderBy(sql.ref(dialect.insertionOrder)),
    )
    const fanouts = await this.executor.rows(
      db
        .selectFrom('webhook_fanouts')
        .select(['event_created_at', 'events', 'webhooks', 'webhooks_done', 'queued_at'])
        .where('workspace_id', '=', workspaceId)
        .orderBy('seq'),
    )
    return {
      workspace,
      api_keys,
      // SQLite's booleans are 0 and 1.
      webhooks: webhooks.map((webhook) => ({ ...webhook, disabled: Boolean(webhook.disabled) })),
      fanouts,
    }
  }

  async insertWorkspaceRows(workspaceId: string, { workspace, api_keys, webhooks, fanouts }: WorkspaceRows): Promise<void> {
    if (workspace.workspace_id !== workspaceId) throw new Error(`rows of workspace ${workspace.workspace_id}, not ${workspaceId}`)
    const foreign = [...api_keys, ...webhooks].find((row) => row.workspace_id !== workspaceId)
    if (foreign !== undefined) throw new Error(`a row of workspace ${foreign.workspace_id} among those of ${workspaceId}`)
    await this.executor.transaction(async (tx) => {
      await tx.run(tx.db.insertInto('workspaces').values(workspace))
      await tx.dialect.insertRows(tx, 'api_keys', api_keys)
      await tx.dialect.insertRows(tx, 'webhooks', webhooks)
      // Before the events they name: nothing runs on the target until the copy is done.
      await tx.dialect.insertRows(tx, 'webhook_fanouts', fanouts.map((fanout) => ({ ...fanout, workspace_id: workspaceId })))
    })
  }

  async readPendingDeliveries(
    workspaceId: string,
    after: number | null,
    limit: number,
  ): Promise<{ deliveries: PendingDeliveryRow[]; next: number | null }> {
    const { db, dialect } = this.executor
    const rows = await this.executor.rows(
      db
        .selectFrom('webhook_deliveries as d')
        .select(pendingDeliveryColumns.map((column) => `d.${column}` as const))
        .select((eb) =>
          dialect
            .jsonArrayFrom(
              eb
                .selectFrom('webhook_delivery_attempts as a')
                .select(['a.attempted_at', 'a.duration_ms', 'a.status_code', 'a.error', 'a.response_body'])
                .whereRef('a.delivery_seq', '=', 'd.seq')
                .orderBy('a.attempt_id'),
            )
            .as('attempts'),
        )
        .where('d.workspace_id', '=', workspaceId)
        .where('d.status', '=', 'pending')
        .where('d.seq', '>', after ?? -1)
        .orderBy('d.seq')
        .limit(limit),
    )
    const deliveries = rows.map(({ seq: _seq, attempts, manual_retry, next_attempt_at, ...row }) => ({
      ...row,
      manual_retry: Boolean(manual_retry),
      next_attempt_at: next_attempt_at === null ? null : Number(next_attempt_at),
      // SQLite's json_group_array comes back as text.
      attempts: (typeof attempts === 'string' ? JSON.parse(attempts) : attempts) as DeliveryAttempt[],
    }))
    return { deliveries, next: rows.length === limit ? (rows.at(-1)?.seq ?? null) : null }
  }

  async insertPendingDeliveries(workspaceId: string, deliveries: readonly PendingDeliveryRow[]): Promise<void> {
    if (deliveries.length === 0) return
    await this.executor.transaction(async (tx) => {
      await tx.dialect.insertRows(
        tx,
        'webhook_deliveries',
        deliveries.map(({ attempts: _attempts, ...delivery }) => ({
          ...delivery,
          workspace_id: workspaceId,
          status: 'pending' as const,
          claim_token: null,
          completed_at: null,
        })),
      )
      const withAttempts = deliveries.filter((delivery) => delivery.attempts.length > 0)
      if (withAttempts.length === 0) return
      // The attempts name their delivery by its seq, which is this database's own.
      const seqs = await tx.rows(
        tx.db
          .selectFrom('webhook_deliveries')
          .select(['seq', 'delivery_id'])
          .where('workspace_id', '=', workspaceId)
          .where(tx.dialect.isAnyOf('delivery_id', withAttempts.map((delivery) => delivery.delivery_id))),
      )
      const seqOf = new Map(seqs.map(({ seq, delivery_id }) => [delivery_id, Number(seq)]))
      await tx.dialect.insertRows(
        tx,
        'webhook_delivery_attempts',
        withAttempts.flatMap((delivery) =>
          delivery.attempts.map((attempt) => ({ delivery_seq: seqOf.get(delivery.delivery_id) as number, ...attempt })),
        ),
      )
    })
  }

  async countWorkspaceRows(workspaceId: string): Promise<InstallationRowCounts> {
    const { db } = this.executor
    // PostgreSQL's count is a bigint, which the driver returns as text.
    const count = sql<number>`cast(count(*) as integer)`.as('count')
    const [apiKeys, webhooks, pending, fanouts] = await Promise.all([
      this.executor.first(db.selectFrom('api_keys').select(count).where('workspace_id', '=', workspaceId)),
      this.executor.first(db.selectFrom('webhooks').select(count).where('workspace_id', '=', workspaceId)),
      this.executor.first(
        db.selectFrom('webhook_deliveries').select(count).where('workspace_id', '=', workspaceId).where('status', '=', 'pending'),
      ),
      this.executor.first(db.selectFrom('webhook_fanouts').select(count).where('workspace_id', '=', workspaceId)),
    ])
    return {
      api_keys: Number(apiKeys?.count ?? 0),
      webhooks: Number(webhooks?.count ?? 0),
      pending_deliveries: Number(pending?.count ?? 0),
      pending_fanouts: Number(fanouts?.count ?? 0),
    }
  }
}
