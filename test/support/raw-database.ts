// SQL straight on a test server's database, for what no route or store method may do: make the
// database look as if a migration had not run yet, as on a server being upgraded.

import pg from 'pg'

import { pgSnapshotListBackfillVersion } from '../../src/store/postgres/pg-migrations.ts'
import { sqliteSnapshotListBackfillVersion } from '../../src/store/sqlite/sqlite-migrations.ts'
import { eventFilterColumns } from '../../src/store/store.ts'
import { writeBesideServer } from './sqlite-beside-server.ts'
import type { TestServer } from './test-server.ts'

export async function runSql(server: TestServer, statement: string): Promise<void> {
  if (server.backend === 'sqlite') {
    await writeBesideServer(server.databaseUrl, (db) => db.exec(statement))
    return
  }
  const client = new pg.Client({ connectionString: server.databaseUrl })
  await client.connect()
  try {
    await client.query(statement)
  } finally {
    await client.end()
  }
}

/** SQL: the text of a stored id (storedId undone: 16 bytes as a lowercase UUID, a text as it is). */
function idTextSql(column: string): string {
  const hex = `lower(hex(${column}))`
  return `CASE WHEN typeof(${column}) = 'blob' THEN substr(${hex}, 1, 8) || '-' || substr(${hex}, 9, 4) || '-' || substr(${hex}, 13, 4) || '-' || substr(${hex}, 17, 4) || '-' || substr(${hex}, 21) ELSE ${column} END`
}

/** SQL: the ISO 8601 text (UTC, milliseconds) of a stored created_at. */
function isoTimeSql(column: string): string {
  return `strftime('%Y-%m-%dT%H:%M:%fZ', ${column} / 1000.0, 'unixepoch')`
}

/**
 * SQLite's version 8, the lean event layout (sqlite-event-layout.ts), undone: the events table as
 * the versions before made it, each row converted back (occurred_at from its JSON).
 */
const undoSqliteLeanLayout = `
  CREATE TABLE text_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id TEXT NOT NULL REFERENCES workspaces (workspace_id),
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    created_at TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    ${eventFilterColumns.map((column) => `${column} TEXT`).join(',\n    ')},
    json TEXT NOT NULL
  );
  INSERT INTO text_events (seq, workspace_id, event_id, event_type, created_at, occurred_at, ${eventFilterColumns.join(', ')}, json)
  SELECT e.seq, w.workspace_id, ${idTextSql('e.event_id')}, e.event_type, ${isoTimeSql('e.created_at')}, e.json ->> '$.occurred_at',
    ${eventFilterColumns.map((column) => idTextSql(`e.${column}`)).join(', ')}, e.json
  FROM events e JOIN workspaces w ON w.workspace_key = e.workspace_key ORDER BY e.seq;
  DROP TABLE events;
  ALTER TABLE text_events RENAME TO events;
  CREATE UNIQUE INDEX events_by_event_id ON events (workspace_id, event_id);
  CREATE INDEX events_by_created_at ON events (workspace_id, created_at);
  CREATE INDEX events_by_event_type ON events (workspace_id, event_type, created_at);
  ${eventFilterColumns.map((column) => `CREATE INDEX events_by_${column} ON events (workspace_id, ${column}, created_at) WHERE ${column} IS NOT NULL;`).join('\n  ')}
  DROP TRIGGER workspaces_key_on_insert;
  DROP INDEX workspaces_by_key;
  ALTER TABLE workspaces DROP COLUMN workspace_key;`

/**
 * What each migration after the snapshot-list backfill made, undone (the same on both backends),
 * newest first, so that the database is as it was before the backfill and the next migrate can
 * run them all again. A migration added after the backfill adds its undo here.
 */
const undoAfterBackfill: readonly string[] = [
  // Version 7, fan-out after the commit (issue 18).
  'DROP TABLE webhook_fanouts;',
  // Version 6, the web console (issue 20).
  `DROP INDEX webhook_delivery_attempts_by_time;
   ALTER TABLE webhook_deliveries DROP COLUMN test_event_json;
   ALTER TABLE webhooks DROP COLUMN description;`,
]

/**
 * Forgets that the snapshot-list backfill and the migrations after it ran, so that the next
 * `store.migrate()` runs them again, as on a server being upgraded.
 */
export async function forgetSnapshotListBackfill(server: TestServer): Promise<void> {
  const version = server.backend === 'sqlite' ? sqliteSnapshotListBackfillVersion : pgSnapshotListBackfillVersion
  if (server.backend === 'sqlite') await runSql(server, undoSqliteLeanLayout)
  for (const undo of undoAfterBackfill) await runSql(server, undo)
  await runSql(server, `DELETE FROM schema_migrations WHERE version >= ${version}`)
}
