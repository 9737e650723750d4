// The main thread's side of the SQLite backend's threads (sqlite-thread.ts): one per connection,
// each asked by message and answering in order; several reads may go in one message (a batch),
// each answered as it is done. A reader whose query runs past the timeout is given up and replaced
// by a new thread, so that one runaway query cannot hold a reader, or anything waiting behind it,
// for good; what waited behind it fails with ReaderGivenUpError, for the pool to ask again.

import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'

import { QueryTimeoutError } from '../store.ts'
import type { ConnectionRole } from './sqlite-connection.ts'
import type { ProcedureArgs, ProcedureName, Procedures, Publish, PublishOutcome } from './sqlite-procedures.ts'
import type { Answer, ThreadMessage, ThreadRequest, ThreadResponse } from './sqlite-thread.ts'

// The thread is the .ts source under tsx (tests, a source checkout) and the built .js otherwise.
const threadFile = new URL(`./sqlite-thread${extname(fileURLToPath(import.meta.url))}`, import.meta.url)

type Request = ThreadRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never
/** What may go in a batch: anything but a publish, which the writer's group commit gathers. */
export type BatchableRequest = Exclude<Request, { op: 'publish' }>

interface Pending {
  resolve(value: unknown): void
  reject(error: unknown): void
}

/**
 * A request that was still waiting on a reader when another request's query ran past the
 * timeout and the reader was given up: it did not fail itself, and can be asked again elsewhere.
 */
export class ReaderGivenUpError extends Error {
  override readonly name = 'ReaderGivenUpError'
}

/** An error as the thread reported it: its message and SQLite code, as the driver gives them. */
function threadError({ message, code, name }: { message: string; code?: string; name: string }): Error {
  return Object.assign(new Error(message), { name, ...(code === undefined ? {} : { code }) })
}

export class SqliteThread {
  readonly #worker: Worker
  readonly #pending = new Map<number, Pending>()
  #nextId = 1
  #failed: Error | undefined
  /** Resolved once the thread has loaded and opened its connection. */
  readonly #ready: Promise<void>
  #markReady: () => void = () => {}

  constructor(path: string, role: ConnectionRole) {
    this.#worker = threadFile.pathname.endsWith('.ts')
      ? // The sources (tests, a checkout run through tsx): a worker inherits no loader hooks on
        // Node 20, and `--import tsx` in its execArgv is not applied either, so it registers tsx
        // itself before it loads the thread.
        new Worker(
          `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})` +
            `.then((tsx) => { tsx.register(); return import(${JSON.stringify(threadFile.href)}) })`,
          { eval: true, workerData: { path, role } },
        )
      : new Worker(threadFile, { workerData: { path, role } })
    this.#ready = new Promise((resolve) => (this.#markReady = resolve))
    // Idle, the thread does not keep the process alive; waiting for an answer, it does.
    this.#worker.unref()
    this.#worker.on('message', (response: ThreadResponse) => {
      if ('ready' in response) return this.#markReady()
      for (const answer of 'answers' in response ? response.answers : [response]) this.#settle(answer)
      if (this.#pending.size === 0) this.#worker.unref()
    })
    const fail = (error: Error): void => {
      this.#failed ??= error
      for (const pending of this.#pending.values()) pending.reject(error)
      this.#pending.clear()
    }
    this.#worker.on('error', fail)
    this.#worker.on('exit', (code) => fail(new Error(`the SQLite ${role} thread exited (${code})`)))
  }

  #settle(answer: Answer): void {
    const pending = this.#pending.get(answer.id)
    if (pending === undefined) return
    this.#pending.delete(answer.id)
    if (answer.ok) pending.resolve(answer.value)
    else pending.reject(threadError(answer.error))
  }

  /** Asks the thread; rejects with QueryTimeoutError past `timeoutMs` (the thread is then lost). */
  request<T>(request: Request, timeoutMs?: number): Promise<T> {
    if (this.#failed !== undefined) return Promise.reject(this.#failed)
    const { id, answer } = this.#expect(timeoutMs)
    this.#worker.postMessage({ ...request, id } as ThreadRequest satisfies ThreadMessage)
    return answer as Promise<T>
  }

  /**
   * Asks several things in one message; each is answered as it is done, and timed from now, as a
   * request sent behind others on a busy thread is.
   */
  requestBatch(requests: readonly BatchableRequest[], timeoutMs?: number): Promise<unknown>[] {
    if (this.#failed !== undefined) return requests.map(() => Promise.reject(this.#failed))
    const expected = requests.map(() => this.#expect(timeoutMs))
    const batch = requests.map((request, index) => ({ ...request, id: (expected[index] as { id: number }).id }) as Exclude<ThreadRequest, { op: 'publish' }>)
    this.#worker.postMessage({ batch } satisfies ThreadMessage)
    return expected.map(({ answer }) => answer)
  }

  /** An id for a request about to be posted, and the promise of its answer. */
  #expect(timeoutMs: number | undefined): { id: number; answer: Promise<unknown> } {
    const id = this.#nextId++
    const answer = new Promise<unknown>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined
      this.#pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer)
          resolve(value)
        },
        reject: (error) => {
          clearTimeout(timer)
          reject(error)
        },
      })
      if (this.#pending.size === 1) this.#worker.ref()
      if (timeoutMs !== undefined) {
        // Timed from the thread's start at the earliest: a thread that replaced a stopped one
        // takes a moment to load, which is not the query's time.
        void this.#ready.then(() => {
          if (!this.#pending.has(id)) return
          timer = setTimeout(() => {
            this.#pending.delete(id)
            reject(new QueryTimeoutError(timeoutMs))
            // SQLite's statement cannot be interrupted from here: the thread is let go (it ends
            // when the statement does) and its connection with it, and what waited behind the
            // statement is told so, not that it failed.
            this.#failed = new QueryTimeoutError(timeoutMs)
            const givenUp = new ReaderGivenUpError('the SQLite reader was given up while this read waited behind a slower one')
            for (const pending of this.#pending.values()) pending.reject(givenUp)
            this.#pending.clear()
            // Nor does it keep the process alive: it may run on for as long as the statement does.
            this.#worker.unref()
            void this.#worker.terminate()
          }, timeoutMs)
        })
      }
    })
    return { id, answer }
  }

  call<N extends ProcedureName>(name: N, args: ProcedureArgs<N>, timeoutMs?: number): Promise<ReturnType<Procedures[N]>> {
    return this.request({ op: 'call', name, args }, timeoutMs)
  }

  /** A publish for the writer's next group commit (sqlite-thread.ts). */
  publish(publish: Publish, now: number): Promise<PublishOutcome> {
    return this.request({ op: 'publish', publish, now })
  }

  /** False once the thread has failed or been given up: its owner starts another. */
  get usable(): boolean {
    return this.#failed === undefined
  }

  /** Requests waiting for an answer: the pool sends a read to the least busy reader. */
  get load(): number {
    return this.#pending.size
  }

  async close(): Promise<void> {
    if (this.#failed === undefined) {
      await this.request({ op: 'close' }).catch(() => {})
      await this.#worker.terminate()
      return
    }
    // A thread given up mid-statement ends only when the statement does; closing does not wait
    // for it (nothing of it is wanted), so that a command's own error and exit come first.
    void this.#worker.terminate()
  }
}
