import { backfillSnapshotListsSql, snapshotListBackfills } from '../snapshot-list-backfills.ts'
import { eventFilterColumns } from '../store.ts'
import { storedIdSql, storedTimeSql } from './sqlite-event-layout.ts'

const snapshotListBackfill = backfillSnapshotListsSql(snapshotListBackfills[0]!, {
  absent: (field) => `json_type(json, '$.${field}') IS NULL`,
  withoutLastCharacter: 'substr(json, 1, length(json) - 1)',
})

// Append only: a migration that has run on a user's database is never edited.
export const sqliteMigrations: readonly string[] = [
  `
  CREATE TABLE workspaces (
    workspace_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
  );

  CREATE TABLE api_keys (
    api_key_id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (workspace_id),
    name TEXT NOT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('all', 'read', 'publish')),
    short_token TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
  );
  CREATE INDEX api_keys_by_workspace ON api_keys (workspace_id, created_at);

  -- seq is the insertion order: it breaks created_at ties and anchors page cursors.
  -- AUTOINCREMENT so that a seq is never reused, even after retention deletes rows.
  CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id TEXT NOT NULL REFERENCES workspaces (workspace_id),
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    created_at TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    ${eventFilterColumns.map((column) => `${column} TEXT`).join(',\n    ')},
    json TEXT NOT NULL
  );
  CREATE UNIQUE INDEX events_by_event_id ON events (workspace_id, event_id);
  CREATE INDEX events_by_created_at ON events (workspace_id, created_at);
  CREATE INDEX events_by_event_type ON events (workspace_id, event_type, created_at);
  ${eventFilterColumns
    .map(
      // Partial indexes: an event only pays for the indexes of the fields it carries.
      (column) =>
        `CREATE INDEX events_by_${column} ON events (workspace_id, ${column}, created_at)
         WHERE ${column} IS NOT NULL;`,
    )
    .join('\n  ')}
  `,
  `
  CREATE TABLE webhooks (
    webhook_id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (workspace_id),
    url TEXT NOT NULL,
    event_types TEXT NOT NULL,
    secret TEXT NOT NULL,
    previous_secret TEXT,
    previous_secret_expires_at TEXT,
    disabled INTEGER NOT NULL DEFAULT 0,
    disabled_reason TEXT,
    disabled_at TEXT,
    failing_since TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX webhooks_by_workspace ON webhooks (workspace_id, created_at);

  -- The outbox: one row per (event, webhook), written in the transaction that stores the
  -- event. next_attempt_at (ms since epoch) is both the schedule and the lease: a claim moves
  -- it to the lease's end, so a crashed worker's claims fall due again by themselves.
  -- It is NULL once the delivery is done, or while its webhook is disabled (parked).
  CREATE TABLE webhook_deliveries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id TEXT NOT NULL UNIQUE,
    workspace_id TEXT NOT NULL,
    webhook_id TEXT NOT NULL REFERENCES webhooks (webhook_id) ON DELETE CASCADE,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempt_count INTEGER NOT NULL DEFAULT 0,
    round_attempts INTEGER NOT NULL DEFAULT 0,
    manual_retry INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
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
    attempt_id INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_seq INTEGER NOT NULL REFERENCES webhook_deliveries (seq) ON DELETE CASCADE,
    attempted_at TEXT NOT NULL,
    duration_ms INTEGER NOT NULL,
    status_code INTEGER,
    error TEXT,
    response_body TEXT
  );
  CREATE INDEX webhook_delivery_attempts_by_delivery
    ON webhook_delivery_attempts (delivery_seq, attempt_id);

  -- A recovery walks the window in created_at order; its cursor is saved with each batch of
  -- deliveries it queues, so a restart resumes it without gaps or repeats.
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
    cursor_seq INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    completed_at TEXT
  );
  CREATE INDEX webhook_recoveries_running ON webhook_recoveries (created_at)
    WHERE status = 'running';
  CREATE INDEX webhook_recoveries_by_webhook ON webhook_recoveries (webhook_id);
  `,
  `
  -- The literals are the defaults of store.ts at the time: a migration never changes.
  ALTER TABLE workspaces ADD COLUMN event_retention_days INTEGER NOT NULL DEFAULT 30
    CHECK (event_retention_days BETWEEN 1 AND 3650);

  -- At most one retention pass at a time, across every process on the database file. A crashed
  -- holder's lease runs out by itself.
  CREATE TABLE maintenance_leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  );
  `,
  // A delivery carries its event's created_at, as on PostgreSQL, so that both backends queue
  // deliveries with the same statement; those queued before keep NULL (SQLite finds their event
  // by event_id alone).
  `ALTER TABLE webhook_deliveries ADD COLUMN event_created_at TEXT;`,
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
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id TEXT NOT NULL,
    event_created_at TEXT NOT NULL,
    events TEXT NOT NULL,
    webhooks TEXT NOT NULL,
    webhooks_done INTEGER NOT NULL DEFAULT 0,
    queued_at INTEGER NOT NULL
  );
  CREATE INDEX webhook_fanouts_by_workspace ON webhook_fanouts (workspace_id, seq);
  `,
  // Version 8, the lean event layout (issue 17, sqlite-event-layout.ts): the events table is
  // rebuilt with integer workspace keys and times and 16-byte ids, in this one transaction (an
  // interrupted run leaves the database as it was, and runs again whole on the next start). Rows
  // keep their seq, and the table its AUTOINCREMENT counter, so no seq is ever reused. An event
  // whose workspace, id or time cannot be converted fails a NOT NULL constraint: the migration
  // stops rather than drop it.
  `
  ALTER TABLE workspaces ADD COLUMN workspace_key INTEGER;
  UPDATE workspaces SET workspace_key = rowid;
  CREATE UNIQUE INDEX workspaces_by_key ON workspaces (workspace_key);
  -- Workspaces are never deleted, so max + 1 is never a key that events still carry.
  CREATE TRIGGER workspaces_key_on_insert AFTER INSERT ON workspaces WHEN NEW.workspace_key IS NULL
  BEGIN
    UPDATE workspaces SET workspace_key = (SELECT coalesce(max(workspace_key), 0) + 1 FROM workspaces)
    WHERE rowid = NEW.rowid;
  END;

  CREATE TABLE lean_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_key INTEGER NOT NULL REFERENCES workspaces (workspace_key),
    -- 16 bytes (storedId)
    event_id BLOB NOT NULL,
    event_type TEXT NOT NULL,
    -- milliseconds since the epoch
    created_at INTEGER NOT NULL,
    -- each a UUID's 16 bytes, or the value's text (storedId)
    ${eventFilterColumns.join(',\n    ')},
    json TEXT NOT NULL
  );
  INSERT INTO lean_events (seq, workspace_key, event_id, event_type, created_at, ${eventFilterColumns.join(', ')}, json)
  SELECT e.seq, w.workspace_key, ${storedIdSql('e.event_id')}, e.event_type, ${storedTimeSql('e.created_at')},
    ${eventFilterColumns.map((column) => storedIdSql(`e.${column}`)).join(',\n    ')},
    e.json
  FROM events e LEFT JOIN workspaces w ON w.workspace_id = e.workspace_id
  ORDER BY e.seq;
  UPDATE sqlite_sequence SET seq = max(seq, (SELECT seq FROM sqlite_sequence WHERE name = 'events')) WHERE name = 'lean_events';
  INSERT INTO sqlite_sequence (name, seq)
  SELECT 'lean_events', seq FROM sqlite_sequence
  WHERE name = 'events' AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'lean_events');
  DROP TABLE events;
  ALTER TABLE lean_events RENAME TO events;

  CREATE UNIQUE INDEX events_by_event_id ON events (workspace_key, event_id);
  CREATE INDEX events_by_created_at ON events (workspace_key, created_at);
  CREATE INDEX events_by_event_type ON events (workspace_key, event_type, created_at);
  ${eventFilterColumns
    .map(
      (column) =>
        `CREATE INDEX events_by_${column} ON events (workspace_key, ${column}, created_at)
         WHERE ${column} IS NOT NULL;`,
    )
    .join('\n  ')}
  `,
]

/** The version of the snapshot-list backfill, which tests run again as on an upgrade. */
export const sqliteSnapshotListBackfillVersion = sqliteMigrations.indexOf(snapshotListBackfill) + 1
