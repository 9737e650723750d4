import { randomUUID } from 'node:crypto'

import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type CompiledQuery,
} from 'kysely'

import {
  compileFindEvent,
  compileListEvents,
  type EventRow,
  type EventsDatabase,
} from '../event-list-sql.ts'
import {
  eventFilterColumns,
  type ApiKey,
  type ClaimedDelivery,
  type Delivery,
  type DeliveryClaim,
  type DeliveryListQuery,
  type DeliveryOutcome,
  type DeliveryPage,
  type EventDraft,
  type EventListQuery,
  type EventLookup,
  type EventPage,
  type EventStore,
  type NewApiKey,
  type NewRecovery,
  type NewWebhook,
  type OutcomePolicy,
  type Recovery,
  type StoredEvent,
  type Webhook,
  type WebhookPatch,
  type Workspace,
} from '../store.ts'
import { createPgConnection, type PgConnection } from './pg-connection.ts'
import { pgMigrations } from './pg-migrations.ts'
import { listenForDeliveries } from './pg-notifications.ts'
import { PgWebhooks, queueDeliveries, type OutboxEvent } from './pg-webhooks.ts'

const apiKeyColumns =
  'api_key_id, workspace_id, name, scope, short_token, created_at, revoked_at'

/** Any constant of our own: the lock that lets one process at a time run migrations. */
const migrationLockId = 0x5ea4e7

// The whole batch in one statement: one array per column, unnested in the batch's order so that
// seq follows it. A duplicate event_id (stored before, or earlier in the batch) is skipped.
const insertEventsSql = `INSERT INTO events (workspace_id, event_id, event_type, created_at, occurred_at,
    ${eventFilterColumns.join(', ')}, json)
  SELECT $1::text, batch.event_id, batch.event_type, $2::text, batch.occurred_at,
    ${eventFilterColumns.map((column) => `batch.${column}`).join(', ')}, batch.json
  FROM unnest(${Array.from({ length: eventFilterColumns.length + 4 }, (_, index) => `$${index + 3}::text[]`).join(', ')})
    WITH ORDINALITY AS batch (event_id, event_type, occurred_at, ${eventFilterColumns.join(', ')}, json, position)
  ORDER BY batch.position
  ON CONFLICT (workspace_id, event_id) DO NOTHING
  RETURNING event_id`

/**
 * The scale-out backend: any number of API and worker processes on one PostgreSQL database.
 * Same tables and text formats as SQLite, so both answer alike.
 */
export class PgStore implements EventStore {
  readonly #connectionString: string
  readonly #connection: PgConnection
  readonly #webhooks: PgWebhooks
  readonly #queryBuilder = new Kysely<EventsDatabase>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new PostgresIntrospector(db),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  })

  constructor(connectionString: string) {
    this.#connectionString = connectionString
    this.#connection = createPgConnection(connectionString)
    this.#webhooks = new PgWebhooks(this.#connection)
  }

  async migrate(): Promise<void> {
    // The advisory lock makes processes that start at once take turns; the second finds the
    // migrations applied. CREATE TABLE IF NOT EXISTS alone would race in the catalog.
    await this.#connection.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [migrationLockId])
      await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)')
      const { rows } = await client.query<{ version: number | null }>(
        'SELECT MAX(version) AS version FROM schema_migrations',
      )
      const applied = rows[0]?.version ?? 0
      for (const [index, migration] of pgMigrations.slice(applied).entries()) {
        await client.query(migration)
        await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [applied + index + 1])
      }
    })
  }

  async ping(): Promise<void> {
    await this.#connection.pool.query('SELECT 1')
  }

  async close(): Promise<void> {
    await this.#connection.pool.end().catch(() => {})
  }

  async createWorkspace(name: string): Promise<Workspace> {
    const workspace: Workspace = { workspace_id: randomUUID(), name, created_at: new Date().toISOString() }
    await this.#query('INSERT INTO workspaces (workspace_id, name, created_at) VALUES ($1, $2, $3)', [
      workspace.workspace_id,
      workspace.name,
      workspace.created_at,
    ])
    return workspace
  }

  async listWorkspaces(): Promise<Workspace[]> {
    return await this.#query<Workspace>('SELECT workspace_id, name, created_at FROM workspaces ORDER BY created_at, seq')
  }

  async getWorkspace(workspaceId: string): Promise<Workspace | undefined> {
    const [workspace] = await this.#query<Workspace>(
      'SELECT workspace_id, name, created_at FROM workspaces WHERE workspace_id = $1',
      [workspaceId],
    )
    return workspace
  }

  async createApiKey(workspaceId: string, key: NewApiKey): Promise<ApiKey> {
    const apiKey: ApiKey = {
      api_key_id: randomUUID(),
      workspace_id: workspaceId,
      name: key.name,
      scope: key.scope,
      short_token: key.short_token,
      created_at: new Date().toISOString(),
      revoked_at: null,
    }
    await this.#query(
      `INSERT INTO api_keys (${apiKeyColumns}, token_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        apiKey.api_key_id,
        apiKey.workspace_id,
        apiKey.name,
        apiKey.scope,
        apiKey.short_token,
        apiKey.created_at,
        apiKey.revoked_at,
        key.token_hash,
      ],
    )
    return apiKey
  }

  async listApiKeys(workspaceId: string): Promise<ApiKey[]> {
    return await this.#query<ApiKey>(
      `SELECT ${apiKeyColumns} FROM api_keys WHERE workspace_id = $1 ORDER BY created_at, seq`,
      [workspaceId],
    )
  }

  async revokeApiKey(apiKeyId: string): Promise<ApiKey | undefined> {
    await this.#query('UPDATE api_keys SET revoked_at = $1 WHERE api_key_id = $2 AND revoked_at IS NULL', [
      new Date().toISOString(),
      apiKeyId,
    ])
    const [apiKey] = await this.#query<ApiKey>(`SELECT ${apiKeyColumns} FROM api_keys WHERE api_key_id = $1`, [
      apiKeyId,
    ])
    return apiKey
  }

  async findApiKeyByTokenHash(tokenHash: string): Promise<ApiKey | undefined> {
    const [apiKey] = await this.#query<ApiKey>(`SELECT ${apiKeyColumns} FROM api_keys WHERE token_hash = $1`, [
      tokenHash,
    ])
    return apiKey
  }

  async insertEvents(workspaceId: string, drafts: readonly EventDraft[]): Promise<StoredEvent[]> {
    return await this.#connection.transaction(async (client) => {
      // One writer per workspace at a time, across every API process: created_at then never
      // goes backwards within a workspace and seq order is commit order, which keeps `since`
      // polling and page cursors exact. Other workspaces write in parallel.
      await client.query('SELECT 1 FROM workspaces WHERE workspace_id = $1 FOR NO KEY UPDATE', [workspaceId])
      const { rows } = await client.query<{ created_at: string | null }>(
        'SELECT MAX(created_at) AS created_at FROM events WHERE workspace_id = $1',
        [workspaceId],
      )
      const newest = rows[0]?.created_at ?? null
      const clock = new Date()
      const now = clock.toISOString()
      const created_at = newest !== null && newest > now ? newest : now
      const rowsToInsert = drafts.map((draft) => {
        const occurred_at = draft.occurred_at ?? created_at
        const json = JSON.stringify({
          event_id: draft.event_id,
          event_type: draft.event_type,
          workspace_id: workspaceId,
          created_at,
          occurred_at,
          ...draft.fields,
        })
        const filterValues = eventFilterColumns.map((column) => {
          const value = draft.fields[column]
          return typeof value === 'string' ? value : null
        })
        return [draft.event_id, draft.event_type, occurred_at, ...filterValues, json]
      })
      const columns = rowsToInsert[0]?.map((_, column) => rowsToInsert.map((row) => row[column])) ?? []
      const inserted = await client.query<{ event_id: string }>(insertEventsSql, [
        workspaceId,
        created_at,
        ...columns,
      ])
      const insertedIds = new Set(inserted.rows.map((row) => row.event_id))
      const existingIds = drafts.map((draft) => draft.event_id).filter((id) => !insertedIds.has(id))
      const existing = new Map<string, StoredEvent>()
      if (existingIds.length > 0) {
        const found = await client.query<StoredEvent>(
          'SELECT event_id, created_at, json FROM events WHERE workspace_id = $1 AND event_id = ANY($2::text[])',
          [workspaceId, existingIds],
        )
        for (const row of found.rows) existing.set(row.event_id, row)
      }
      const newEvents: OutboxEvent[] = []
      const stored = drafts.map((draft, index): StoredEvent => {
        const event = existing.get(draft.event_id)
        if (event !== undefined) return event
        // Newly stored; a repeat later in the same batch returns this first one.
        const json = rowsToInsert[index]?.at(-1) as string
        const storedEvent = { event_id: draft.event_id, created_at, json }
        existing.set(draft.event_id, storedEvent)
        newEvents.push({ event_id: draft.event_id, event_type: draft.event_type })
        return storedEvent
      })
      await queueDeliveries(client, workspaceId, newEvents, clock)
      return stored
    })
  }

  async listEvents(workspaceId: string, query: EventListQuery): Promise<EventPage> {
    const rows = await this.#compiled(compileListEvents(this.#queryBuilder, workspaceId, query))
    const hasNextPage = rows.length > query.limit
    const page = hasNextPage ? rows.slice(0, query.limit) : rows
    const last = page.at(-1)
    return {
      events: page.map(toStoredEvent),
      next:
        hasNextPage && last !== undefined ? { created_at: last.created_at, event_id: last.event_id } : null,
    }
  }

  async findEvent(workspaceId: string, lookup: EventLookup): Promise<StoredEvent | undefined> {
    const [row] = await this.#compiled(compileFindEvent(this.#queryBuilder, workspaceId, lookup))
    return row === undefined ? undefined : toStoredEvent(row)
  }

  createWebhook(workspaceId: string, webhook: NewWebhook): Promise<Webhook> {
    return this.#webhooks.createWebhook(workspaceId, webhook)
  }

  listWebhooks(workspaceId: string): Promise<Webhook[]> {
    return this.#webhooks.listWebhooks(workspaceId)
  }

  getWebhook(workspaceId: string, webhookId: string): Promise<Webhook | undefined> {
    return this.#webhooks.getWebhook(workspaceId, webhookId)
  }

  updateWebhook(workspaceId: string, webhookId: string, patch: WebhookPatch): Promise<Webhook | undefined> {
    return this.#webhooks.updateWebhook(workspaceId, webhookId, patch)
  }

  deleteWebhook(workspaceId: string, webhookId: string): Promise<boolean> {
    return this.#webhooks.deleteWebhook(workspaceId, webhookId)
  }

  rotateWebhookSecret(
    workspaceId: string,
    webhookId: string,
    secret: string,
    previousSecretExpiresAt: string,
  ): Promise<Webhook | undefined> {
    return this.#webhooks.rotateWebhookSecret(workspaceId, webhookId, secret, previousSecretExpiresAt)
  }

  listDeliveries(workspaceId: string, query: DeliveryListQuery): Promise<DeliveryPage> {
    return this.#webhooks.listDeliveries(workspaceId, query)
  }

  retryDelivery(workspaceId: string, deliveryId: string, now: number): Promise<Delivery | undefined> {
    return this.#webhooks.retryDelivery(workspaceId, deliveryId, now)
  }

  createRecovery(workspaceId: string, recovery: NewRecovery): Promise<Recovery | undefined> {
    return this.#webhooks.createRecovery(workspaceId, recovery)
  }

  getRecovery(workspaceId: string, recoveryId: string): Promise<Recovery | undefined> {
    return this.#webhooks.getRecovery(workspaceId, recoveryId)
  }

  claimDueDeliveries(claim: DeliveryClaim): Promise<ClaimedDelivery[]> {
    return this.#webhooks.claimDueDeliveries(claim)
  }

  recordDeliveryOutcomes(outcomes: readonly DeliveryOutcome[], policy: OutcomePolicy): Promise<void> {
    return this.#webhooks.recordDeliveryOutcomes(outcomes, policy)
  }

  nextDeliveryDueAt(excludedWebhookIds: readonly string[]): Promise<number | null> {
    return this.#webhooks.nextDeliveryDueAt(excludedWebhookIds)
  }

  advanceRecovery(now: number, batchSize: number): Promise<boolean> {
    return this.#webhooks.advanceRecovery(now, batchSize)
  }

  async watchDeliveries(listener: () => void): Promise<() => Promise<void>> {
    return await listenForDeliveries(this.#connectionString, listener, () => {
      // A lost listening connection is reopened; meanwhile the worker's poll covers the gap.
    })
  }

  async #query<T extends object>(sql: string, parameters: unknown[] = []): Promise<T[]> {
    return (await this.#connection.pool.query<T>(sql, parameters)).rows
  }

  async #compiled(query: CompiledQuery<EventRow>): Promise<EventRow[]> {
    return await this.#query<EventRow>(query.sql, [...query.parameters])
  }
}

function toStoredEvent({ event_id, created_at, json }: EventRow): StoredEvent {
  return { event_id, created_at, json }
}
