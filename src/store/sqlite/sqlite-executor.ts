// Runs the core's queries on SQLite, off the main thread. One writer thread holds the connection
// every write goes through, in turn (a write lock here); a small pool of reader threads, each
// with a connection of its own, answers reads. In WAL mode a reader sees each commit at once
// and never what an open transaction has not committed, so reads go on while the writer writes,
// and the main thread only parses, validates and joins JSON: it never waits on SQLite or the disk.
// The reads asked in one synchronous run (a request's API key and its query, src/http/admission.ts)
// go to one reader in one message, answered one by one: a message costs the main thread more than
// a small read costs the reader.

import { SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler, type Compilable } from 'kysely'

import { compiled as compile, queryBuilder, type Executor, type Query, type ReadOptions, type TransactionOptions } from '../relational/executor.ts'
import type { JsonPage } from '../json-page.ts'
import { QueryTimeoutError } from '../store.ts'
import { openConnection } from './sqlite-connection.ts'
import { sqliteDialect } from './sqlite-dialect.ts'
import type { ProcedureArgs, ProcedureName, Procedures, Publish, PublishOutcome } from './sqlite-procedures.ts'
import { ReaderGivenUpError, SqliteThread, type BatchableRequest } from './sqlite-threads.ts'
import { WriteLock } from './write-lock.ts'

const builder = queryBuilder({
  createAdapter: () => new SqliteAdapter(),
  createIntrospector: (db) => new SqliteIntrospector(db),
  createQueryCompiler: () => new SqliteQueryCompiler(),
})

export interface SqliteExecutorOptions {
  /** Reader threads. */
  readers: number
  /** A read that runs longer is stopped (its thread replaced) and fails with QueryTimeoutError. */
  queryTimeoutMs: number
}

/** The most reads that go to a reader in one message. */
const maxReadsPerMessage = 8

/** A read asked in this synchronous run, sent with the others when it ends (see #readSoon). */
interface UnsentRead {
  request: BatchableRequest
  large: boolean
  /** Asked again once already, after its reader was given up over another read's timeout. */
  retried?: true
  resolve(value: unknown): void
  reject(error: unknown): void
}

export class SqliteExecutor implements Executor {
  readonly db = builder
  readonly dialect = sqliteDialect
  readonly #path: string
  readonly #options: SqliteExecutorOptions
  readonly #writer: SqliteThread
  readonly #readers: SqliteThread[]
  readonly #writes = new WriteLock()
  #unsentReads: UnsentRead[] = []
  #closed = false
  #closing: Promise<void> | undefined

  /** Opens the file once here first, so that a path that cannot be used fails at once. */
  constructor(path: string, options: SqliteExecutorOptions) {
    openConnection(path, 'writer').close()
    this.#path = path
    this.#options = options
    this.#writer = new SqliteThread(path, 'writer')
    this.#readers = Array.from({ length: Math.max(1, options.readers) }, () => new SqliteThread(path, 'reader'))
  }

  /**
   * The least busy reader for a read; one given up after a timeout is replaced first. The first
   * reader takes no large read while there are others: it stays free for the small ones, which
   * would otherwise wait behind a 10,000-event page on every reader (see ReadOptions).
   */
  #reader({ large = false }: ReadOptions = {}): SqliteThread {
    this.#assertOpen()
    let chosen: SqliteThread | undefined
    for (const [index, reader] of this.#readers.entries()) {
      if (!reader.usable) {
        void reader.close()
        this.#readers[index] = new SqliteThread(this.#path, 'reader')
      }
      if (large && index === 0 && this.#readers.length > 1) continue
      const candidate = this.#readers[index] as SqliteThread
      if (chosen === undefined || candidate.load < chosen.load) chosen = candidate
    }
    return chosen as SqliteThread
  }

  /**
   * A read, sent at the end of this synchronous run together with the others asked meanwhile,
   * in one message to one reader (a large one among them makes the batch large).
   */
  #readSoon<T>(request: BatchableRequest, { large = false }: ReadOptions = {}): Promise<T> {
    this.#assertOpen()
    return new Promise<T>((resolve, reject) => this.#queueRead({ request, large, resolve: resolve as (value: unknown) => void, reject }))
  }

  #queueRead(read: UnsentRead): void {
    if (this.#unsentReads.length === 0) queueMicrotask(() => this.#sendReads())
    this.#unsentReads.push(read)
  }

  #sendReads(): void {
    const unsent = this.#unsentReads
    this.#unsentReads = []
    // Many at once (the event streams of a workspace woken by one publish) are shared out among
    // the readers a batch at a time, the least busy first, rather than all queued on one.
    for (let start = 0; start < unsent.length; start += maxReadsPerMessage) {
      const reads = unsent.slice(start, start + maxReadsPerMessage)
      let reader: SqliteThread
      try {
        reader = this.#reader({ large: reads.some((read) => read.large) })
      } catch (error) {
        for (const read of reads) read.reject(error)
        continue
      }
      const answers =
        reads.length === 1
          ? [reader.request((reads[0] as UnsentRead).request, this.#options.queryTimeoutMs)]
          : reader.requestBatch(reads.map((read) => read.request), this.#options.queryTimeoutMs)
      answers.forEach((answer, index) => {
        const read = reads[index] as UnsentRead
        answer.then(read.resolve, (error: unknown) => {
          // It waited behind another tenant's runaway query: that one fails, not this one, which
          // is asked again of a fresh reader; lost twice, it is answered as timed out (a 503).
          if (!(error instanceof ReaderGivenUpError)) read.reject(error)
          else if (read.retried === undefined && !this.#closed) this.#queueRead({ ...read, retried: true })
          else read.reject(new QueryTimeoutError(this.#options.queryTimeoutMs))
        })
      })
    }
  }

  /** Runs `work` once the writes before it are sent and done; nothing else is sent meanwhile. */
  #exclusive<T>(work: () => T | Promise<T>): Promise<T> {
    return this.#writes.run(() => {
      this.#assertOpen()
      return work()
    })
  }

  /** Once closed, every call fails as the driver's own would, and no reader is started again. */
  #assertOpen(): void {
    if (this.#closed) throw new TypeError('The database connection is not open')
  }

  /** A write of one message to the writer thread, in turn (see WriteLock). */
  #send<T>(send: () => Promise<T>): Promise<T> {
    return this.#writes.send(() => {
      this.#assertOpen()
      return send()
    })
  }

  /** A procedure of many statements on the writer, whole and in turn (sqlite-procedures.ts). */
  write<N extends ProcedureName>(name: N, ...args: ProcedureArgs<N>): Promise<ReturnType<Procedures[N]>> {
    return this.#send(() => this.#writer.call(name, args))
  }

  /** A publish, committed with the others the writer has waiting (sqlite-thread.ts). */
  publish(publish: Publish, now: number): Promise<PublishOutcome> {
    return this.#send(() => this.#writer.publish(publish, now))
  }

  /** A procedure that only reads, on a reader, within the query timeout. */
  read<N extends ProcedureName>(name: N, options: ReadOptions, ...args: ProcedureArgs<N>): Promise<ReturnType<Procedures[N]>> {
    return this.#readSoon({ op: 'call', name, args }, options)
  }

  async rows<R>(query: Query<R>, options?: ReadOptions): Promise<R[]> {
    const { sql, parameters, query: node } = compile(query)
    // A write that returns rows (INSERT ... RETURNING) is a write.
    if (node.kind !== 'SelectQueryNode') return await this.#send(() => this.#writer.request<R[]>({ op: 'all', sql, parameters }))
    return await this.#readSoon<R[]>({ op: 'all', sql, parameters }, options)
  }

  /** A page joined by the reader (json-page.ts): the main thread receives one string. */
  async jsonPage<K>(query: Query<K & { json: string }>, limit: number, options?: ReadOptions): Promise<JsonPage<K>> {
    const { sql, parameters } = compile(query)
    return await this.#readSoon<JsonPage<K>>({ op: 'page', sql, parameters, limit }, options)
  }

  async first<R>(query: Query<R>): Promise<R | undefined> {
    return (await this.rows(query))[0]
  }

  run(query: Compilable<unknown>): Promise<number> {
    const { sql, parameters } = query.compile()
    return this.#send(() => this.#writer.request<number>({ op: 'run', sql, parameters }))
  }

  transaction<T>(work: (tx: Executor) => Promise<T>, { durable = true }: TransactionOptions = {}): Promise<T> {
    return this.#exclusive(async () => {
      // Work that may be done again commits without waiting for the disk (see withoutFlush);
      // FULL is set again whatever happens, and the writer's group commit sets it too.
      if (!durable) await this.#writer.request({ op: 'exec', sql: 'PRAGMA synchronous = NORMAL' })
      try {
        // IMMEDIATE takes the write lock first: another process cannot make it fail half-way.
        await this.#writer.request({ op: 'exec', sql: 'BEGIN IMMEDIATE' })
        try {
          const result = await work(new SqliteTransaction(this.#writer))
          await this.#writer.request({ op: 'exec', sql: 'COMMIT' })
          return result
        } catch (error) {
          // A failed COMMIT (a full disk) has already ended the transaction.
          await this.#writer.request({ op: 'exec', sql: 'ROLLBACK' }).catch(() => {})
          throw error
        }
      } finally {
        if (!durable) await this.#writer.request({ op: 'exec', sql: 'PRAGMA synchronous = FULL' })
      }
    })
  }

  async notifyDeliveriesDue(): Promise<void> {}

  script(sql: string): Promise<void> {
    return this.#send(() => this.#writer.request({ op: 'exec', sql }))
  }

  async ping(): Promise<void> {
    await this.#readSoon({ op: 'all', sql: 'SELECT 1', parameters: [] })
  }

  /** Closes once, however often it is called. */
  close(): Promise<void> {
    // After the writes already queued, so that none meets a closed database.
    this.#closing ??= this.#exclusive(async () => {
      this.#closed = true
      await Promise.all(this.#readers.map((reader) => reader.close()))
      await this.#writer.close()
    })
    return this.#closing
  }
}

/** Inside a transaction that holds the write lock: every statement runs on the writer. */
class SqliteTransaction implements Executor {
  readonly db = builder
  readonly dialect = sqliteDialect
  /** Savepoints open: each nested transaction is named by its depth. */
  #depth = 0

  constructor(readonly writer: SqliteThread) {}

  async rows<R>(query: Query<R>): Promise<R[]> {
    const { sql, parameters } = compile(query)
    return await this.writer.request<R[]>({ op: 'all', sql, parameters })
  }

  async first<R>(query: Query<R>): Promise<R | undefined> {
    return (await this.rows(query))[0]
  }

  async run(query: Compilable<unknown>): Promise<number> {
    const { sql, parameters } = query.compile()
    return await this.writer.request<number>({ op: 'run', sql, parameters })
  }

  async transaction<T>(work: (tx: Executor) => Promise<T>): Promise<T> {
    const name = `nested_${++this.#depth}`
    await this.writer.request({ op: 'exec', sql: `SAVEPOINT ${name}` })
    try {
      const result = await work(this)
      await this.writer.request({ op: 'exec', sql: `RELEASE ${name}` })
      return result
    } catch (error) {
      await this.writer.request({ op: 'exec', sql: `ROLLBACK TO ${name}; RELEASE ${name}` })
      throw error
    } finally {
      this.#depth -= 1
    }
  }

  async notifyDeliveriesDue(): Promise<void> {}

  async script(sql: string): Promise<void> {
    await this.writer.request({ op: 'exec', sql })
  }
}
