// What the shared relational core needs of a backend: somewhere to run Kysely-built queries
// (rows, statements, transactions) and the few things in which the SQL of the two engines truly
// differs. Kysely builds and compiles the queries (against a dummy driver); each backend runs
// the compiled SQL through its own driver, so that its hot statements stay prepared, SQLite's
// stay synchronous, and its writes keep their one-at-a-time order (see sqlite-executor.ts).
// Kysely's own dialects would run each query through an async connection mutex of their own,
// which SQLite's group commit and its reader connection could not share.

import {
  DummyDriver,
  Kysely,
  sql,
  type Compilable,
  type CompiledQuery,
  type Dialect as KyselyDialect,
  type Expression,
  type RawBuilder,
  type SelectQueryBuilder,
  type SqlBool,
  type Insertable,
} from 'kysely'

import type { EventLayout } from '../event-layout.ts'
import type { JsonPage } from '../json-page.ts'
import type { Tables } from '../schema.ts'

/** A query to build and compile, or one already compiled. */
export type Query<R> = Compilable<R> | CompiledQuery<R>

export function compiled<R>(query: Query<R>): CompiledQuery<R> {
  return 'compile' in query ? query.compile() : query
}

export interface TransactionOptions {
  /**
   * Work that may be lost in a crash of the database and done again (a claim, an attempt's
   * record) need not wait for its commit to reach the disk (PostgreSQL's synchronous_commit).
   */
  durable?: boolean
}

/**
 * How much a read may ask of the database. A `large` one (many rows, a wide range counted, 1,000
 * ids) is kept off the SQLite reader that answers everything else, so that one tenant's big
 * reads never queue the small ones (an API key's lookup, a 10-event page) behind them.
 */
export interface ReadOptions {
  large?: boolean
}

export interface Executor {
  /** Builds queries for this backend; it never runs them. */
  readonly db: Kysely<Tables>
  readonly dialect: Dialect
  rows<R>(query: Query<R>, options?: ReadOptions): Promise<R[]>
  /**
   * A page of rows with their JSON joined where they are read (json-page.ts), for a backend that
   * reads on another thread; without it the core joins the rows itself.
   */
  jsonPage?<K>(query: Query<K & { json: string }>, limit: number, options?: ReadOptions): Promise<JsonPage<K>>
  first<R>(query: Query<R>): Promise<R | undefined>
  /** Runs a statement; the number of rows it changed. */
  run(query: Compilable<unknown>): Promise<number>
  /** Runs `work` in one transaction (a savepoint inside another), all or nothing. */
  transaction<T>(work: (tx: Executor) => Promise<T>, options?: TransactionOptions): Promise<T>
  /** In a transaction: wakes the delivery workers of other processes when it commits. */
  notifyDeliveriesDue(): Promise<void>
  /** Runs SQL of several statements and no parameters: a migration. */
  script(sql: string): Promise<void>
}

export type LockStrength = 'update' | 'no key update' | 'share' | 'key share'

/** The differences of SQL the core writes around. */
export interface Dialect {
  /**
   * Whether the engine has row locks. SQLite has one writer at a time, so a transaction there
   * already holds everything a row lock would; the core skips queries that only lock.
   */
  readonly rowLocks: boolean
  /** The column that orders rows by insertion where a table has no seq of its own. */
  readonly insertionOrder: 'rowid' | 'seq'
  /** How the events table stores an event's workspace, ids and times. */
  readonly events: EventLayout
  /** `ref` is one of `values`, in one statement shape whatever their number. */
  isAnyOf(ref: Expression<unknown> | string, values: readonly string[] | readonly number[], type?: 'text' | 'bigint'): Expression<SqlBool>
  /** Adds the lock clause where the engine has one. */
  locked<DB, TB extends keyof DB, O>(
    query: SelectQueryBuilder<DB, TB, O>,
    strength: LockStrength,
    options?: { skipLocked?: boolean },
  ): SelectQueryBuilder<DB, TB, O>
  /**
   * The rows of a subquery as a JSON array, in the same statement (Kysely's helper of the
   * engine): what a read needs of two tables comes from one snapshot, never from two reads a
   * commit could fall between.
   */
  jsonArrayFrom<O>(subquery: Expression<O>): RawBuilder<O[]>
  /**
   * Inserts many rows in one statement of one shape whatever their number, in the order given:
   * the rows travel as one JSON parameter, which the engine turns into a table.
   */
  insertRows<T extends keyof Tables>(tx: Executor, table: T, rows: readonly Insertable<Tables[T]>[]): Promise<void>
}

/** Queues deliveries (see NewDelivery), in one statement. */
export async function insertDeliveries(tx: Executor, deliveries: readonly NewDelivery[]): Promise<void> {
  await tx.dialect.insertRows(tx, 'webhook_deliveries', deliveries.map((delivery) => ({ ...delivery, status: 'pending' as const })))
}

/** A delivery row as it is queued. */
export interface NewDelivery {
  delivery_id: string
  workspace_id: string
  webhook_id: string
  event_id: string
  event_type: string
  event_created_at: string
  /** Null parks it (its webhook is disabled). */
  next_attempt_at: number | null
  recovery_id: string | null
  created_at: string
}

/** A Kysely that builds and compiles this backend's SQL, and runs nothing (the executor does). */
export function queryBuilder(dialect: Pick<KyselyDialect, 'createAdapter' | 'createIntrospector' | 'createQueryCompiler'>): Kysely<Tables> {
  return new Kysely<Tables>({ dialect: { ...dialect, createDriver: () => new DummyDriver() } })
}

/** Raw SQL as a query the executors run. */
export function rawQuery<R>(db: Kysely<Tables>, query: RawBuilder<R>): Compilable<R> {
  return { compile: () => query.compile(db) }
}

export const refOf = (ref: Expression<unknown> | string): Expression<unknown> =>
  typeof ref === 'string' ? sql.ref(ref) : ref

