// A thread of the SQLite backend: it owns one connection to the database file (the writer, or a
// reader) and runs what the main thread asks of it, one message at a time, so that the main
// thread never waits on SQLite or the disk. Loaded as a worker_threads entry by sqlite-threads.ts.

import { parentPort, workerData } from 'node:worker_threads'

import { bindable, openConnection, StatementCache, type ConnectionRole } from './sqlite-connection.ts'
import { procedures, type ProcedureName } from './sqlite-procedures.ts'

export type ThreadRequest =
  | { id: number; op: 'all'; sql: string; parameters: readonly unknown[] }
  | { id: number; op: 'run'; sql: string; parameters: readonly unknown[] }
  | { id: number; op: 'exec'; sql: string }
  | { id: number; op: 'call'; name: ProcedureName; args: unknown[] }
  | { id: number; op: 'close' }

export type ThreadResponse =
  | { ready: true }
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { message: string; code?: string; name: string } }

const { path, role } = workerData as { path: string; role: ConnectionRole }
const statements = new StatementCache(openConnection(path, role))

function handle(request: ThreadRequest): unknown {
  switch (request.op) {
    case 'all': {
      const statement = statements.get(request.sql)
      if (statement.reader) return statement.all(...bindable(request.parameters))
      statement.run(...bindable(request.parameters))
      return []
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

parentPort?.on('message', (request: ThreadRequest) => {
  let response: ThreadResponse
  try {
    response = { id: request.id, ok: true, value: handle(request) }
  } catch (error) {
    const { message, code, name } = error as { message?: string; code?: string; name?: string }
    response = {
      id: request.id,
      ok: false,
      error: { message: message ?? String(error), name: name ?? 'Error', ...(code === undefined ? {} : { code }) },
    }
  }
  parentPort?.postMessage(response)
})
// Its connection is open: from here on, time spent on a request is the query's (see request()).
parentPort?.postMessage({ ready: true } satisfies ThreadResponse)
