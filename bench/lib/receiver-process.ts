// A fast webhook receiver in a child process of its own: it answers 200 at once and notes when
// each delivery arrived. Apart from the benchmark's event loop, the benchmark's own work
// (publishing, bookkeeping) cannot delay a receipt, and the receipt times stay honest.
// The parent drives it over the fork's IPC channel. Times are `performance.timeOrigin +
// performance.now()`: milliseconds on a clock that processes of one machine share, finer
// than Date.now().

import { fork, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'

/** One arrival of one event at one webhook's path. */
export interface Receipt {
  event_id: string
  /** The URL path it was sent to, such as "/hook/17". */
  path: string
  receivedAt: number
}

export interface ReceiverCounts {
  /** Requests received, repeats included. */
  requests: number
  /** Distinct (path, event_id) pairs received. */
  uniqueDeliveries: number
  /** Requests for a (path, event_id) pair that had already arrived. */
  duplicates: number
  /** Requests per path, repeats included. */
  requestsByPath: Record<string, number>
}

export interface ReceiverProcess {
  /** Such as "http://127.0.0.1:41234": a webhook's URL is this plus its own path. */
  origin: string
  counts(): Promise<ReceiverCounts>
  /** Resolves once `uniqueDeliveries` distinct pairs have arrived; rejects after `deadlineMs`. */
  waitForUniqueDeliveries(uniqueDeliveries: number, deadlineMs: number): Promise<ReceiverCounts>
  /** The first arrival of every (path, event_id) pair. */
  firstReceipts(): Promise<Receipt[]>
  /** Forgets everything received so far. */
  reset(): Promise<void>
  stop(): Promise<void>
}

/** Shared clock of the benchmark's processes: see the header. */
export function sharedClockNow(): number {
  return performance.timeOrigin + performance.now()
}

type Request =
  | { kind: 'counts' }
  | { kind: 'wait'; uniqueDeliveries: number; deadlineMs: number }
  | { kind: 'first-receipts' }
  | { kind: 'reset' }

type Reply =
  | { kind: 'counts'; counts: ReceiverCounts }
  | { kind: 'first-receipts'; receipts: Receipt[] }
  | { kind: 'reset' }
  | { kind: 'error'; message: string }

interface Envelope<T> {
  id: number
  message: T
}

const childFile = fileURLToPath(import.meta.url)

export async function startReceiverProcess(): Promise<ReceiverProcess> {
  // tsx by its resolved path, so that the child finds it whatever the working directory is.
  const child = fork(childFile, [], { execArgv: ['--import', import.meta.resolve('tsx')], stdio: 'inherit' })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message) => resolve((message as { port: number }).port))
    child.once('exit', (code) => reject(new Error(`receiver process exited with ${code} before listening`)))
  })
  const ask = createAsker(child)
  return {
    origin: `http://127.0.0.1:${port}`,
    async counts() {
      return expectKind(await ask({ kind: 'counts' }), 'counts').counts
    },
    async waitForUniqueDeliveries(uniqueDeliveries, deadlineMs) {
      return expectKind(await ask({ kind: 'wait', uniqueDeliveries, deadlineMs }), 'counts').counts
    },
    async firstReceipts() {
      return expectKind(await ask({ kind: 'first-receipts' }), 'first-receipts').receipts
    },
    async reset() {
      expectKind(await ask({ kind: 'reset' }), 'reset')
    },
    async stop() {
      // Closing the channel is the child's signal to close its server and exit.
      if (child.connected) child.disconnect()
      await exited
    },
  }
}

function createAsker(child: ChildProcess): (message: Request) => Promise<Reply> {
  let nextId = 0
  const pending = new Map<number, (reply: Reply) => void>()
  child.on('message', (envelope) => {
    const { id, message } = envelope as Envelope<Reply>
    pending.get(id)?.(message)
    pending.delete(id)
  })
  child.once('exit', (code) => {
    for (const settle of pending.values()) settle({ kind: 'error', message: `receiver process exited with ${code}` })
    pending.clear()
  })
  return (message) =>
    new Promise((resolve) => {
      const id = ++nextId
      pending.set(id, resolve)
      child.send({ id, message } satisfies Envelope<Request>)
    })
}

function expectKind<K extends Reply['kind']>(reply: Reply, kind: K): Extract<Reply, { kind: K }> {
  if (reply.kind === 'error') throw new Error(reply.message)
  if (reply.kind !== kind) throw new Error(`receiver process answered ${reply.kind}, expected ${kind}`)
  return reply as Extract<Reply, { kind: K }>
}

/** The child's side: the HTTP server and the answers to the parent's requests. */
async function serveReceiver(send: (message: unknown) => void): Promise<void> {
  let requests = 0
  let duplicates = 0
  let requestsByPath: Record<string, number> = {}
  // Keyed by `${path} ${event_id}`: a pair's first arrival is the one latency is measured to.
  let firstReceipts = new Map<string, Receipt>()
  let waiters: { uniqueDeliveries: number; settle: () => void }[] = []

  const counts = (): ReceiverCounts => ({ requests, uniqueDeliveries: firstReceipts.size, duplicates, requestsByPath })

  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const receivedAt = sharedClockNow()
      // Answer before the bookkeeping: the worker's request ends as early as it can.
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok')
      const path = request.url ?? '/'
      const eventId = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { event_id: string }).event_id
      requests += 1
      requestsByPath[path] = (requestsByPath[path] ?? 0) + 1
      const key = `${path} ${eventId}`
      if (firstReceipts.has(key)) {
        duplicates += 1
        return
      }
      firstReceipts.set(key, { event_id: eventId, path, receivedAt })
      if (waiters.length > 0) {
        const reached = waiters.filter((waiter) => firstReceipts.size >= waiter.uniqueDeliveries)
        waiters = waiters.filter((waiter) => firstReceipts.size < waiter.uniqueDeliveries)
        for (const waiter of reached) waiter.settle()
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))

  process.on('message', (envelope) => {
    const { id, message } = envelope as Envelope<Request>
    const reply = (answer: Reply) => send({ id, message: answer } satisfies Envelope<Reply>)
    switch (message.kind) {
      case 'counts':
        reply({ kind: 'counts', counts: counts() })
        break
      case 'wait': {
        if (firstReceipts.size >= message.uniqueDeliveries) {
          reply({ kind: 'counts', counts: counts() })
          break
        }
        const waiter = {
          uniqueDeliveries: message.uniqueDeliveries,
          settle: () => {
            clearTimeout(timer)
            reply({ kind: 'counts', counts: counts() })
          },
        }
        const timer = setTimeout(() => {
          waiters = waiters.filter((other) => other !== waiter)
          reply({
            kind: 'error',
            message:
              `receiver: ${firstReceipts.size} of ${message.uniqueDeliveries} deliveries after ` +
              `${message.deadlineMs} ms (${requests} requests, ${duplicates} duplicates)`,
          })
        }, message.deadlineMs)
        waiters.push(waiter)
        break
      }
      case 'first-receipts':
        reply({ kind: 'first-receipts', receipts: [...firstReceipts.values()] })
        break
      case 'reset':
        requests = 0
        duplicates = 0
        requestsByPath = {}
        firstReceipts = new Map()
        reply({ kind: 'reset' })
        break
    }
  })
  // The parent is done or gone: nothing will ask for the receipts any more.
  process.once('disconnect', () => {
    server.closeAllConnections()
    server.close(() => process.exit(0))
  })
  send({ port: (server.address() as AddressInfo).port })
}

if (process.argv[1] === childFile && process.send !== undefined) {
  const send = process.send.bind(process)
  await serveReceiver((message) => send(message))
}
