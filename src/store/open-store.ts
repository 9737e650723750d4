import { PgStore } from './postgres/pg-store.ts'
import { SqliteStore } from './sqlite/sqlite-store.ts'
import type { EventStore } from './store.ts'

export class UnsupportedDatabaseUrlError extends Error {}

/**
 * `postgres://...` (or `postgresql://`) selects PostgreSQL; `sqlite:PATH`, `sqlite://PATH` or a
 * plain path selects the embedded SQLite backend.
 * The schema is created or upgraded before the store is returned, so every command works on
 * a new, empty database.
 */
export async function openStore(databaseUrl: string): Promise<EventStore> {
  const store = createStore(databaseUrl)
  try {
    await store.migrate()
  } catch (error) {
    await store.close()
    throw error
  }
  return store
}

function createStore(databaseUrl: string): EventStore {
  if (/^postgres(ql)?:\/\//i.test(databaseUrl)) return new PgStore(databaseUrl)
  const sqlitePath = databaseUrl.replace(/^sqlite:(\/\/)?/i, '')
  if (sqlitePath === '') throw new UnsupportedDatabaseUrlError('the SQLite path is empty')
  return new SqliteStore({ path: sqlitePath })
}
