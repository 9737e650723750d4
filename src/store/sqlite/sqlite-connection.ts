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
    applyCheckpointSettings(db)
  } else {
    db.pragma('query_only = ON')
  }
  return db
}

/**
 * A checkpoint copies the pages the WAL holds back into the database file, and the commit that
 * crosses the threshold runs it before it returns. Each event dirties pages scattered over its
 * indexes, and a page changed by many commits is copied back once per checkpoint, so checkpoints
 * 10 times further apart (40 MB of WAL rather than SQLite's default 4 MB) write far fewer pages:
 * the same rows inserted directly went from 11,500-14,700 to 17,800-22,200 rows/s (50,000
 * stored rows, 100 a transaction; docs/benchmarks.md, "Issue 17, second round"). The WAL file is cut back to 64 MB
 * after a checkpoint so that a burst does not leave it large.
 */
export function applyCheckpointSettings(db: Database.Database): void {
  db.pragma('wal_autocheckpoint = 10000')
  db.pragma(`journal_size_limit = ${64 * 2 ** 20}`)
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
