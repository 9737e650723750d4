// Runs the core's queries on SQLite. Two connections to one WAL file: the writer, which every
// write goes through in turn, and the reader, which sees each commit at once and never what an
// open transaction has not committed. Reads therefore go on, and see a consistent database,
// while a long group commit turns the event loop between its steps (sqlite-events.ts), and any
// other write waits its turn rather than landing inside that transaction.

import {
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type Compilable,
  type CompiledQuery,
} from 'kysely'
import Database from 'better-sqlite3'

import { compiled as compile, queryBuilder, type Executor, type Query } from '../relational/executor.ts'
import { sqliteDialect } from './sqlite-dialect.ts'
import { WriteLock } from './write-lock.ts'

const builder = queryBuilder({
  createAdapter: () => new SqliteAdapter(),
  createIntrospector: (db) => new SqliteIntrospector(db),
  createQueryCompiler: () => new SqliteQueryCompiler(),
})

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
function parametersOf(query: CompiledQuery): unknown[] {
  return query.parameters.map((value) => (typeof value === 'boolean' ? Number(value) : value))
}

function all<R>(statements: StatementCache, query: CompiledQuery<R>): R[] {
  const statement = statements.get(query.sql)
  if (statement.reader) return statement.all(...parametersOf(query)) as R[]
  statement.run(...parametersOf(query))
  return []
}

export class SqliteExecutor implements Executor {
  readonly db = builder
  readonly dialect = sqliteDialect
  readonly writer: StatementCache
  readonly reader: StatementCache
  readonly #writes = new WriteLock()

  constructor(path: string) {
    const writer = new Database(path)
    writer.pragma('journal_mode = WAL')
    // FULL: a publish is acknowledged only once its transaction is on disk, so an acknowledged
    // event survives a power loss, not only a process crash.
    writer.pragma('synchronous = FULL')
    writer.pragma('busy_timeout = 5000')
    writer.pragma('foreign_keys = ON')
    this.writer = new StatementCache(writer)
    // ':memory:' is one database per connection: there, the writer reads too (and a commit
    // never turns the event loop, see commitMayYield).
    if (path === ':memory:') {
      this.reader = this.writer
    } else {
      const reader = new Database(path)
      reader.pragma('busy_timeout = 5000')
      reader.pragma('query_only = ON')
      this.reader = new StatementCache(reader)
    }
  }

  /** Whether a write may turn the event loop inside its transaction (see above). */
  get commitMayYield(): boolean {
    return this.reader !== this.writer
  }

  /** Runs `work` once the writes queued before it are done; nothing else writes meanwhile. */
  exclusive<T>(work: () => T | Promise<T>): Promise<T> {
    return this.#writes.run(work)
  }

  async rows<R>(query: Query<R>): Promise<R[]> {
    const compiled = compile(query)
    // A write that returns rows (INSERT ... RETURNING) is a write.
    if (compiled.query.kind !== 'SelectQueryNode') return await this.exclusive(() => all(this.writer, compiled))
    return all(this.reader, compiled)
  }

  async first<R>(query: Query<R>): Promise<R | undefined> {
    return (await this.rows(query))[0]
  }

  run(query: Compilable<unknown>): Promise<number> {
    const compiled = query.compile()
    return this.exclusive(() => this.writer.get(compiled.sql).run(...parametersOf(compiled)).changes)
  }

  /** `tx.writer` runs the backend's own statements beside the core's, in the same transaction. */
  transaction<T>(work: (tx: SqliteTransaction) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      // IMMEDIATE takes the write lock first: another process cannot make it fail half-way.
      this.writer.get('BEGIN IMMEDIATE').run()
      try {
        const result = await work(new SqliteTransaction(this.writer))
        this.writer.get('COMMIT').run()
        return result
      } catch (error) {
        if (this.writer.db.inTransaction) this.writer.get('ROLLBACK').run()
        throw error
      }
    })
  }

  async notifyDeliveriesDue(): Promise<void> {}

  script(sql: string): Promise<void> {
    return this.exclusive(() => {
      this.writer.db.exec(sql)
    })
  }

  close(): Promise<void> {
    return this.exclusive(() => {
      if (!this.writer.db.open) return
      this.writer.db.pragma('optimize')
      if (this.reader !== this.writer) this.reader.db.close()
      this.writer.db.close()
    })
  }
}

/** Inside a transaction that holds the write lock: everything runs on the writer. */
export class SqliteTransaction implements Executor {
  readonly db = builder
  readonly dialect = sqliteDialect
  /** Savepoints open: each nested transaction is named by its depth. */
  #depth = 0

  constructor(readonly writer: StatementCache) {}

  async rows<R>(query: Query<R>): Promise<R[]> {
    return all(this.writer, compile(query))
  }

  async first<R>(query: Query<R>): Promise<R | undefined> {
    return (await this.rows(query))[0]
  }

  async run(query: Compilable<unknown>): Promise<number> {
    const compiled = query.compile()
    return this.writer.get(compiled.sql).run(...parametersOf(compiled)).changes
  }

  async transaction<T>(work: (tx: Executor) => Promise<T>): Promise<T> {
    const name = `nested_${++this.#depth}`
    this.writer.get(`SAVEPOINT ${name}`).run()
    try {
      const result = await work(this)
      this.writer.get(`RELEASE ${name}`).run()
      return result
    } catch (error) {
      this.writer.get(`ROLLBACK TO ${name}`).run()
      this.writer.get(`RELEASE ${name}`).run()
      throw error
    } finally {
      this.#depth -= 1
    }
  }

  async notifyDeliveriesDue(): Promise<void> {}

  async script(sql: string): Promise<void> {
    this.writer.db.exec(sql)
  }
}
