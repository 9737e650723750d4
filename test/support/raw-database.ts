// SQL straight on a test server's database, for what no route or store method may do: make the
// database look as if a migration had not run yet, as on a server being upgraded.

import pg from 'pg'

import { pgSnapshotListBackfillVersion } from '../../src/store/postgres/pg-migrations.ts'
import { sqliteSnapshotListBackfillVersion } from '../../src/store/sqlite/sqlite-migrations.ts'
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
  for (const undo of undoAfterBackfill) await runSql(server, undo)
  await runSql(server, `DELETE FROM schema_migrations WHERE version >= ${version}`)
}
