// The tables of both backends, typed for Kysely: the shared queries are written once against
// these types, and rows come back with them. Both backends create the same columns with the same
// text formats (times as ISO 8601 UTC with milliseconds, events as their JSON text), except for
// what their engines do differently: booleans are 0/1 on SQLite (SqlBool), and the order rows were
// inserted in is SQLite's rowid where PostgreSQL has a `seq` column (see Dialect.insertionOrder),
// and SQLite's events table, which keys its rows leaner (see EventLayout).

import type { Generated, SqlBool } from 'kysely'

import type { ApiKeyScope, DeliveryStatus, EventFilterColumn } from './store.ts'

export interface WorkspacesTable {
  workspace_id: string
  /** SQLite only: the small integer its events are keyed by (sqlite-event-layout.ts). */
  workspace_key: Generated<number>
  name: string
  created_at: string
  event_retention_days: number
}

export interface ApiKeysTable {
  api_key_id: string
  workspace_id: string
  name: string
  scope: ApiKeyScope
  short_token: string
  token_hash: string
  created_at: string
  revoked_at: string | null
}

/**
 * Each filter column holds its field's value, or null where the event has none. The types are
 * the wire's; SQLite stores workspace, event_id, created_at and filter values leaner, so queries
 * compare and select them through the dialect's EventLayout (event-layout.ts), never directly.
 */
export type EventsTable = Record<EventFilterColumn, string | null> & {
  seq: Generated<number>
  /** PostgreSQL; SQLite has workspace_key instead. */
  workspace_id: string
  /** SQLite only: the workspaces row's workspace_key. */
  workspace_key: number
  event_id: string
  event_type: string
  created_at: string
  /** PostgreSQL only: on SQLite the event's JSON alone carries it. */
  occurred_at: string
  json: string
}

export interface WebhooksTable {
  webhook_id: string
  workspace_id: string
  url: string
  /** JSON array of types and patterns. */
  event_types: string
  secret: string
  previous_secret: string | null
  previous_secret_expires_at: string | null
  disabled: Generated<SqlBool>
  disabled_reason: string | null
  disabled_at: string | null
  failing_since: string | null
  /** Ours, optional: what the webhook is for, as its owner wrote it. */
  description: string | null
  created_at: string
  updated_at: string
}

export interface WebhookDeliveriesTable {
  seq: Generated<number>
  delivery_id: string
  workspace_id: string
  webhook_id: string
  event_id: string
  event_type: string
  /** Lets PostgreSQL read the event from its day's partition alone; null for old rows. */
  event_created_at: string | null
  status: DeliveryStatus
  attempt_count: Generated<number>
  round_attempts: Generated<number>
  manual_retry: Generated<SqlBool>
  /** Ms since the epoch: the schedule and the lease; null when done or parked. */
  next_attempt_at: number | null
  claim_token: string | null
  last_error: string | null
  recovery_id: string | null
  /** A test delivery's body (a sample event in no event log); null for every other delivery. */
  test_event_json: string | null
  created_at: string
  completed_at: string | null
}

export interface WebhookDeliveryAttemptsTable {
  attempt_id: Generated<number>
  delivery_seq: number
  attempted_at: string
  duration_ms: number
  status_code: number | null
  error: string | null
  response_body: string | null
}

export interface WebhookRecoveriesTable {
  recovery_id: string
  workspace_id: string
  webhook_id: string
  since: string
  until: string
  status: 'running' | 'completed'
  events_total: number
  events_scanned: Generated<number>
  deliveries_queued: Generated<number>
  cursor_created_at: string | null
  cursor_seq: Generated<number>
  created_at: string
  completed_at: string | null
}

/**
 * The outbox of publishes: one row per publish with webhooks to go to, written in the
 * transaction that stores its events; workers turn it into deliveries (outbox.ts).
 */
export interface WebhookFanoutsTable {
  seq: Generated<number>
  workspace_id: string
  /** The created_at its events share. */
  event_created_at: string
  /** JSON array of [event_id, event_type], in the order stored. */
  events: string
  /** JSON array of [webhook_id, event type patterns]: the enabled webhooks at the publish. */
  webhooks: string
  /** How many of `webhooks` have their deliveries already (a row is fanned out in steps). */
  webhooks_done: Generated<number>
  /** Ms since the epoch. */
  queued_at: number
}

export interface SchemaMigrationsTable {
  version: number
}

export interface Tables {
  workspaces: WorkspacesTable
  api_keys: ApiKeysTable
  events: EventsTable
  webhooks: WebhooksTable
  webhook_deliveries: WebhookDeliveriesTable
  webhook_delivery_attempts: WebhookDeliveryAttemptsTable
  webhook_recoveries: WebhookRecoveriesTable
  webhook_fanouts: WebhookFanoutsTable
  schema_migrations: SchemaMigrationsTable
}
