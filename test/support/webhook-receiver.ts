// A real HTTP server on loopback that receives webhook deliveries and keeps each one as it
// arrived (raw body, headers), so tests verify them with Seam's own `@seamapi/webhook`.

import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ReceivedDelivery {
  body: string
  headers: Record<string, string>
  receivedAt: number
  /** When its answer was written out whole; unset while it is held, or if it never was. */
  answeredAt?: number
  /**
   * When the sender closed the connection before the answer was written: a sender killed, or
   * one that gave up (its timeout). Such a request was in flight when the sender let it go.
   */
  abandonedAt?: number
}

export interface ReceiverReply {
  status: number
  headers?: Record<string, string>
  body?: string
  /** Hold the reply until this promise settles: a slow or hanging endpoint. */
  holdUntil?: Promise<unknown>
}

export interface WebhookReceiver {
  url: string
  port: number
  received: ReceivedDelivery[]
  /** event_id of each received body, in arrival order (repeats included). */
  eventIds(): string[]
  /** Decides each reply; receives the number of requests so far (1 for the first). */
  reply: (delivery: ReceivedDelivery, count: number) => ReceiverReply
  /**
   * Resolves once `predicate` holds, checking on every arrival, answer, and connection closed
   * before its answer; rejects after `deadlineMs`.
   */
  waitFor(predicate: (received: ReceivedDelivery[]) => boolean, deadlineMs?: number): Promise<void>
  close(): Promise<void>
}

export async function startWebhookReceiver(port = 0): Promise<WebhookReceiver> {
  const waiters = new Set<() => void>()
  const receiver: WebhookReceiver = {
    url: '',
    port: 0,
    received: [],
    eventIds: () => receiver.received.map((delivery) => JSON.parse(delivery.body).event_id),
    reply: () => ({ status: 200, body: 'ok' }),
    async waitFor(predicate, deadlineMs = 30_000) {
      if (predicate(receiver.received)) return
      await new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!predicate(receiver.received)) return
          clearTimeout(timer)
          waiters.delete(check)
          resolve()
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`receiver: condition not met; ${receiver.received.length} deliveries so far`))
        }, deadlineMs)
        waiters.add(check)
      })
    },
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const delivery: ReceivedDelivery = {
        body: Buffer.concat(chunks).toString('utf8'),
        headers: flattenHeaders(request.headers),
        receivedAt: Date.now(),
      }
      const notify = () => {
        for (const waiter of [...waiters]) waiter()
      }
      response.on('finish', () => {
        delivery.answeredAt = Date.now()
        notify()
      })
      response.on('close', () => {
        if (!response.writableFinished) delivery.abandonedAt = Date.now()
        notify()
      })
      receiver.received.push(delivery)
      const reply = receiver.reply(delivery, receiver.received.length)
      notify()
      void send(response, reply)
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve())
  })
  receiver.port = (server.address() as AddressInfo).port
  receiver.url = `http://127.0.0.1:${receiver.port}/webhook`
  return receiver
}

async function send(response: ServerResponse, reply: ReceiverReply): Promise<void> {
  if (reply.holdUntil !== undefined) await reply.holdUntil.catch(() => {})
  if (response.destroyed) return
  response.writeHead(reply.status, reply.headers)
  response.end(reply.body ?? '')
}

function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value
  }
  return flat
}

/** A loopback port that nothing listens on right now (for "receiver down" tests). */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
