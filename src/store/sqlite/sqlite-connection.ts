// One connection to the database file, as a thread of the SQLite backend opens it: the writer,
// or a reader. Used inside the threads only (sqlite-thread.ts), and once on the main thread to
// check that the file can be opened before any thread starts.

import Database from 'better-sqlite3'

export type ConnectionRole = 'writer' | 'reader'

export function openConnection(path: string, role: ConnectionRole): Database.Database {
  const db = new Database(path)
  db.pragma('busy_timeout = 5000')
  if (role === 'writer') {
    db.pragma('journal_mode = WAL')
    // FULL: a publish is acknowledged only once its transaction is on disk, so an acknowledged
    // event survives a power loss, not only a process crash.
    db.pragma('synchronous = FULL')
    db.pragma('foreign_keys = ON')
  } else {
    db.pragma('query_only = ON')
  }
  return db
}

/** Statements prepared once per SQL text; the cap keeps odd callers from growing it forever. */
export class StatementCache {
  readonly #statements = new Map<string, Database.Statement>()
  constructor(readonly db: Database.Database) {}

  get(sql: string): Database.Statement {
    let statement = this.#statements.get(sql)
    if (statement === undefined) {
      if (this.#statements.size >= 500) this.#statements.clear()
      statement = this.db.prepare(sql)
      this.#statements.set(sql, statement)
    }
    return statement
  }
}

/** SQLite binds no booleans. */
export function bindable(parameters: readonly unknown[]): unknown[] {
  return parameters.map((value) => (typeof value === 'boolean' ? Number(value) : value))
}
