// The storage ceiling of ingest: rows the service stored, inserted again straight into a fresh
// database of the same schema by the driver, in one process, with no HTTP, no validation and no
// JSON building, in transactions of the same size as the publishes.

import Database from 'better-sqlite3'
import pg from 'pg'

import { openStore } from '../../src/store/open-store.ts'
import { applyCheckpointSettings } from '../../src/store/sqlite/sqlite-connection.ts'
import { utcDay, nextDay } from '../../src/store/utc-days.ts'
import type { BenchDatabase } from '../lib/processes.ts'

type Row = Record<string, unknown>

/** Every column but the sequence number, in insertion order. */
export async function readStoredRows(database: BenchDatabase, limit: number): Promise<Row[]> {
  if (database.backend === 'sqlite') {
    const db = new Database(database.url.slice('sqlite:'.length), { readonly: true })
    try {
      const rows = db.prepare('SELECT * FROM events ORDER BY seq LIMIT ?').all(limit) as Row[]
      for (const row of rows) delete row['seq']
      return rows
    } finally {
      db.close()
    }
  }
  const client = new pg.Client({ connectionString: database.url })
  await client.connect()
  try {
    const { rows } = await client.query<Row>('SELECT * FROM events ORDER BY created_at, seq LIMIT $1', [limit])
    for (const row of rows) delete row['seq']
    return rows
  } finally {
    await client.end()
  }
}

/**
 * Inserts `rows` into `database` (migrated, with `workspaceId`) in transactions of
 * `transactionSize`, with the durability the service uses; returns rows per second.
 */
export async function insertDirectly(
  database: BenchDatabase,
  workspaceId: string,
  rows: readonly Row[],
  transactionSize: number,
  { withoutSecondaryIndexes = false }: { withoutSecondaryIndexes?: boolean } = {},
): Promise<number> {
  const columns = Object.keys(rows[0] as Row)
  let ownRows: Row[] = rows.map((row) => ({ ...row, workspace_id: workspaceId }))
  if (database.backend === 'sqlite') {
    const db = new Database(database.url.slice('sqlite:'.length))
    // The lean layout keys rows by the workspace's integer (sqlite-event-layout.ts).
    if (columns.includes('workspace_key')) {
      const workspaceKey = db.prepare('SELECT workspace_key FROM workspaces WHERE workspace_id = ?').pluck().get(workspaceId)
      ownRows = rows.map((row) => ({ ...row, workspace_key: workspaceKey }))
    }
    // The writer's settings (src/store/sqlite/sqlite-connection.ts).
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = FULL')
    applyCheckpointSettings(db)
    try {
      if (withoutSecondaryIndexes) {
        // The table alone: what the rows cost without the indexes that find them again.
        const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' AND sql IS NOT NULL").all() as { name: string }[]
        for (const { name } of indexes) db.exec(`DROP INDEX "${name}"`)
      }
      const insert = db.prepare(
        `INSERT INTO events (${columns.join(', ')}) VALUES (${columns.map((column) => `@${column}`).join(', ')})`,
      )
      const insertAll = db.transaction((batch: readonly Row[]) => {
        for (const row of batch) insert.run(row)
      })
      const started = performance.now()
      for (let first = 0; first < ownRows.length; first += transactionSize) {
        insertAll(ownRows.slice(first, first + transactionSize))
      }
      return ownRows.length / ((performance.now() - started) / 1000)
    } finally {
      db.close()
    }
  }
  // Today's partition (and tomorrow's) exist once the store has migrated.
  const store = await openStore(database.url)
  await store.retention.prepareEventDays([utcDay(Date.now()), nextDay(utcDay(Date.now()))])
  await store.close()
  const client = new pg.Client({ connectionString: database.url })
  await client.connect()
  try {
    if (withoutSecondaryIndexes) {
      const { rows: indexes } = await client.query<{ name: string }>(
        `SELECT indexrelid::regclass::text AS name FROM pg_index WHERE indrelid = 'events'::regclass AND NOT indisprimary`,
      )
      for (const { name } of indexes) await client.query(`DROP INDEX ${name}`)
    }
    const started = performance.now()
    for (let first = 0; first < ownRows.length; first += transactionSize) {
      const batch = ownRows.slice(first, first + transactionSize)
      // One statement per transaction, a parameter array per column: what a bulk loader sends.
      await client.query(
        `INSERT INTO events (${columns.join(', ')})
         SELECT * FROM UNNEST(${columns.map((_, index) => `$${index + 1}::text[]`).join(', ')})`,
        columns.map((column) => batch.map((row) => row[column] ?? null)),
      )
    }
    return ownRows.length / ((performance.now() - started) / 1000)
  } finally {
    await client.end()
  }
}
