import { randomUUID } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { setImmediate as yieldToEventLoop } from 'node:timers/promises'

import Database from 'better-sqlite3'
import {
  DummyDriver,
  Kysely,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type CompiledQuery,
} from 'kysely'

import {
  compileCountEventsByBucket,
  compileEventsAfter,
  compileFindEvent,
  compileListEvents,
  compileNewestEvent,
  toEventBucketCounts,
  type DayBucketRow,
  type EventRow,
  type EventsDatabase,
  type RetainedSince,
} from '../event-list-sql.ts'
import {
  eventFilterColumns,
  newWorkspace,
  storedEventRow,
  type ApiKey,
  type ClaimedDelivery,
  type Delivery,
  type DeliveryClaim,
  type DeliveryListQuery,
  type DeliveryOutcome,
  type DeliveryPage,
  type EventBucketCount,
  type EventDraft,
  type EventFilters,
  type EventListQuery,
  type EventLookup,
  type EventPage,
  type EventPosition,
  type EventsPublishedListener,
  type EventStore,
  type NewApiKey,
  type NewRecovery,
  type NewWebhook,
  type OutcomePolicy,
  type Recovery,
  type StoredEvent,
  type Webhook,
  type WebhookPatch,
  type RetainedEvent,
  type Workspace,
  type WorkspacePatch,
} from '../store.ts'
import { EventWatchers } from '../event-watchers.ts'
import { nextDay } from '../utc-days.ts'
import { settleWrites, type QueuedWrite, type WriteOutcome } from '../queued-writes.ts'
import { sqliteMigrations } from './sqlite-migrations.ts'
import { WriteLock } from './write-lock.ts'
import { retainedSince } from './sqlite-retained-since.ts'
import {
  pendingDeliveries,
  insertDeliveryStatement,
  SqliteWebhooks,
  type OutboxEvent,
  type PendingDelivery,
  type SqliteConnection,
} from './sqlite-webhooks.ts'

export interface SqliteStoreOptions {
  /** A file path, or ':memory:'. */
  path: string
}

const apiKeyColumns =
  'api_key_id, workspace_id, name, scope, short_token, created_at, revoked_at'
const workspaceColumns = 'workspace_id, name, created_at, event_retention_days'

/** Rows removed per transaction by retention: short write locks, so publishes keep flowing. */
const removalBatchSize = 1000
const retentionLease = { name: 'retention', ms: 6 * 60 * 60 * 1000 }

/**
 * The embedded backend: one database file in WAL mode, so that readers never wait for the
 * writer and the CLI can manage keys while a server runs on the same file.
 */
export class SqliteStore implements EventStore {
  /** The writer: every write, in turn (#writes). */
  readonly #db: Database.Database
  /**
   * The reader: every read that is not part of a write. In WAL mode it sees each commit at once
   * and never what an open write transaction has not committed, so reads go on, and see a
   * consistent database, while a long group commit yields between its steps.
   */
  readonly #reader: Database.Database
  readonly #writes = new WriteLock()
  /** False for ':memory:', whose one connection is both: a commit then never yields. */
  readonly #commitMayYield: boolean
  readonly #queryBuilder = new Kysely<EventsDatabase>({
    dialect: {
      createAdapter: () => new SqliteAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new SqliteIntrospector(db),
      createQueryCompiler: () => new SqliteQueryCompiler(),
    },
  })
  // The list query has a bounded number of shapes (which filters are present, list lengths),
  // so preparing each shape once pays off; the cap keeps odd callers from growing it forever.
  readonly #statementCache = new Map<string, Database.Statement>()
  readonly #readStatementCache = new Map<string, Database.Statement>()
  readonly #connection: SqliteConnection
  readonly #webhooks: SqliteWebhooks
  /** Publishes waiting for the next group commit, in arrival order. */
  readonly #queuedWrites: QueuedWrite[] = []
  readonly #eventWatchers = new EventWatchers()

  constructor({ path }: SqliteStoreOptions) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
    this.#db = new Database(path)
    this.#db.pragma('journal_mode = WAL')
    // FULL: a publish is acknowledged only once its transaction is on disk, so an
    // acknowledged event survives a power loss, not only a process crash.
    this.#db.pragma('synchronous = FULL')
    this.#db.pragma('busy_timeout = 5000')
    this.#db.pragma('foreign_keys = ON')
    this.#commitMayYield = path !== ':memory:'
    this.#reader = this.#commitMayYield ? new Database(path) : this.#db
    if (this.#reader !== this.#db) {
      this.#reader.pragma('busy_timeout = 5000')
      this.#reader.pragma('query_only = ON')
    }
    this.#connection = {
      db: this.#db,
      statement: (sql: string) => cachedStatement(this.#db, this.#statementCache, sql),
      read: (sql: string) => cachedStatement(this.#reader, this.#readStatementCache, sql),
    }
    this.#webhooks = new SqliteWebhooks(this.#connection)
  }

  migrate(): Promise<void> {
    return this.#writes.run(() => this.#migrateNow())
  }

  #migrateNow(): void {
    this.#db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)')
    // IMMEDIATE takes the write lock first, so two processes starting at once cannot both
    // decide that the same migration is pending.
    this.#db
      .transaction(() => {
        const row = this.#db
          .prepare('SELECT MAX(version) AS version FROM schema_migrations')
          .get() as { version: number | null }
        const applied = row.version ?? 0
        sqliteMigrations.slice(applied).forEach((sql, index) => {
          this.#db.exec(sql)
          this.#db.prepare('INSERT INTO schema_migrations (version) VALUES (?)').run(
            applied + index + 1,
          )
        })
      })
      .immediate()
  }

  async ping(): Promise<void> {
    this.#reader.prepare('SELECT 1').get()
  }

  async close(): Promise<void> {
    // After the writes already queued, so that none meets a closed database.
    await this.#writes.run(() => {
      if (!this.#db.open) return
      this.#db.pragma('optimize')
      if (this.#reader !== this.#db) this.#reader.close()
      this.#db.close()
    })
  }

  createWorkspace(name: string, patch: WorkspacePatch = {}): Promise<Workspace> {
    return this.#writes.run(() => this.#createWorkspaceNow(name, patch))
  }

  #createWorkspaceNow(name: string, patch: WorkspacePatch): Workspace {
    const workspace = newWorkspace(name, patch)
    this.#db
      .prepare(
        `INSERT INTO workspaces (${workspaceColumns})
         VALUES (@workspace_id, @name, @created_at, @event_retention_days)`,
      )
      .run(workspace)
    return workspace
  }

  async updateWorkspace(workspaceId: string, patch: WorkspacePatch): Promise<Workspace | undefined> {
    const days = patch.event_retention_days
    if (days !== undefined) {
      await this.#writes.run(() =>
        this.#db.prepare('UPDATE workspaces SET event_retention_days = ? WHERE workspace_id = ?').run(days, workspaceId),
      )
    }
    return await this.getWorkspace(workspaceId)
  }

  async listWorkspaces(): Promise<Workspace[]> {
    return this.#reader
      .prepare(`SELECT ${workspaceColumns} FROM workspaces ORDER BY created_at, rowid`)
      .all() as Workspace[]
  }

  async getWorkspace(workspaceId: string): Promise<Workspace | undefined> {
    return this.#reader
      .prepare(`SELECT ${workspaceColumns} FROM workspaces WHERE workspace_id = ?`)
      .get(workspaceId) as Workspace | undefined
  }

  createApiKey(workspaceId: string, key: NewApiKey): Promise<ApiKey> {
    return this.#writes.run(() => this.#createApiKeyNow(workspaceId, key))
  }

  #createApiKeyNow(workspaceId: string, key: NewApiKey): ApiKey {
    const apiKey: ApiKey = {
      api_key_id: randomUUID(),
      workspace_id: workspaceId,
      name: key.name,
      scope: key.scope,
      short_token: key.short_token,
      created_at: new Date().toISOString(),
      revoked_at: null,
    }
    this.#db
      .prepare(
        `INSERT INTO api_keys (${apiKeyColumns}, token_hash)
         VALUES (@api_key_id, @workspace_id, @name, @scope, @short_token, @created_at, @revoked_at, @token_hash)`,
      )
      .run({ ...apiKey, token_hash: key.token_hash })
    return apiKey
  }

  async listApiKeys(workspaceId: string): Promise<ApiKey[]> {
    return this.#reader
      .prepare(
        `SELECT ${apiKeyColumns} FROM api_keys WHERE workspace_id = ? ORDER BY created_at, rowid`,
      )
      .all(workspaceId) as ApiKey[]
  }

  async revokeApiKey(apiKeyId: string): Promise<ApiKey | undefined> {
    await this.#writes.run(() =>
      this.#db
        .prepare('UPDATE api_keys SET revoked_at = ? WHERE api_key_id = ? AND revoked_at IS NULL')
        .run(new Date().toISOString(), apiKeyId),
    )
    return this.#reader
      .prepare(`SELECT ${apiKeyColumns} FROM api_keys WHERE api_key_id = ?`)
      .get(apiKeyId) as ApiKey | undefined
  }

  async findApiKeyByTokenHash(tokenHash: string): Promise<ApiKey | undefined> {
    return this.#connection.read(
      `SELECT ${apiKeyColumns} FROM api_keys WHERE token_hash = ?`,
    ).get(tokenHash) as ApiKey | undefined
  }

  /**
   * Publishes are committed in groups: every publish that arrives while the event loop is busy
   * (or while the previous commit runs) joins the next commit, each in a savepoint of its own,
   * and is answered once that commit is on disk. One fsync and one write of each touched index
   * page then serve many requests, where a commit per request spent most of its time writing
   * the same pages again.
   */
  insertEvents(workspaceId: string, drafts: readonly EventDraft[]): Promise<StoredEvent[]> {
    return new Promise((resolve, reject) => {
      this.#queuedWrites.push({ workspaceId, drafts, resolve, reject })
      if (this.#queuedWrites.length === 1) {
        setImmediate(() => void this.#writes.run(() => this.#commitQueuedWrites()))
      }
    })
  }

  async #commitQueuedWrites(): Promise<void> {
    // Taken once this commit's turn has come: what arrived while it waited joins it.
    const writes = this.#queuedWrites.splice(0)
    if (writes.length === 0) return
    const outcomes: WriteOutcome[] = []
    try {
      this.#cachedStatement('BEGIN IMMEDIATE').run()
      for (const write of writes) {
        // A savepoint per publish: one bad publish is undone alone.
        this.#cachedStatement('SAVEPOINT publish').run()
        try {
          const { stored, deliveries } = this.#writeEventsNow(write.workspaceId, write.drafts)
          await this.#insertDeliveriesInSteps(deliveries)
          this.#cachedStatement('RELEASE publish').run()
          outcomes.push({ stored })
        } catch (error) {
          this.#cachedStatement('ROLLBACK TO publish').run()
          this.#cachedStatement('RELEASE publish').run()
          outcomes.push({ error })
        }
      }
      this.#cachedStatement('COMMIT').run()
    } catch (error) {
      // The commit itself failed: nothing of the group is stored.
      if (this.#db.inTransaction) this.#db.exec('ROLLBACK')
      for (const write of writes) write.reject(error)
      return
    }
    for (const workspaceId of new Set(writes.map((write) => write.workspaceId))) {
      this.#eventWatchers.notify(workspaceId)
    }
    settleWrites(writes, outcomes)
  }

  /**
   * The outbox rows of a publish, in the same transaction as its events. A publish into a
   * workspace with many webhooks writes events x webhooks rows (50,000 for 1,000 events and 50
   * webhooks, about a second): between steps the event loop turns, so that the process goes on
   * answering (reads use the other connection, and other writes wait their turn).
   */
  async #insertDeliveriesInSteps(deliveries: readonly PendingDelivery[]): Promise<void> {
    const insert = insertDeliveryStatement(this.#connection)
    for (let start = 0; start < deliveries.length; start += deliveriesPerStep) {
      if (start > 0 && this.#commitMayYield) await yieldToEventLoop()
      for (const delivery of deliveries.slice(start, start + deliveriesPerStep)) {
        insert.run(randomUUID(), delivery.workspace_id, delivery.webhook_id, delivery.event_id,
          delivery.event_type, delivery.next_attempt_at, null, delivery.created_at)
      }
    }
  }

  #writeEventsNow(
    workspaceId: string,
    drafts: readonly EventDraft[],
  ): { stored: StoredEvent[]; deliveries: PendingDelivery[] } {
    const insert = this.#cachedStatement(
      `INSERT INTO events (workspace_id, event_id, event_type, created_at, occurred_at,
         ${eventFilterColumns.join(', ')}, json)
       VALUES (@workspace_id, @event_id, @event_type, @created_at, @occurred_at,
         ${eventFilterColumns.map((column) => `@${column}`).join(', ')}, @json)
       ON CONFLICT (workspace_id, event_id) DO NOTHING`,
    )
    const findStored = this.#cachedStatement(
      'SELECT event_id, created_at, json FROM events WHERE workspace_id = ? AND event_id = ?',
    )
    const newestCreatedAt = this.#cachedStatement(
      'SELECT MAX(created_at) AS created_at FROM events WHERE workspace_id = ?',
    )
    // created_at never goes backwards within a workspace, even if the clock does, so
    // that a poller passing the last created_at it saw as `since` never misses an event.
    const newest = (newestCreatedAt.get(workspaceId) as { created_at: string | null })
      .created_at
    const clock = new Date()
    const now = clock.toISOString()
    const created_at = newest !== null && newest > now ? newest : now
    const newEvents: OutboxEvent[] = []
    const stored = drafts.map((draft) => {
      const occurred_at = draft.occurred_at ?? created_at
      const { json, filterValues } = storedEventRow(workspaceId, draft, created_at, occurred_at)
      const row = {
        workspace_id: workspaceId,
        event_id: draft.event_id,
        event_type: draft.event_type,
        created_at,
        occurred_at,
        json,
        ...filterValues,
      }
      if (insert.run(row).changes === 1) {
        newEvents.push({ event_id: draft.event_id, event_type: draft.event_type })
        return { event_id: draft.event_id, created_at, json }
      }
      return findStored.get(workspaceId, draft.event_id) as StoredEvent
    })
    return { stored, deliveries: pendingDeliveries(this.#connection, workspaceId, newEvents, clock) }
  }

  async listEvents(workspaceId: string, query: EventListQuery): Promise<EventPage> {
    const rows = this.#all(compileListEvents(this.#queryBuilder, workspaceId, query, this.#retainedSince))
    const hasNextPage = rows.length > query.limit
    const page = hasNextPage ? rows.slice(0, query.limit) : rows
    const last = page.at(-1)
    return {
      events: page.map(toStoredEvent),
      next:
        hasNextPage && last !== undefined
          ? { created_at: last.created_at, event_id: last.event_id }
          : null,
    }
  }

  async countEventsByBucket(
    workspaceId: string,
    filters: EventFilters,
    bucketSeconds: number,
  ): Promise<EventBucketCount[]> {
    const counted = this.#countPerTypeAndBucket(workspaceId, filters, bucketSeconds)
    if (counted !== undefined) return counted
    const query = compileCountEventsByBucket(this.#queryBuilder, workspaceId, filters, bucketSeconds, this.#retainedSince)
    return toEventBucketCounts(this.#all(query), bucketSeconds)
  }

  /**
   * The console's chart without id filters, counted one (type, bucket) at a time on the
   * (workspace_id, event_type, created_at) index: each count is a range of index entries, with
   * no table row read and no sort, where the single GROUP BY reads every row of the range and
   * sorts them. 200,000 events over 30 days: 39 ms instead of 246 ms in 12-hour buckets, 141
   * instead of 335 in 1-hour ones. Undefined when id filters apply (their own indexes serve
   * better) or the counts would be too many for a small store to gain.
   */
  #countPerTypeAndBucket(
    workspaceId: string,
    filters: EventFilters,
    bucketSeconds: number,
  ): EventBucketCount[] | undefined {
    const before = filters.created_at_before
    if (before === undefined || filters.event_ids !== undefined) return undefined
    if (Object.values(filters.columns ?? {}).some((values) => values !== undefined)) return undefined
    const retained = retainedSince({ statement: this.#connection.read }, workspaceId)
    const from = filters.created_at_min !== undefined && filters.created_at_min > retained ? filters.created_at_min : retained
    const after = filters.created_at_after ?? ''
    const widthMs = bucketSeconds * 1000
    const firstBucket = Math.floor(Date.parse(after > from ? after : from) / widthMs) * widthMs
    const lastBucket = Math.floor((Date.parse(before) - 1) / widthMs) * widthMs
    if (!Number.isFinite(firstBucket) || !Number.isFinite(lastBucket) || lastBucket < firstBucket) return []
    const types = filters.event_types ?? this.#eventTypesOf(workspaceId)
    const lookups = types.length * ((lastBucket - firstBucket) / widthMs + 1)
    if (lookups > cheapPerTypeBucketCounts) {
      // Many counts pay off only over many events: a count of the range (index entries only)
      // says which way is cheaper.
      const events = this.#connection.read(
        `SELECT count(*) FROM events INDEXED BY events_by_created_at
         WHERE workspace_id = ? AND created_at >= ? AND created_at > ? AND created_at < ?`,
      )
        .pluck()
        .get(workspaceId, from, after, before) as number
      if (lookups * eventsPerCountedBucket > events) return undefined
    }

    const count = this.#connection.read(
      `SELECT count(*) FROM events INDEXED BY events_by_event_type
       WHERE workspace_id = ? AND event_type = ? AND created_at >= ? AND created_at > ? AND created_at < ?`,
    ).pluck()
    const counts: EventBucketCount[] = []
    for (const event_type of types) {
      for (let bucket = firstBucket; bucket <= lastBucket; bucket += widthMs) {
        const start = new Date(bucket).toISOString()
        const end = new Date(bucket + widthMs).toISOString()
        const n = count.get(workspaceId, event_type, start > from ? start : from, after, end < before ? end : before) as number
        if (n > 0) counts.push({ bucket_start: bucket / 1000, event_type, count: n })
      }
    }
    return counts
  }

  /** The types a workspace has events of: one index probe per type, not a scan. */
  #eventTypesOf(workspaceId: string): string[] {
    const next = this.#connection.read(
      'SELECT min(event_type) FROM events WHERE workspace_id = ? AND event_type > ?',
    ).pluck()
    const types: string[] = []
    for (let type = next.get(workspaceId, '') as string | null; type !== null; type = next.get(workspaceId, type) as string | null) {
      types.push(type)
    }
    return types
  }

  async findEvent(workspaceId: string, lookup: EventLookup): Promise<StoredEvent | undefined> {
    const [row] = this.#all(compileFindEvent(this.#queryBuilder, workspaceId, lookup, this.#retainedSince))
    return row === undefined ? undefined : toStoredEvent(row)
  }

  async listEventsAfter(
    workspaceId: string,
    filters: EventFilters,
    after: EventPosition | null,
    limit: number,
  ): Promise<StoredEvent[]> {
    return this.#all(
      compileEventsAfter(this.#queryBuilder, workspaceId, filters, after, limit, this.#retainedSince),
    ).map(toStoredEvent)
  }

  async newestEventPosition(workspaceId: string): Promise<EventPosition | null> {
    const [row] = this.#all(compileNewestEvent(this.#queryBuilder, workspaceId))
    return row === undefined ? null : { created_at: row.created_at, event_id: row.event_id }
  }

  /**
   * Publishes through this process are told at once. Another process writing the same file
   * (a second `serve`) sends no signal: its events reach a stream by the stream's own poll.
   */
  async watchEvents(listener: EventsPublishedListener): Promise<() => Promise<void>> {
    const remove = this.#eventWatchers.add(listener)
    return async () => {
      remove()
    }
  }

  createWebhook(workspaceId: string, webhook: NewWebhook, maxWebhooks: number): Promise<Webhook | undefined> {
    return this.#writes.run(() => this.#webhooks.createWebhook(workspaceId, webhook, maxWebhooks))
  }

  listWebhooks(workspaceId: string): Promise<Webhook[]> {
    return this.#webhooks.listWebhooks(workspaceId)
  }

  getWebhook(workspaceId: string, webhookId: string): Promise<Webhook | undefined> {
    return this.#webhooks.getWebhook(workspaceId, webhookId)
  }

  updateWebhook(
    workspaceId: string,
    webhookId: string,
    patch: WebhookPatch,
  ): Promise<Webhook | undefined> {
    return this.#writes.run(() => this.#webhooks.updateWebhook(workspaceId, webhookId, patch))
  }

  deleteWebhook(workspaceId: string, webhookId: string): Promise<boolean> {
    return this.#writes.run(() => this.#webhooks.deleteWebhook(workspaceId, webhookId))
  }

  rotateWebhookSecret(
    workspaceId: string,
    webhookId: string,
    secret: string,
    previousSecretExpiresAt: string,
  ): Promise<Webhook | undefined> {
    return this.#writes.run(() =>
      this.#webhooks.rotateWebhookSecret(workspaceId, webhookId, secret, previousSecretExpiresAt),
    )
  }

  listDeliveries(workspaceId: string, query: DeliveryListQuery): Promise<DeliveryPage> {
    return this.#webhooks.listDeliveries(workspaceId, query)
  }

  retryDelivery(workspaceId: string, deliveryId: string, now: number): Promise<Delivery | undefined> {
    return this.#writes.run(() => this.#webhooks.retryDelivery(workspaceId, deliveryId, now))
  }

  createRecovery(workspaceId: string, recovery: NewRecovery): Promise<Recovery | undefined> {
    return this.#writes.run(() => this.#webhooks.createRecovery(workspaceId, recovery))
  }

  getRecovery(workspaceId: string, recoveryId: string): Promise<Recovery | undefined> {
    return this.#webhooks.getRecovery(workspaceId, recoveryId)
  }

  claimDueDeliveries(claim: DeliveryClaim): Promise<ClaimedDelivery[]> {
    return this.#writes.run(() => this.#webhooks.claimDueDeliveries(claim))
  }

  recordDeliveryOutcomes(outcomes: readonly DeliveryOutcome[], policy: OutcomePolicy): Promise<void> {
    return this.#writes.run(() => this.#webhooks.recordDeliveryOutcomes(outcomes, policy))
  }

  nextDeliveryDueAt(excludedWebhookIds: readonly string[]): Promise<number | null> {
    return this.#webhooks.nextDeliveryDueAt(excludedWebhookIds)
  }

  advanceRecovery(now: number, batchSize: number): Promise<boolean> {
    return this.#writes.run(() => this.#webhooks.advanceRecovery(now, batchSize))
  }

  /**
   * SQLite has no cross-process signal: the API wakes its own worker directly, and a separate
   * `seam-events worker` polls every WEBHOOK_POLL_INTERVAL_MS.
   */
  async watchDeliveries(): Promise<() => Promise<void>> {
    return async () => {}
  }

  async oldestEventDay(): Promise<string | null> {
    // Per workspace, so that each MIN is one probe of the (workspace_id, created_at) index.
    const row = this.#reader
      .prepare(
        `SELECT MIN((SELECT MIN(created_at) FROM events WHERE events.workspace_id = w.workspace_id))
           AS created_at FROM workspaces w`,
      )
      .get() as { created_at: string | null }
    return row.created_at?.slice(0, 10) ?? null
  }

  async readEventsOfDay(
    workspaceId: string,
    day: string,
    after: RetainedEvent | null,
    limit: number,
  ): Promise<RetainedEvent[]> {
    return this.#connection.read(
      `SELECT created_at, seq, json FROM events
       WHERE workspace_id = ? AND created_at >= ? AND created_at < ? AND (created_at, seq) > (?, ?)
       ORDER BY created_at, seq LIMIT ?`,
    ).all(
      workspaceId,
      day,
      nextDay(day),
      after?.created_at ?? day,
      after?.seq ?? -1,
      limit,
    ) as RetainedEvent[]
  }

  async removeEventsOfDay(workspaceId: string, day: string): Promise<number> {
    const batchSeqs = this.#cachedStatement(
      `SELECT seq, event_id FROM events
       WHERE workspace_id = ? AND created_at >= ? AND created_at < ?
       ORDER BY created_at LIMIT ${removalBatchSize}`,
    )
    const removeDeliveries = this.#cachedStatement(
      `DELETE FROM webhook_deliveries
       WHERE workspace_id = ? AND event_id = ? AND status <> 'pending'`,
    )
    const removeEvent = this.#cachedStatement('DELETE FROM events WHERE seq = ?')
    const removeBatch = this.#db.transaction(() => {
      const rows = batchSeqs.all(workspaceId, day, nextDay(day)) as { seq: number; event_id: string }[]
      for (const { seq, event_id } of rows) {
        removeDeliveries.run(workspaceId, event_id)
        removeEvent.run(seq)
      }
      return rows.length
    })
    let removed = 0
    for (;;) {
      const count = await this.#writes.run(() => removeBatch.immediate())
      removed += count
      if (count < removalBatchSize) return removed
      // better-sqlite3 is synchronous: let requests in between batches.
      await yieldToEventLoop()
    }
  }

  async removeDay(day: string): Promise<number> {
    let removed = 0
    for (const { workspace_id } of await this.listWorkspaces()) {
      removed += await this.removeEventsOfDay(workspace_id, day)
    }
    return removed
  }

  /** One table holds every day. */
  async prepareEventDays(): Promise<void> {}

  async withRetentionLock<T>(pass: () => Promise<T>): Promise<T | undefined> {
    const holder = randomUUID()
    const now = Date.now()
    const taken = await this.#writes.run(() => this.#db
      .prepare(
        `INSERT INTO maintenance_leases (name, holder, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
         WHERE maintenance_leases.expires_at < ?`,
      )
      .run(retentionLease.name, holder, now + retentionLease.ms, now).changes)
    if (taken === 0) return undefined
    try {
      return await pass()
    } finally {
      await this.#writes.run(() => {
        if (!this.#db.open) return
        this.#db.prepare('DELETE FROM maintenance_leases WHERE name = ? AND holder = ?').run(retentionLease.name, holder)
      })
    }
  }

  readonly #retainedSince: RetainedSince = (workspaceId) =>
    retainedSince({ statement: this.#connection.read }, workspaceId)

  #all<Row extends EventRow | DayBucketRow>(query: CompiledQuery<Row>): Row[] {
    return this.#connection.read(query.sql).all(...(query.parameters as unknown[])) as Row[]
  }

  #cachedStatement(sql: string): Database.Statement {
    return this.#connection.statement(sql)
  }
}

/** Delivery rows a group commit writes between two turns of the event loop (about 15 ms). */
const deliveriesPerStep = 1000

function cachedStatement(db: Database.Database, cache: Map<string, Database.Statement>, sql: string): Database.Statement {
  let statement = cache.get(sql)
  if (statement === undefined) {
    if (cache.size >= 500) cache.clear()
    statement = db.prepare(sql)
    cache.set(sql, statement)
  }
  return statement
}

/**
 * Up to this many (type, bucket) counts are made without asking: a few milliseconds even on an
 * empty store. Past it, only where the range holds at least eventsPerCountedBucket events per
 * count: a count costs a few microseconds even over an empty range, a row of the GROUP BY about
 * one (measured at 200,000 and 1,000,000 events).
 */
const cheapPerTypeBucketCounts = 2500
const eventsPerCountedBucket = 4

function toStoredEvent({ event_id, created_at, json }: EventRow): StoredEvent {
  return { event_id, created_at, json }
}
