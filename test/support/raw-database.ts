// SQL straight on a test server's database, for what no route or store method may do: make the
// database look as if a migration had not run yet, as on a server being upgraded.

import Database from 'better-sqlite3'
import pg from 'pg'

import { pgSnapshotListBackfillVersion } from '../../src/store/postgres/pg-migrations.ts'
import { sqliteSnapshotListBackfillVersion } from '../../src/store/sqlite/sqlite-migrations.ts'
import type { TestServer } from './test-server.ts'

export async function runSql(server: TestServer, statement: string): Promise<void> {
  if (server.backend === 'sqlite') {
    // The server's writer thread may be in a transaction: wait for it, as the server's own
    // connections do.
    const db = new Database(server.databaseUrl.replace(/^sqlite:/, ''), { timeout: 5000 })
    try {
      db.exec(statement)
    } finally {
      db.close()
    }
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
 * Forgets that the snapshot-list backfill and the migrations after it ran, so that the next
 * `store.migrate()` runs them again, as on a server being upgraded.
 */
export async function forgetSnapshotListBackfill(server: TestServer): Promise<void> {
  const version = server.backend === 'sqlite' ? sqliteSnapshotListBackfillVersion : pgSnapshotListBackfillVersion
  await runSql(server, `DELETE FROM schema_migrations WHERE version >= ${version}`)
}
