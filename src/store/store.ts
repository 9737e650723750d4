// The storage contract every backend implements (SQLite and PostgreSQL): a store made of parts,
// each consumer taking only the part it uses. Every method that touches a tenant's data takes
// the workspace id as its first argument, so no caller can forget the tenant filter. The store
// knows nothing of HTTP or of Seam's validation rules, and decides no policy: what an attempt's
// outcome does to its delivery and webhook is decided by the caller's function (DecideOutcome).

/** A read of the store that ran past its timeout (QUERY_TIMEOUT_SECONDS) and was stopped. */
export class QueryTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`the query ran past ${timeoutMs / 1000} s and was stopped`)
    this.name = 'QueryTimeoutError'
  }
}

/** Columns extracted from an event's payload so that each events/list filter has an index. */
export const eventFilterColumns = [
  'device_id',
  'access_code_id',
  'connected_account_id',
  'connect_webview_id',
  'acs_system_id',
  'acs_entrance_id',
  'acs_user_id',
  'acs_credential_id',
  'acs_access_group_id',
  'acs_encoder_id',
  'user_identity_id',
  'access_grant_id',
  'access_method_id',
  'space_id',
  'customer_key',
] as const

export type EventFilterColumn = (typeof eventFilterColumns)[number]

export type ApiKeyScope = 'all' | 'read' | 'publish'

/** Stripe keeps events for 30 days; so do we unless a workspace says otherwise. */
export const defaultEventRetentionDays = 30
export const maxEventRetentionDays = 3650

export interface Workspace {
  workspace_id: string
  name: string
  created_at: string
  /**
   * Events older than this many days are hidden from reads at once, and removed (after an
   * export, when one is configured) by the retention pass within a day after that.
   */
  event_retention_days: number
}

export interface WorkspacePatch {
  event_retention_days?: number
}


export interface ApiKey {
  api_key_id: string
  workspace_id: string
  name: string
  scope: ApiKeyScope
  /** The token's first characters, so that an operator can tell keys apart; never the secret. */
  short_token: string
  created_at: string
  revoked_at: string | null
}

export interface NewApiKey {
  name: string
  scope: ApiKeyScope
  short_token: string
  token_hash: string
}

/** An event as a producer submitted it, already validated; the store assigns the rest. */
export interface EventDraft {
  /** Present when the producer chose it; publishing the same id twice stores the event once. */
  event_id: string
  event_type: string
  /** ISO 8601 UTC with milliseconds; absent means "when it was stored". */
  occurred_at: string | undefined
  /** Type-specific fields, in the order they should appear on the wire. */
  fields: Readonly<Record<string, unknown>>
  /**
   * History only (InsertEventsOptions.history: import, seed, copy): the created_at it keeps, ISO
   * 8601 UTC with milliseconds. A publish never sets it: the store does.
   */
  created_at?: string | undefined
}

export interface InsertEventsOptions {
  /**
   * Writes history rather than a publish (`seam-events import`, `seed`, `copy`): each draft keeps
   * the created_at it carries (and its occurred_at, which it must carry too), even one older than
   * the workspace's newest event, and no webhook delivery is queued. Idempotent by event_id as a
   * publish is.
   */
  history?: boolean
}

/**
 * What a store writes for one event: its JSON exactly as events/list will return it (the members
 * the server sets first, then the producer's fields in their order) and the value of each filter
 * column (null where the event has none). Both stores, and the benchmark's seeding, write this.
 */
export function storedEventRow(
  workspaceId: string,
  draft: Pick<EventDraft, 'event_id' | 'event_type' | 'fields'>,
  created_at: string,
  occurred_at: string,
): { json: string; filterValues: Record<EventFilterColumn, string | null> } {
  const json = JSON.stringify({
    event_id: draft.event_id,
    event_type: draft.event_type,
    workspace_id: workspaceId,
    created_at,
    occurred_at,
    ...draft.fields,
  })
  const filterValues = {} as Record<EventFilterColumn, string | null>
  for (const column of eventFilterColumns) {
    const value = draft.fields[column]
    filterValues[column] = typeof value === 'string' ? value : null
  }
  return { json, filterValues }
}

/** The created_at a draft of history keeps (InsertEventsOptions.history); it must have one. */
export function keptCreatedAt(draft: Pick<EventDraft, 'event_id' | 'created_at'>): string {
  if (draft.created_at === undefined) throw new Error(`event ${draft.event_id}: history must carry its created_at`)
  return draft.created_at
}

/** A stored event as it goes over the wire: `json` is exactly what events/list returns. */
export interface StoredEvent {
  event_id: string
  created_at: string
  json: string
  /** Set when the event was stored before: this draft repeated its event_id, and stored nothing. */
  already_stored?: true
}

/** A position in the newest-first order of a workspace's events: the event at it. */
export interface EventPosition {
  created_at: string
  event_id: string
}

/** A position before every event: reading on from it reads a workspace from its start. */
export const beforeFirstEvent: Readonly<EventPosition> = { created_at: '', event_id: '' }

/** What events/list and events/histogram filter on: the events a query counts or pages through. */
export interface EventFilters {
  /** Inclusive lower bound on created_at (ISO 8601 UTC with milliseconds). */
  created_at_min?: string
  /** Exclusive lower bound on created_at. */
  created_at_after?: string
  /** Exclusive upper bound on created_at. */
  created_at_before?: string
  event_ids?: readonly string[]
  event_types?: readonly string[]
  /** Each present column must equal one of the listed values (an empty list matches nothing). */
  columns?: Partial<Record<EventFilterColumn, readonly string[]>>
}

export interface EventListQuery extends EventFilters {
  /** Only events strictly older than this position (cursor paging). */
  before?: EventPosition
  offset: number
  limit: number
}

/**
 * Called when events may have been committed: with the workspace, or with null when any
 * workspace may have some (a notification connection came back, and what was sent while it was
 * down is lost).
 */
export type EventsPublishedListener = (workspaceId: string | null) => void

export interface EventPage {
  /** Each event of the page as stored, its JSON, newest first, joined by commas: the inside of a JSON array. */
  eventsJsonText: string
  /** Where the next page starts, or null when this page is the last. */
  next: EventPosition | null
}

/**
 * The number of events of one type in one time bucket: `bucket_start` is in seconds since the
 * Unix epoch, a multiple of the bucket width (buckets are aligned in UTC).
 */
export interface EventBucketCount {
  bucket_start: number
  event_type: string
  count: number
}

export interface EventLookup {
  event_id?: string
  device_id?: string
  /** Any of these types (a type and its older names). */
  event_types?: readonly string[]
}

/** A store: its parts, and the life of the database under them. */
export interface Store {
  readonly workspaces: WorkspaceStore
  readonly events: EventLog
  readonly webhooks: WebhookStore
  readonly deliveries: DeliveryQueue
  readonly retention: EventRetentionStore
  readonly installation: InstallationRows
  /** Creates or upgrades the schema; safe to call on every start. */
  migrate(): Promise<void>
  /** Throws when the database cannot answer. */
  ping(): Promise<void>
  /** How busy the connection pool is, for /metrics; null for a backend without one (SQLite). */
  databasePoolUse(): DatabasePoolUse | null
  close(): Promise<void>
}

/** A connection pool's state (PostgreSQL's pg.Pool). */
export interface DatabasePoolUse {
  /** Connections open, idle or not. */
  total: number
  idle: number
  /** Queries waiting for a connection, all being in use. */
  waiting: number
  /** The most connections the pool opens. */
  max: number
}

export interface WorkspaceStore {
  createWorkspace(name: string, patch?: WorkspacePatch): Promise<Workspace>
  updateWorkspace(workspaceId: string, patch: WorkspacePatch): Promise<Workspace | undefined>
  listWorkspaces(): Promise<Workspace[]>
  getWorkspace(workspaceId: string): Promise<Workspace | undefined>

  createApiKey(workspaceId: string, key: NewApiKey): Promise<ApiKey>
  listApiKeys(workspaceId: string): Promise<ApiKey[]>
  /** Operator action by globally unique key id; returns the key, or undefined if unknown. */
  revokeApiKey(apiKeyId: string): Promise<ApiKey | undefined>
  /** Authentication: the key (revoked or not) whose token hashes to `tokenHash`. */
  findApiKeyByTokenHash(tokenHash: string): Promise<ApiKey | undefined>
}

export interface EventLog {
  /**
   * Stores the drafts in one transaction, all or nothing, and returns them as stored, in the
   * same order. A draft whose event_id the workspace already has is not stored again: the
   * stored event is returned in its place. In the same transaction, each new event gets a
   * pending delivery for every enabled webhook of the workspace that wants its type (the
   * outbox), so an acknowledged event can never miss a delivery. With `history`, see
   * InsertEventsOptions.
   */
  insertEvents(workspaceId: string, drafts: readonly EventDraft[], options?: InsertEventsOptions): Promise<StoredEvent[]>
  /**
   * Newest first: created_at descending, ties broken by insertion order. Like findEvent, it
   * never returns an event older than the workspace's retention, removed yet or not.
   */
  listEvents(workspaceId: string, query: EventListQuery): Promise<EventPage>
  /**
   * Counts the events listEvents would return for `filters` (retention included), per
   * `bucketSeconds`-wide bucket of created_at and per event type; only non-empty pairs, in no
   * particular order. `bucketSeconds` divides a day, so buckets never straddle midnight UTC.
   */
  countEventsByBucket(
    workspaceId: string,
    filters: EventFilters,
    bucketSeconds: number,
  ): Promise<EventBucketCount[]>
  /** The newest event matching every given field. */
  findEvent(workspaceId: string, lookup: EventLookup): Promise<StoredEvent | undefined>
  /**
   * Oldest first: up to `limit` events matching `filters` committed after the event at `after`
   * (from the oldest retained event when null). Publishes to a workspace commit one at a time
   * and created_at never goes backwards, so reading on from the last event returned misses
   * nothing and repeats nothing.
   */
  listEventsAfter(
    workspaceId: string,
    filters: EventFilters,
    after: EventPosition | null,
    limit: number,
  ): Promise<StoredEvent[]>
  /** The position of the workspace's newest event, or null when it has none. */
  newestEventPosition(workspaceId: string): Promise<EventPosition | null>
  /**
   * Calls `listener` after events are committed: at once for publishes through this store, and
   * for publishes from other processes when the backend can signal them (PostgreSQL's
   * LISTEN/NOTIFY). Resolves to a function that stops listening.
   */
  watchEvents(listener: EventsPublishedListener): Promise<() => Promise<void>>
}

// ---------------------------------------------------------------------------------------------
// Webhooks and their delivery outbox.

export interface Webhook {
  webhook_id: string
  workspace_id: string
  url: string
  /** Event types, `prefix.*` patterns, or `*`. */
  event_types: string[]
  secret: string
  /** The secret before the last rotation; it keeps signing until the expiry. */
  previous_secret: string | null
  previous_secret_expires_at: string | null
  disabled: boolean
  /** `manual` (an update), `gone` (the endpoint answered 410) or `failing` (failed too long). */
  disabled_reason: string | null
  disabled_at: string | null
  /** When the current run of failures began; null after any success. */
  failing_since: string | null
  /** Ours, optional: what the webhook is for; null when none was given. */
  description: string | null
  created_at: string
  updated_at: string
}

export interface NewWebhook {
  url: string
  event_types: readonly string[]
  secret: string
  description?: string | null
}

export interface WebhookPatch {
  url?: string
  event_types?: readonly string[]
  disabled?: boolean
  /** null (or an empty string, which the caller turns into null) clears it. */
  description?: string | null
}

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed'

export interface DeliveryAttempt {
  attempted_at: string
  duration_ms: number
  /** Null when no response arrived (timeout, refused connection, refused target). */
  status_code: number | null
  error: string | null
  /** The first 4 KB of the response body. */
  response_body: string | null
}

export interface Delivery {
  delivery_id: string
  webhook_id: string
  event_id: string
  event_type: string
  status: DeliveryStatus
  attempt_count: number
  /** Null when the delivery is done, or waits for its disabled webhook to be enabled. */
  next_attempt_at: string | null
  last_error: string | null
  created_at: string
  completed_at: string | null
  /** Set when a recovery queued this delivery. */
  recovery_id: string | null
  /** A test delivery (webhooks/send_test_event): its body is a sample event, in no event log. */
  is_test_event: boolean
  attempts: DeliveryAttempt[]
}

/** One delivery with what it sends: the body exactly as sent, and the webhook's signing state. */
export interface DeliveryWithBody {
  delivery: Delivery
  /** The request body of every attempt; null when the event is no longer stored. */
  body: string | null
}

/** What happened to a webhook's deliveries lately: the console's webhook list. */
export interface WebhookDeliveryStats {
  webhook_id: string
  /** Attempts made at or after `since`, and how many of them got a 2xx. */
  attempts: number
  successful_attempts: number
  /** Deliveries waiting for an attempt, and those that gave up, now. */
  pending_deliveries: number
  failed_deliveries: number
  /** The webhook's newest delivery, with its latest attempt; null when it has none. */
  last_delivery: {
    delivery_id: string
    event_type: string
    status: DeliveryStatus
    created_at: string
    last_attempt_at: string | null
    last_status_code: number | null
  } | null
}

/** A test delivery to queue: the sample event is built by the caller. */
export interface NewTestDelivery {
  webhook_id: string
  event_id: string
  event_type: string
  event_json: string
}

export interface RetriedDeliveries {
  /** Failed deliveries made due again by this call. */
  retried: number
  /** Failed deliveries (completed before the bound) still left to retry. */
  remaining: number
}

export interface DeliveryListQuery {
  webhook_id?: string
  event_id?: string
  status?: DeliveryStatus
  /** Inclusive lower bound on the delivery's created_at. */
  created_at_min?: string
  /** Only deliveries queued before this one (cursor paging, newest first). */
  before_delivery_id?: string
  limit: number
}

export interface DeliveryPage {
  deliveries: Delivery[]
  /** The last delivery of this page when there is a next page. */
  next_before_delivery_id: string | null
}

export interface Recovery {
  recovery_id: string
  webhook_id: string
  since: string
  until: string
  status: 'running' | 'completed'
  /** Events of the workspace in the window, counted when the recovery was created. */
  events_total: number
  events_scanned: number
  deliveries_queued: number
  /** Where the queued deliveries are now. */
  deliveries: Record<DeliveryStatus, number>
  created_at: string
  completed_at: string | null
}

export interface NewRecovery {
  webhook_id: string
  /** Inclusive. */
  since: string
  /** Exclusive. */
  until: string
}

/** A delivery a worker holds under a lease, with everything needed to send it. */
export interface ClaimedDelivery {
  delivery_id: string
  workspace_id: string
  webhook_id: string
  event_id: string
  claim_token: string
  /** Attempts so far in the current round (the automatic schedule, or one manual retry). */
  round_attempts: number
  manual_retry: boolean
  url: string
  /** Current secret first, then a rotated-out secret that has not expired yet. */
  secrets: string[]
  /** The event exactly as events/list shows it; null if it is no longer stored. */
  event_json: string | null
}

export interface DeliveryClaim {
  limit: number
  leaseMs: number
  /**
   * Deliveries this worker holds per webhook (in flight, or claimed and waiting for a slot);
   * none is claimed past the limit.
   */
  inFlightByWebhook: ReadonlyMap<string, number>
  perWebhookLimit: number
}

export type ReleasedDelivery = Pick<ClaimedDelivery, 'delivery_id' | 'workspace_id' | 'claim_token'>

/** What a worker knows of an attempt that the outcome's decision needs. */
export interface AttemptFacts {
  /** Attempts so far in the current round, this one included. */
  round_attempts: number
  manual_retry: boolean
  /** The wait a 429 or 503 asked for, if it said. */
  retry_after_ms: number | null
  /** False when trying again cannot help (the event is no longer stored). */
  retriable: boolean
}

export interface DeliveryOutcome {
  delivery_id: string
  workspace_id: string
  webhook_id: string
  claim_token: string
  attempt: DeliveryAttempt
  facts: AttemptFacts
}

/** A webhook's state as an outcome's decision reads it. */
export interface WebhookHealth {
  failing_since: string | null
  disabled: boolean
}

/** What an outcome does: the store applies it, and decides none of it. */
export interface OutcomeDecision {
  delivery:
    | { kind: 'succeeded' }
    | { kind: 'failed' }
    /** null parks the delivery until its (disabled) webhook is enabled. */
    | { kind: 'retry'; next_attempt_at: number | null }
  webhook: {
    failing_since: string | null
    /** Disables the webhook, with this reason. */
    disable: 'gone' | 'failing' | null
  }
}

export type DecideOutcome = (outcome: DeliveryOutcome, webhook: WebhookHealth) => OutcomeDecision

export interface WebhookStore {
  /** Undefined, and nothing created, when the workspace already has `maxWebhooks` webhooks. */
  createWebhook(workspaceId: string, webhook: NewWebhook, maxWebhooks: number): Promise<Webhook | undefined>
  listWebhooks(workspaceId: string): Promise<Webhook[]>
  getWebhook(workspaceId: string, webhookId: string): Promise<Webhook | undefined>
  /** Disabling parks the webhook's pending deliveries; enabling makes them due at once. */
  updateWebhook(
    workspaceId: string,
    webhookId: string,
    patch: WebhookPatch,
  ): Promise<Webhook | undefined>
  /** Deletes the webhook with its deliveries, attempts and recoveries. */
  deleteWebhook(workspaceId: string, webhookId: string): Promise<boolean>
  rotateWebhookSecret(
    workspaceId: string,
    webhookId: string,
    secret: string,
    previousSecretExpiresAt: string,
  ): Promise<Webhook | undefined>

  listDeliveries(workspaceId: string, query: DeliveryListQuery): Promise<DeliveryPage>
  /** Makes one more attempt due now; if it fails, the delivery is failed again. */
  retryDelivery(workspaceId: string, deliveryId: string): Promise<Delivery | undefined>
  /** One delivery with the body its attempts send. */
  getDelivery(workspaceId: string, deliveryId: string): Promise<DeliveryWithBody | undefined>
  /**
   * Retries (as retryDelivery) up to `limit` of the webhook's failed deliveries that failed
   * before `failedBefore`, oldest first; undefined when the workspace has no such webhook. The
   * bound keeps a delivery that fails again from being picked again by the next batch.
   */
  retryFailedDeliveries(
    workspaceId: string,
    webhookId: string,
    failedBefore: string,
    limit: number,
  ): Promise<RetriedDeliveries | undefined>
  /** Queues a test delivery, due at once (parked if the webhook is disabled). */
  createTestDelivery(workspaceId: string, delivery: NewTestDelivery): Promise<Delivery | undefined>
  /** For each of these webhooks of the workspace: its attempts since `since`, counts and newest delivery. */
  webhookDeliveryStats(
    workspaceId: string,
    webhookIds: readonly string[],
    since: string,
  ): Promise<Map<string, WebhookDeliveryStats>>

  /** Undefined when the workspace has no such webhook. */
  createRecovery(workspaceId: string, recovery: NewRecovery): Promise<Recovery | undefined>
  getRecovery(workspaceId: string, recoveryId: string): Promise<Recovery | undefined>
}

/**
 * The worker's side of the outbox. A worker serves every workspace, so these methods are not
 * scoped by one; each row they touch carries its workspace, and every write names it.
 */
export interface DeliveryQueue {
  /** Claims due deliveries: each becomes invisible to other workers until its lease ends. */
  claimDueDeliveries(claim: DeliveryClaim): Promise<ClaimedDelivery[]>
  /**
   * Records each attempt and applies what `decide` makes of it, given the webhook's state; a
   * lost lease (another worker holds the delivery now) only records the attempt.
   */
  recordDeliveryOutcomes(outcomes: readonly DeliveryOutcome[], decide: DecideOutcome): Promise<void>
  /**
   * Gives back claimed deliveries that were never sent (a stopping worker's, or ones whose lease
   * ran too short to send them in): due again at once, for any worker. Leases since lost are
   * left alone.
   */
  releaseDeliveries(released: readonly ReleasedDelivery[]): Promise<void>
  /**
   * When the next pending delivery of a webhook not in `excludedWebhookIds` falls due (ms since
   * epoch), or null when none is scheduled. The worker excludes the webhooks at their
   * concurrency limit: their due backlog is not work it can start. Fan-out rows still waiting
   * (outbox.ts) count as due shortly: the next claim turns them into deliveries.
   */
  nextDeliveryDueAt(excludedWebhookIds: readonly string[]): Promise<number | null>
  /**
   * Calls `listener` whenever another process may have made deliveries due (PostgreSQL's
   * LISTEN/NOTIFY), so that idle workers start at once instead of at their next poll; resolves
   * to a function that stops listening. A store without such signals never calls it.
   */
  watchDeliveries(listener: () => void): Promise<() => Promise<void>>
  /** Queues the deliveries of up to `batchSize` events of a running recovery; false when none runs. */
  advanceRecovery(batchSize: number): Promise<boolean>
  /**
   * Makes every delivery the workspace's publishes still owe (outbox.ts), at once, waiting for a
   * worker fanning one of them out: before deliveries are read, so that they list as if made in
   * the publish, with a worker running or not.
   */
  fanOutWorkspace(workspaceId: string): Promise<void>
  /**
   * For /metrics, an operator's view across every workspace: per webhook with deliveries due
   * at `now` (pending, and due; neither claimed under a lease nor parked), how many and when
   * the oldest fell due. One grouped query; webhooks with none due are left out.
   */
  countDueDeliveriesByWebhook(now: number): Promise<DueDeliveries[]>
}

export interface DueDeliveries {
  workspace_id: string
  webhook_id: string
  due: number
  /** When the oldest of them fell due (its next_attempt_at, ms since epoch). */
  oldest_due_at: number
}

// ---------------------------------------------------------------------------------------------
// Retention: removing what workspaces no longer keep, one UTC day at a time.

/** A stored event as the retention pass exports it. */
export interface RetainedEvent {
  created_at: string
  seq: number
  json: string
}

/**
 * The retention pass's side of the store. Days are UTC dates (`YYYY-MM-DD`); an event belongs
 * to the day of its created_at. A past day never gains events (created_at is the time of
 * storing), which is what makes "export the day, then remove it" safe to repeat after a crash.
 */
export interface EventRetentionStore {
  /**
   * The day of the oldest event still stored (on PostgreSQL, the oldest day table, attached or
   * left detached by an interrupted pass), or null.
   */
  oldestEventDay(): Promise<string | null>
  /** A page of one workspace's events of one day, oldest first, after `after` (exclusive). */
  readEventsOfDay(
    workspaceId: string,
    day: string,
    after: RetainedEvent | null,
    limit: number,
  ): Promise<RetainedEvent[]>
  /** Removes one workspace's events of one day, with their finished deliveries; the count. */
  removeEventsOfDay(workspaceId: string, day: string): Promise<number>
  /**
   * Removes every workspace's events of one day at once: on PostgreSQL, the day's partition is
   * detached and dropped instead of deleting rows. The count removed.
   */
  removeDay(day: string): Promise<number>
  /** Makes room for the events of these days ahead of time (PostgreSQL creates partitions). */
  prepareEventDays(days: readonly string[]): Promise<void>
  /**
   * Runs `pass` unless another process is running one (then resolves to undefined), so that
   * exports are written once and removals do not race.
   */
  withRetentionLock<T>(pass: () => Promise<T>): Promise<T | undefined>
}

// ---------------------------------------------------------------------------------------------
// A whole installation's rows, for `seam-events copy` to another database: what the API never
// shows (key hashes, webhook secrets, the outbox's rows) kept as they are, so that the same
// tokens authenticate and the same secrets sign on the copy. Events go through insertEvents
// (history); these are the other tables.

/** An API key as stored: with the hash its token is authenticated by. */
export interface ApiKeyRow extends ApiKey {
  token_hash: string
}

/** A webhook as stored: `event_types` is its JSON text. */
export interface WebhookRow extends Omit<Webhook, 'event_types'> {
  event_types: string
}

/** A workspace and what hangs off it, apart from its events and deliveries. */
export interface WorkspaceRows {
  workspace: Workspace
  api_keys: ApiKeyRow[]
  webhooks: WebhookRow[]
  /** Publishes whose deliveries no worker has made yet (outbox.ts), oldest first. */
  fanouts: FanoutRow[]
}

/** A fan-out row as stored, without its seq (the database's own). */
export interface FanoutRow {
  event_created_at: string
  events: string
  webhooks: string
  webhooks_done: number
  queued_at: number
}

/** A pending delivery as stored, with its attempts so far; no claim (a lease means nothing elsewhere). */
export interface PendingDeliveryRow {
  delivery_id: string
  webhook_id: string
  event_id: string
  event_type: string
  event_created_at: string | null
  /** The body of a test delivery (webhooks/send_test_event), which has no event in the log. */
  test_event_json: string | null
  attempt_count: number
  round_attempts: number
  manual_retry: boolean
  next_attempt_at: number | null
  last_error: string | null
  recovery_id: string | null
  created_at: string
  attempts: DeliveryAttempt[]
}

export interface InstallationRowCounts {
  api_keys: number
  webhooks: number
  pending_deliveries: number
  pending_fanouts: number
}

export interface InstallationRows {
  readWorkspaceRows(workspaceId: string): Promise<WorkspaceRows | undefined>
  /** Writes the workspace with its keys and webhooks, ids and all, in one transaction. */
  insertWorkspaceRows(workspaceId: string, rows: WorkspaceRows): Promise<void>
  /** Up to `limit` pending deliveries queued after the one at `after` (a position from the last page), oldest first. */
  readPendingDeliveries(
    workspaceId: string,
    after: number | null,
    limit: number,
  ): Promise<{ deliveries: PendingDeliveryRow[]; next: number | null }>
  /** Queues the deliveries as they were, with their attempts, in one transaction. */
  insertPendingDeliveries(workspaceId: string, deliveries: readonly PendingDeliveryRow[]): Promise<void>
  countWorkspaceRows(workspaceId: string): Promise<InstallationRowCounts>
}
