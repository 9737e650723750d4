// GET /events/stream: a workspace's events as Server-Sent Events, live, resumable. Each message
// is one event: `id:` is its position (the same opaque form as a page cursor), `data:` its JSON
// exactly as events/list returns it. It cannot be a SeamRoute, whose handler answers with one
// JSON body, so it writes to the raw response itself once the request has been accepted.
//
// The first message is `event: start` with the stream's start position as its id and the key's
// `workspace_id` as data: EventSource's onmessage does not see it (it has a type), but it sets
// the client's last event id, so a client that loses the connection before any event arrives
// still resumes from where it started instead of from "now", which would skip what was
// published in between. The workspace id is how `seam-events listen` knows, before any event,
// which workspace it signs for (there is no route that says which workspace a key is of).

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

import { repeat, type Clock } from '../../../clock.ts'
import { SeamApiError } from '../../../domain/errors.ts'
import { eventStreamParamsSchema, parseEventStreamParams } from '../../../domain/list-events-params.ts'
import { encodePageCursor } from '../../../domain/page-cursor.ts'
import { beforeFirstEvent, type EventPosition, type StoredEvent } from '../../../store/store.ts'
import { authenticate, type RequiredAccess } from '../../authenticate.ts'
import type { EventStreamHub } from '../../event-stream-hub.ts'
import { collectParams } from '../../request-params.ts'
import { eventSchema } from '../../response-schemas.ts'
import type { DocumentedRoute, RouteContext } from '../../route.ts'

export const eventStreamPath = '/events/stream'
export const eventStreamMethods = ['GET'] as const
/** What the stream's key must allow, when it opens and at every recheck. */
const eventStreamAccess: RequiredAccess = 'read'

/** Its entry in GET /openapi.json, beside the SeamRoutes. */
export const eventStreamDocs: DocumentedRoute = {
  path: eventStreamPath,
  methods: eventStreamMethods,
  access: eventStreamAccess,
  docs: {
    tag: 'events',
    summary: 'Follow events live (Server-Sent Events)',
    description:
      'Ours, not Seam\'s: the workspace\'s events as they are published, with the filters of ' +
      'events/list. Each message is one event: `id:` its position, `data:` its JSON exactly as ' +
      'events/list returns it, on one line, no `event:` field. The first message, `event: start` ' +
      'with `data: {"workspace_id": ...}` (the key\'s workspace), carries the position the stream ' +
      'starts from. Without `since` it sends ' +
      'what is published after it opened; with `since` it replays from then, oldest first, then ' +
      'goes live. Resume with the `Last-Event-ID` header (or `last_event_id`): exactly the events ' +
      'after it, then live ones, on any API node. A `: heartbeat` comment comes every 15 s. ' +
      '`between`, `limit`, `page_cursor` and `unstable_offset` are refused.',
    params: eventStreamParamsSchema,
    response: eventSchema,
    responseMediaType: 'text/event-stream',
  },
}

export interface EventStreamOptions {
  heartbeatMs: number
  /**
   * Streams read on this often even without a wakeup (EventStreamHub: a notification can be
   * lost, and on SQLite another process's publishes send none), and recheck their key.
   */
  pollMs: number
}

/** Events read and written at a time; a replay of a long backlog goes in steps of this many. */
const batchSize = 500
/** The reconnect delay EventSource clients are told to use. */
const retryMs = 2000

export function registerEventStreamRoute(
  app: FastifyInstance,
  context: RouteContext,
  hub: EventStreamHub,
  options: EventStreamOptions,
): void {
  app.route({
    method: [...eventStreamMethods],
    url: eventStreamPath,
    // A HEAD request would open a stream with no body to send it in.
    exposeHeadRoute: false,
    handler: async (request, reply) => {
      // Until the headers are sent, every failure is an ordinary Seam error response.
      const apiKey = await context.admit(request, eventStreamAccess)
      const lastEventIdHeader = request.headers['last-event-id']
      const { filters, lastEventId, replay } = parseEventStreamParams(
        collectParams(request),
        Array.isArray(lastEventIdHeader) ? lastEventIdHeader[0] : lastEventIdHeader,
        context,
      )
      const workspaceId = apiKey.workspace_id
      // Streams with equal filters at the same position share their reads (EventStreamHub).
      const filtersKey = JSON.stringify(filters)
      const stream = new StreamState()
      const unregister = await hub.open(workspaceId, stream)
      let start: EventPosition
      try {
        // Taken after wakeups are live and before the headers go out: a client that has seen
        // the headers and then publishes is sure to receive its event.
        start =
          lastEventId ??
          (replay ? beforeFirstEvent : await context.store.events.newestEventPosition(workspaceId)) ??
          beforeFirstEvent
      } catch (error) {
        unregister()
        throw error
      }
      reply.hijack()
      void sendEvents(request, reply, {
        workspaceId,
        stream,
        unregister,
        start,
        read: (after) =>
          hub.readShared(workspaceId, `${filtersKey}\n${after.created_at}\n${after.event_id}`, () =>
            context.store.events.listEventsAfter(workspaceId, filters, after, batchSize),
          ),
        // A key revoked while its stream is open is refused from then on, as on every request:
        // the stream ends, and the client's reconnect gets the 401.
        stillAuthorized: () =>
          authenticate(context.store.workspaces, request, eventStreamAccess).then(
            () => true,
            (error: unknown) => !(error instanceof SeamApiError),
          ),
        ...options,
        clock: context.clock,
      })
    },
  })
}

type EndedBy = 'client' | 'server' | 'error' | 'unauthorized'

/** The part of a stream the hub drives: wakeups, and the end at shutdown. */
class StreamState {
  /** Events may be waiting: set by a wakeup, cleared when a read starts. */
  pending = true
  ended: EndedBy | undefined
  #waiter: (() => void) | undefined
  #onEnd: (() => void) | undefined

  wake(): void {
    this.pending = true
    this.#release()
  }

  end(): void {
    this.finish('server')
  }

  finish(reason: EndedBy): void {
    if (this.ended !== undefined) return
    this.ended = reason
    this.#onEnd?.()
    this.#release()
  }

  /** Calls `onEnd` once, when the stream ends for whatever reason. */
  onEnd(onEnd: () => void): void {
    this.#onEnd = onEnd
  }

  /** Resolves at the next wakeup or end, at once if one is already due. */
  async next(): Promise<void> {
    if (this.pending || this.ended !== undefined) return
    await new Promise<void>((resolve) => {
      this.#waiter = resolve
    })
  }

  #release(): void {
    const waiter = this.#waiter
    this.#waiter = undefined
    waiter?.()
  }
}

interface StreamRun {
  workspaceId: string
  stream: StreamState
  unregister: () => void
  start: EventPosition
  read: (after: EventPosition) => Promise<StoredEvent[]>
  /** False once the stream's key is revoked (or lost its scope). */
  stillAuthorized: () => Promise<boolean>
  heartbeatMs: number
  pollMs: number
  clock: Clock
}

async function sendEvents(
  request: FastifyRequest,
  reply: FastifyReply,
  { workspaceId, stream, unregister, start, read, stillAuthorized, heartbeatMs, pollMs, clock }: StreamRun,
): Promise<void> {
  const response = reply.raw
  let position = start
  let eventsSent = 0

  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    // nginx buffers responses unless told not to, which would hold events back.
    'x-accel-buffering': 'no',
    // The connection ends with the stream: a client reconnects with a new request anyway, and
    // a stream ended at shutdown must not leave a keep-alive socket that holds up the close.
    connection: 'close',
    'seam-request-id': request.id,
  })
  const startData = JSON.stringify({ workspace_id: workspaceId })
  response.write(`retry: ${retryMs}\n: stream open\n\nevent: start\nid: ${encodePageCursor(start)}\ndata: ${startData}\n\n`)

  const end = (): void => {
    if (response.writableEnded) return
    // A client that stopped reading would keep a graceful end waiting for its buffer to
    // drain, and the server's close with it: a stream the server ends with data still queued
    // is cut instead (the client resumes from its Last-Event-ID).
    if (stream.ended === 'server' && response.writableNeedDrain) response.destroy()
    else response.end()
  }
  stream.onEnd(end)
  response.on('close', () => stream.finish('client'))
  // A client that left while the stream was being set up: its 'close' has been and gone.
  if (response.socket === null || response.socket.destroyed) stream.finish('client')
  // A connection that fails (a reset) ends the stream by 'close'; unhandled, the error would
  // take the process down.
  response.on('error', () => stream.finish('client'))
  const heartbeat = repeat(clock, heartbeatMs, () => {
    // A stream that is waiting for 'drain' is not idle: its client is slow, not gone.
    if (stream.ended === undefined && !response.writableNeedDrain) response.write(': heartbeat\n\n')
  })
  // The hub reads on for every stream of the workspace each pollMs; here the key is checked.
  const keyCheck = repeat(clock, pollMs, () => {
    void stillAuthorized().then((authorized) => {
      if (!authorized) stream.finish('unauthorized')
    })
  })

  try {
    while (stream.ended === undefined) {
      await stream.next()
      stream.pending = false
      for (;;) {
        if (stream.ended !== undefined) break
        const events = await read(position)
        const last = events.at(-1)
        if (last === undefined || stream.ended !== undefined) break
        position = { created_at: last.created_at, event_id: last.event_id }
        eventsSent += events.length
        if (!response.write(messagesOf(events))) await drained(response)
        if (events.length < batchSize) break
      }
    }
  } catch (error) {
    // The headers are out, so no error body can follow: the stream ends, and the client
    // reconnects with its Last-Event-ID.
    request.log.error({ err: error }, 'event stream failed')
    stream.finish('error')
  } finally {
    heartbeat.cancel()
    keyCheck.cancel()
    unregister()
    end()
    request.log.info(
      {
        method: request.method,
        url: request.url,
        status_code: 200,
        response_time_ms: Math.round(reply.elapsedTime * 100) / 100,
        events_sent: eventsSent,
        ended_by: stream.ended,
      },
      'request',
    )
  }
}

/** The SSE text of a read, made once for all the streams that share the read. */
const messagesByRead = new WeakMap<readonly StoredEvent[], string>()

function messagesOf(events: readonly StoredEvent[]): string {
  let messages = messagesByRead.get(events)
  if (messages === undefined) {
    messages = events
      .map((event) => `id: ${encodePageCursor({ created_at: event.created_at, event_id: event.event_id })}\ndata: ${event.json}\n\n`)
      .join('')
    messagesByRead.set(events, messages)
  }
  return messages
}

function drained(response: FastifyReply['raw']): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      response.off('drain', done)
      response.off('close', done)
      resolve()
    }
    response.on('drain', done)
    response.on('close', done)
  })
}
