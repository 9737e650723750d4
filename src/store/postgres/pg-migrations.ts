import { backfillSnapshotListsSql, snapshotListBackfills } from '../snapshot-list-backfills.ts'
import { eventFilterColumns } from '../store.ts'

const snapshotListBackfill = backfillSnapshotListsSql(snapshotListBackfills[0]!, {
  absent: (field) => `(json::json -> '${field}') IS NULL`,
  withoutLastCharacter: 'left(json, -1)',
})

// Append only: a migration that has run on a user's database is never edited.
// The same tables as SQLite's, with the same text formats (ISO 8601 UTC with milliseconds for
// times, the event's JSON as text), so that both backends answer byte for byte alike.
// `json` is text, not jsonb: jsonb would reorder the keys of what events/list returns.
export const pgMigrations: readonly string[] = [
  `
  CREATE TABLE workspaces (
    workspace_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    seq BIGINT GENERATED ALWAYS AS IDENTITY
  );

  CREATE TABLE api_keys (
    api_key_id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (workspace_id),
    name TEXT NOT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('all', 'read', 'publish')),
    short_token TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    seq BIGINT GENERATED ALWAYS AS IDENTITY
  );
  CREATE INDEX api_keys_by_workspace ON api_keys (workspace_id, created_at, seq);

  -- seq is the insertion order: it breaks created_at ties and anchors page cursors.
  CREATE TABLE events (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (workspace_id),
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL,
    occurred_at TEXT NOT NULL,
    ${eventFilterColumns.map((column) => `${column} TEXT`).join(',\n    ')},
    json TEXT NOT NULL
  );
  CREATE UNIQUE INDEX events_by_event_id ON events (workspace_id, event_id);
  CREATE INDEX events_by_created_at ON events (workspace_id, created_at, seq);
  CREATE INDEX events_by_event_type ON events (workspace_id, event_type, created_at, seq);
  ${eventFilterColumns
    .map(
      (column) =>
        `CREATE INDEX events_by_${column} ON events (workspace_id, ${column}, created_at, seq)
         WHERE ${column} IS NOT NULL;`,
    )
    .join('\n  ')}

  CREATE TABLE webhooks (
    webhook_id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (workspace_id),
    url TEXT NOT NULL,
    event_types TEXT NOT NULL,
    secret TEXT NOT NULL,
    previous_secret TEXT,
    previous_secret_expires_at TEXT,
    disabled BOOLEAN NOT NULL DEFAULT false,
    disabled_reason TEXT,
    disabled_at TEXT,
    failing_since TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    seq BIGINT GENERATED ALWAYS AS IDENTITY
  );
  CREATE INDEX webhooks_by_workspace ON webhooks (workspace_id, created_at, seq);

  -- The outbox: one row per (event, webhook), written in the transaction that stores the
  -- event. next_attempt_at (ms since epoch) is both the schedule and the lease: a claim moves
  -- it to the lease's end, so a crashed worker's claims fall due again by themselves.
  -- It is NULL once the delivery is done, or while its webhook is disabled (parked).
  CREATE TABLE webhook_deliveries (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id TEXT NOT NULL UNIQUE,
    workspace_id TEXT NOT NULL,
    webhook_id TEXT NOT NULL REFERENCES webhooks (webhook_id) ON DELETE CASCADE,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempt_count INTEGER NOT NULL DEFAULT 0,
    round_attempts INTEGER NOT NULL DEFAULT 0,
    manual_retry BOOLEAN NOT NULL DEFAULT false,
    next_attempt_at BIGINT,
    claim_token TEXT,
    last_error TEXT,
    recovery_id TEXT,
    created_at TEXT NOT NULL,
    completed_at TEXT
  );
  CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, webhook_id)
    WHERE status = 'pending';
  CREATE INDEX webhook_deliveries_by_workspace ON webhook_deliveries (workspace_id, seq);
  CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, seq);
  CREATE INDEX webhook_deliveries_by_status ON webhook_deliveries (workspace_id, status, seq);
  CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries (workspace_id, event_id, seq);
  CREATE INDEX webhook_deliveries_by_recovery ON webhook_deliveries (recovery_id, status)
    WHERE recovery_id IS NOT NULL;

  CREATE TABLE webhook_delivery_attempts (
    attempt_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_seq BIGINT NOT NULL REFERENCES webhook_deliveries (seq) ON DELETE CASCADE,
    attempted_at TEXT NOT NULL,
    duration_ms INTEGER NOT NULL,
    status_code INTEGER,
    error TEXT,
    response_body TEXT
  );
  CREATE INDEX webhook_delivery_attempts_by_delivery
    ON webhook_delivery_attempts (delivery_seq, attempt_id);

  CREATE TABLE webhook_recoveries (
    recovery_id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    webhook_id TEXT NOT NULL REFERENCES webhooks (webhook_id) ON DELETE CASCADE,
    since TEXT NOT NULL,
    until TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'completed')),
    events_total INTEGER NOT NULL,
    events_scanned INTEGER NOT NULL DEFAULT 0,
    deliveries_queued INTEGER NOT NULL DEFAULT 0,
    cursor_created_at TEXT,
    cursor_seq BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    completed_at TEXT
  );
  CREATE INDEX webhook_recoveries_running ON webhook_recoveries (created_at)
    WHERE status = 'running';
  CREATE INDEX webhook_recoveries_by_webhook ON webhook_recoveries (webhook_id);
  `,
  // Events become a table partitioned by UTC day of created_at, so that retention drops a day's
  // partition instead of deleting its rows. The primary key of a partitioned table must hold
  // the partition key, so it is (workspace_id, created_at, seq), which is also the index every
  // `since` or `between` page walks; event_id can no longer be unique across partitions, and
  // is kept unique by the insert, which holds the workspace's lock. Existing rows move over.
  `
  ALTER TABLE workspaces ADD COLUMN event_retention_days INTEGER NOT NULL DEFAULT 30
    CHECK (event_retention_days BETWEEN 1 AND 3650);

  ALTER TABLE events RENAME TO events_unpartitioned;
  ALTER TABLE events_unpartitioned RENAME CONSTRAINT events_pkey TO events_unpartitioned_pkey;
  DROP INDEX events_by_event_id, events_by_created_at, events_by_event_type,
    ${eventFilterColumns.map((column) => `events_by_${column}`).join(', ')};

  CREATE SEQUENCE events_seq AS BIGINT;
  SELECT setval('events_seq', COALESCE((SELECT MAX(seq) FROM events_unpartitioned), 0) + 1, false);

  CREATE TABLE events (
    seq BIGINT NOT NULL DEFAULT nextval('events_seq'),
    workspace_id TEXT NOT NULL REFERENCES workspaces (workspace_id),
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL,
    occurred_at TEXT NOT NULL,
    ${eventFilterColumns.map((column) => `${column} TEXT`).join(',\n    ')},
    json TEXT NOT NULL,
    PRIMARY KEY (workspace_id, created_at, seq)
  ) PARTITION BY RANGE (created_at);
  ALTER SEQUENCE events_seq OWNED BY events.seq;

  -- created_at in the event_id index: a delivery's claim knows both, and matching all three
  -- columns keeps the planner on this index rather than on the primary key, whose
  -- (workspace_id, created_at) prefix matches a whole publish batch.
  CREATE INDEX events_by_event_id ON events (workspace_id, event_id, created_at);
  CREATE INDEX events_by_event_type ON events (workspace_id, event_type, created_at, seq);
  ${eventFilterColumns
    .map(
      (column) =>
        `CREATE INDEX events_by_${column} ON events (workspace_id, ${column}, created_at, seq)
         WHERE ${column} IS NOT NULL;`,
    )
    .join('\n  ')}

  DO $$
  DECLARE
    day DATE;
  BEGIN
    FOR day IN SELECT DISTINCT left(created_at, 10)::date FROM events_unpartitioned LOOP
      EXECUTE format(
        'CREATE TABLE %I PARTITION OF events FOR VALUES FROM (%L) TO (%L)',
        'events_' || to_char(day, 'YYYYMMDD'),
        to_char(day, 'YYYY-MM-DD'),
        to_char(day + 1, 'YYYY-MM-DD')
      );
    END LOOP;
  END
  $$;

  INSERT INTO events (seq, workspace_id, event_id, event_type, created_at, occurred_at,
      ${eventFilterColumns.join(', ')}, json)
    SELECT seq, workspace_id, event_id, event_type, created_at, occurred_at,
      ${eventFilterColumns.join(', ')}, json
    FROM events_unpartitioned;
  DROP TABLE events_unpartitioned;
  `,
  // A delivery carries its event's created_at, so that a claim loads the event from that day's
  // partition instead of probing every partition's event_id index. Deliveries queued before
  // learn it from their event; one whose event is gone keeps NULL and finds no event, as before.
  `
  ALTER TABLE webhook_deliveries ADD COLUMN event_created_at TEXT COLLATE "C";
  UPDATE webhook_deliveries d SET event_created_at = e.created_at
    FROM events e WHERE e.workspace_id = d.workspace_id AND e.event_id = d.event_id;
  `,
  // No foreign key from events to workspaces. Every partition inherited it, so attaching a day
  // took SHARE ROW EXCLUSIVE on workspaces and dropping a detached day took ACCESS EXCLUSIVE on
  // it: the retention pass then waited behind any open publish (which holds its workspace's
  // row) and every read and publish queued behind the pass. What the key guarded still holds
  // without it: a publish locks its workspace's row first and fails when there is none, and
  // workspaces are never deleted (no route, command or store method deletes one). Found by the
  // catalog, not by name (migration 2 made it while the old table's key held the plain name).
  // A day left detached by an interrupted retention pass has its own copy; it goes too.
  `
  DO $$
  DECLARE
    key RECORD;
  BEGIN
    FOR key IN
      SELECT n.nspname AS schema_name, c.relname AS table_name, k.conname AS constraint_name
      FROM pg_constraint k
        JOIN pg_class c ON c.oid = k.conrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE k.contype = 'f' AND k.confrelid = 'workspaces'::regclass AND k.conparentid = 0
        AND c.relnamespace = (SELECT relnamespace FROM pg_class WHERE oid = 'events'::regclass)
        AND (c.oid = 'events'::regclass OR (c.relname ~ '^events_[0-9]{8}$' AND NOT c.relispartition))
    LOOP
      EXECUTE format('ALTER TABLE %I.%I DROP CONSTRAINT %I', key.schema_name, key.table_name, key.constraint_name);
    END LOOP;
  END
  $$;
  `,
  // Events stored before @seamapi/types 1.977.0 required their types' snapshot lists get them
  // as [] (snapshot-list-backfills.ts), so that they validate against the schema SDK users parse with.
  snapshotListBackfill,
  // Version 6, the web console (issue 20): a webhook's description; the signed sample event of a
  // test delivery, which is in no event log (its event_id is in no events row); and attempts by
  // time, for a webhook's success rate over the last 24 hours.
  `
  ALTER TABLE webhooks ADD COLUMN description TEXT;
  ALTER TABLE webhook_deliveries ADD COLUMN test_event_json TEXT;
  CREATE INDEX webhook_delivery_attempts_by_time ON webhook_delivery_attempts (attempted_at);
  `,
  // Version 7, fan-out after the commit (issue 18): a publish writes one row for all its events
  // and the webhooks they may go to; workers turn it into deliveries (outbox.ts).
  `
  CREATE TABLE webhook_fanouts (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    event_created_at TEXT NOT NULL,
    events TEXT NOT NULL,
    webhooks TEXT NOT NULL,
    webhooks_done INTEGER NOT NULL DEFAULT 0,
    queued_at BIGINT NOT NULL
  );
  CREATE INDEX webhook_fanouts_by_workspace ON webhook_fanouts (workspace_id, seq);
  `,
]

/** The version of the snapshot-list backfill, which tests run again as on an upgrade. */
export const pgSnapshotListBackfillVersion = pgMigrations.indexOf(snapshotListBackfill) + 1
