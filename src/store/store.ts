// The storage contract every backend implements (SQLite now, PostgreSQL next). Every method that
// touches a tenant's data takes the workspace id as its first argument, so no caller can forget
// the tenant filter. The store knows nothing of HTTP or of Seam's validation rules.

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

export interface Workspace {
  workspace_id: string
  name: string
  created_at: string
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
}

/** A stored event as it goes over the wire: `json` is exactly what events/list returns. */
export interface StoredEvent {
  event_id: string
  created_at: string
  json: string
}

/** A position in the newest-first order of a workspace's events: the event at it. */
export interface EventPosition {
  created_at: string
  event_id: string
}

export interface EventListQuery {
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
  /** Only events strictly older than this position (cursor paging). */
  before?: EventPosition
  offset: number
  limit: number
}

export interface EventPage {
  events: StoredEvent[]
  /** Where the next page starts, or null when this page is the last. */
  next: EventPosition | null
}

export interface EventLookup {
  event_id?: string
  device_id?: string
  event_type?: string
}

export interface EventStore {
  /** Creates or upgrades the schema; safe to call on every start. */
  migrate(): Promise<void>
  /** Throws when the database cannot answer. */
  ping(): Promise<void>
  close(): Promise<void>

  createWorkspace(name: string): Promise<Workspace>
  listWorkspaces(): Promise<Workspace[]>
  getWorkspace(workspaceId: string): Promise<Workspace | undefined>

  createApiKey(workspaceId: string, key: NewApiKey): Promise<ApiKey>
  listApiKeys(workspaceId: string): Promise<ApiKey[]>
  /** Operator action by globally unique key id; returns the key, or undefined if unknown. */
  revokeApiKey(apiKeyId: string): Promise<ApiKey | undefined>
  /** Authentication: the key (revoked or not) whose token hashes to `tokenHash`. */
  findApiKeyByTokenHash(tokenHash: string): Promise<ApiKey | undefined>

  /**
   * Stores the drafts in one transaction, all or nothing, and returns them as stored, in the
   * same order. A draft whose event_id the workspace already has is not stored again: the
   * stored event is returned in its place.
   */
  insertEvents(workspaceId: string, drafts: readonly EventDraft[]): Promise<StoredEvent[]>
  /** Newest first: created_at descending, ties broken by insertion order. */
  listEvents(workspaceId: string, query: EventListQuery): Promise<EventPage>
  /** The newest event matching every given field. */
  findEvent(workspaceId: string, lookup: EventLookup): Promise<StoredEvent | undefined>
}
