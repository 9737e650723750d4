// Runs the core's queries on PostgreSQL: through the pool outside a transaction, on one client
// inside one. Every statement is a named prepared statement, planned once per connection: left
// to choose, PostgreSQL kept planning some anew on every call (a custom plan looked cheaper than
// a generic one across the day partitions), which cost more than running them. The shapes are
// bounded (which filters are present; lists are one array parameter, see Dialect.isAnyOf).

import { createHash } from 'node:crypto'

import {
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type Compilable,
  type CompiledQuery,
} from 'kysely'
import pg from 'pg'

import { compiled, queryBuilder, type Executor, type Query, type TransactionOptions } from '../relational/executor.ts'
import { QueryTimeoutError } from '../store.ts'
import { postgresDialect } from './pg-dialect.ts'
import { notifyDeliveriesSql } from './pg-notifications.ts'

// BIGINT (seq, next_attempt_at in ms) comes back as a JS number: every value we store fits in
// 2^53, and the store's types are numbers on both backends.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value))

const builder = queryBuilder({
  createAdapter: () => new PostgresAdapter(),
  createIntrospector: (db) => new PostgresIntrospector(db),
  createQueryCompiler: () => new PostgresQueryCompiler(),
})

/** A client in a transaction, or the pool outside one: both run `query`. */
export type Queryable = Pick<pg.PoolClient, 'query'>

/** A named prepared statement of `text`. */
export function prepared(text: string, values: readonly unknown[]): pg.QueryConfig {
  return { name: `s_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`, text, values: [...values] }
}

async function rowsOf<R>(db: Queryable, query: CompiledQuery<R>): Promise<{ rows: R[]; count: number }> {
  const result = await db.query(prepared(query.sql, query.parameters))
  return { rows: result.rows as R[], count: result.rowCount ?? 0 }
}

/** PostgreSQL's "canceling statement due to statement timeout". */
function isStatementTimeout(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '57014'
}

/** Queries on one connection (a client in a transaction) or on the pool. */
export class PgQueries implements Executor {
  readonly db = builder
  readonly dialect = postgresDialect

  constructor(readonly connection: Queryable) {}

  async rows<R>(query: Query<R>): Promise<R[]> {
    return (await rowsOf(this.connection, compiled(query))).rows
  }

  async first<R>(query: Query<R>): Promise<R | undefined> {
    return (await this.rows(query))[0]
  }

  async run(query: Compilable<unknown>): Promise<number> {
    return (await rowsOf(this.connection, query.compile())).count
  }

  async transaction<T>(work: (tx: Executor) => Promise<T>): Promise<T> {
    // Inside a transaction: a savepoint, undone alone.
    await this.connection.query('SAVEPOINT nested')
    try {
      const result = await work(this)
      await this.connection.query('RELEASE SAVEPOINT nested')
      return result
    } catch (error) {
      await this.connection.query('ROLLBACK TO SAVEPOINT nested')
      throw error
    }
  }

  async notifyDeliveriesDue(): Promise<void> {
    // Queued in the transaction: sent on commit, dropped on rollback.
    await this.connection.query(notifyDeliveriesSql)
  }

  async script(sql: string): Promise<void> {
    // No parameters: the simple protocol, which takes several statements.
    await this.connection.query(sql)
  }
}

export interface PgTransactionOptions extends TransactionOptions {
  /**
   * Planner settings for this transaction alone (`enable_sort: 'off'`, for instance): names and
   * values are the code's own constants, never input.
   */
  planner?: Readonly<Record<string, 'on' | 'off'>>
}

export class PgExecutor extends PgQueries {
  /**
   * `pool` runs writes and transactions; `readPool`, whose connections stop any statement past
   * the query timeout, the reads outside a transaction.
   */
  constructor(
    readonly pool: pg.Pool,
    readonly readPool: pg.Pool,
    readonly queryTimeoutMs: number,
  ) {
    super(pool)
  }

  override async rows<R>(query: Query<R>): Promise<R[]> {
    const statement = compiled(query)
    if (statement.query.kind !== 'SelectQueryNode') return (await rowsOf(this.pool, statement)).rows
    try {
      return (await rowsOf(this.readPool, statement)).rows
    } catch (error) {
      throw isStatementTimeout(error) ? new QueryTimeoutError(this.queryTimeoutMs) : error
    }
  }

  /** `tx.connection` is the transaction's client, for the backend's own SQL beside the core's. */
  override async transaction<T>(work: (tx: PgQueries) => Promise<T>, { durable = true, planner = {} }: PgTransactionOptions = {}): Promise<T> {
    const client = await this.pool.connect()
    try {
      // One round trip for the transaction's start and its settings (the simple protocol takes
      // several statements); SET LOCAL ends with the transaction.
      const settings = { ...(durable ? {} : { synchronous_commit: 'off' }), ...planner }
      await client.query(['BEGIN', ...Object.entries(settings).map(([name, value]) => `SET LOCAL ${name} = ${value}`)].join('; '))
      const result = await work(new PgQueries(client))
      await client.query('COMMIT')
      return result
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {})
      throw error
    } finally {
      client.release()
    }
  }

  override async notifyDeliveriesDue(): Promise<void> {
    // Outside a transaction there is nothing to wait for: notify now.
    await this.pool.query(notifyDeliveriesSql)
  }
}

export interface PoolOptions {
  /** Stops any statement of the pool's connections that runs longer. */
  statementTimeoutMs?: number
  /**
   * 'generic' (the default): each prepared statement planned once per connection, pruning day
   * partitions at run time (see PgExecutor). 'custom': planned on every call for its
   * parameters and the tables' size then, for the delivery queue (PgStore says why).
   */
  plans?: 'generic' | 'custom'
  max?: number
}

export function createPool(connectionString: string, { statementTimeoutMs, plans = 'generic', max = 10 }: PoolOptions = {}): pg.Pool {
  // SETs rather than startup options, which PgBouncer refuses; behind PgBouncer in transaction
  // mode, set them on the role instead (docs/scaling.md). In one simple query, which the pool
  // awaits before it hands the connection out: queries sent beside it (as a 'connect'
  // listener did) overlap on one client, which pg 8 warns of and pg 9 refuses.
  const settings = [
    `SET plan_cache_mode = ${plans === 'generic' ? 'force_generic_plan' : 'force_custom_plan'}`,
    ...(statementTimeoutMs === undefined ? [] : [`SET statement_timeout = ${Math.round(statementTimeoutMs)}`]),
  ].join('; ')
  const pool = new pg.Pool({
    connectionString,
    max,
    // A server that drops packets would otherwise hold a connect for the OS's TCP timeout.
    connectionTimeoutMillis: 10_000,
    onConnect: async (client) => {
      await client.query(settings)
    },
  })
  // An idle client that loses its server (a restart, a failover) must not crash the process:
  // the next query gets a fresh client.
  pool.on('error', () => {})
  return pool
}
