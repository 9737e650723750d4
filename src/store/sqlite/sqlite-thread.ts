// A thread of the SQLite backend: it owns one connection to the database file (the writer, or a
// reader) and runs what the main thread asks of it, one message at a time, so that the main
// thread never waits on SQLite or the disk. Loaded as a worker_threads entry by sqlite-threads.ts.

import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads'

import { jsonPageOf } from '../json-page.ts'
import { bindable, openConnection, StatementCache, type ConnectionRole } from './sqlite-connection.ts'
import { decodeEventKeys, readsEventKeys } from './sqlite-event-layout.ts'
import { commitPublishes, procedures, type ProcedureName, type Publish } from './sqlite-procedures.ts'

export type ThreadRequest =
  | { id: number; op: 'all'; sql: string; parameters: readonly unknown[] }
  /** Rows made into a page here (json-page.ts): one string crosses back, not one a row. */
  | { id: number; op: 'page'; sql: string; parameters: readonly unknown[]; limit: number }
  | { id: number; op: 'run'; sql: string; parameters: readonly unknown[] }
  | { id: number; op: 'exec'; sql: string }
  | { id: number; op: 'call'; name: ProcedureName; args: unknown[] }
  | { id: number; op: 'publish'; publish: Publish; now: number }
  | { id: number; op: 'close' }

export type Answer =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { message: string; code?: string; name: string } }

/** A group commit answers every publish it holds in one message. */
export type ThreadResponse = { ready: true } | Answer | { answers: Answer[] }

/**
 * What the main thread posts: one request, or the reads it asked of a reader in one turn of its
 * event loop (sqlite-threads.ts). The reads of a batch are answered one by one as each is done:
 * a key's lookup is not held back by the page read after it, nor a small read by a slow one.
 */
export type ThreadMessage = ThreadRequest | { batch: Exclude<ThreadRequest, PublishRequest>[] }

/**
 * A group commit holds at most this many events: a commit of them takes tens of milliseconds,
 * and the publishes beyond wait for the next one rather than make this one longer.
 */
const maxEventsPerGroup = 10_000

const { path, role } = workerData as { path: string; role: ConnectionRole }
const statements = new StatementCache(openConnection(path, role))

type PublishRequest = Extract<ThreadRequest, { op: 'publish' }>

function handle(request: Exclude<ThreadRequest, PublishRequest>): unknown {
  switch (request.op) {
    case 'all': {
      const statement = statements.get(request.sql)
      if (statement.reader) {
        const rows = statement.all(...bindable(request.parameters))
        if (readsEventKeys(request.sql)) decodeEventKeys(rows)
        return rows
      }
      statement.run(...bindable(request.parameters))
      return []
    }
    case 'page': {
      const rows = statements.get(request.sql).all(...bindable(request.parameters)) as { json: string }[]
      if (readsEventKeys(request.sql)) decodeEventKeys(rows)
      return jsonPageOf(rows, request.limit)
    }
    case 'run':
      return statements.get(request.sql).run(...bindable(request.parameters)).changes
    case 'exec':
      statements.db.exec(request.sql)
      return undefined
    case 'call':
      return (procedures[request.name] as (s: StatementCache, ...args: unknown[]) => unknown)(statements, ...request.args)
    case 'close':
      if (statements.db.open) {
        if (role === 'writer') statements.db.pragma('optimize')
        statements.db.close()
      }
      return undefined
  }
}

function answer(request: Exclude<ThreadRequest, PublishRequest>): Answer {
  try {
    return { id: request.id, ok: true, value: handle(request) }
  } catch (error) {
    return { id: request.id, ok: false, error: describe(error) }
  }
}

function describe(error: unknown): { message: string; code?: string; name: string } {
  const { message, code, name } = error as { message?: string; code?: string; name?: string }
  return { message: message ?? String(error), name: name ?? 'Error', ...(code === undefined ? {} : { code }) }
}

/**
 * The group commit happens here, where the disk is: a publish takes with it every publish that
 * arrived while the commit before it ran (they wait in this thread's queue), and all of them are
 * committed together, one fsync for all. The main thread sends each publish as it comes and is
 * never in the way between one commit and the next.
 */
function commitGroup(port: MessagePort, first: PublishRequest): ThreadRequest | undefined {
  const group = [first]
  let events = first.publish.drafts.length
  let next: ThreadRequest | undefined
  while (events < maxEventsPerGroup) {
    const received = receiveMessageOnPort(port)?.message as ThreadRequest | undefined
    if (received?.op !== 'publish') {
      next = received
      break
    }
    group.push(received)
    events += received.publish.drafts.length
  }
  let answers: Answer[]
  try {
    // A publish is answered only once it is on disk, whatever the writer's last work left set
    // (withoutFlush), and never from inside a transaction another write left open: its commit
    // would then be that transaction's savepoint, not on disk.
    statements.db.pragma('synchronous = FULL')
    if (statements.db.inTransaction) throw new Error('the SQLite writer is inside a transaction that was not ended')
    const now = Math.max(...group.map((request) => request.now))
    const outcomes = commitPublishes(statements, group.map((request) => request.publish), now)
    answers = group.map((request, index) => ({ id: request.id, ok: true, value: outcomes[index] }))
  } catch (error) {
    // The commit itself failed (a full disk): nothing of the group is stored.
    answers = group.map((request) => ({ id: request.id, ok: false, error: describe(error) }))
  }
  port.postMessage({ answers } satisfies ThreadResponse)
  return next
}

function serve(port: MessagePort, request: ThreadRequest): void {
  let next: ThreadRequest | undefined = request
  while (next !== undefined) {
    if (next.op === 'publish') {
      next = commitGroup(port, next)
    } else {
      port.postMessage(answer(next) satisfies ThreadResponse)
      next = undefined
    }
  }
}

if (parentPort !== null) {
  const port = parentPort
  port.on('message', (message: ThreadMessage) => {
    if ('batch' in message) for (const request of message.batch) port.postMessage(answer(request) satisfies ThreadResponse)
    else serve(port, message)
  })
}
// Its connection is open: from here on, time spent on a request is the query's (see request()).
parentPort?.postMessage({ ready: true } satisfies ThreadResponse)
