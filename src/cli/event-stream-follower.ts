// Follows GET /events/stream of a running server for `tail` and `listen`: the stream's messages
// one at a time, as an async generator, so that a consumer that takes its time with one (a
// forward and its retries) reads the next only when it is done. A dropped connection is opened
// again with Last-Event-ID, the id of the last message handed out, so nothing is missed or
// repeated.

import { setTimeout as sleep } from 'node:timers/promises'

import { createParser, type EventSourceMessage } from 'eventsource-parser'

import type { ClientConfig } from '../config.ts'
import { errorMessage, reason } from './api-client.ts'
import { CliError } from './database-command.ts'

export interface StreamMessage {
  /** `start` opens every connection (its data has the workspace id); `event` is one event. */
  kind: 'start' | 'event'
  id: string | undefined
  /** The event's JSON exactly as the server sent it (as /events/list returns it). */
  data: string
}

export interface FollowOptions {
  config: ClientConfig
  /** The stream's query: filters, `since`. */
  params: URLSearchParams
  /** Ends the stream: the generator then returns. */
  signal: AbortSignal
  /** The command, for the notes on stderr ("seam-events tail: connection lost; reconnecting"). */
  command: string
  /** Once per connection, when the server has accepted it. */
  onConnected?: (url: URL, first: boolean) => void
}

/** Reconnect delay until the server sends its own (`retry:`). */
const defaultRetryMs = 2000

export async function* followEventStream({
  config,
  params,
  signal,
  command,
  onConnected,
}: FollowOptions): AsyncGenerator<StreamMessage, void, undefined> {
  const url = new URL(`${config.endpoint}/events/stream`)
  url.search = params.toString()
  const note = (text: string): void => {
    process.stderr.write(`seam-events ${command}: ${text}\n`)
  }
  const pause = (ms: number): Promise<void> => sleep(ms, undefined, { signal }).catch(() => {})

  let lastEventId: string | undefined
  let retryMs = defaultRetryMs
  let connectedOnce = false
  const queue: EventSourceMessage[] = []
  const parser = createParser({
    onEvent: (message) => queue.push(message),
    onRetry: (retry) => {
      retryMs = retry
    },
  })

  while (!signal.aborted) {
    const headers: Record<string, string> = {
      authorization: `Bearer ${config.apiKey}`,
      accept: 'text/event-stream',
    }
    if (lastEventId !== undefined) headers['last-event-id'] = lastEventId
    let response: Response
    try {
      response = await fetch(url, { headers, signal })
    } catch (error) {
      if (signal.aborted) return
      // A server that was never reached is a mistake to report; one that went away is
      // probably restarting.
      if (!connectedOnce) throw new CliError(`cannot reach ${config.endpoint}: ${reason(error)}`)
      note(`cannot reach ${config.endpoint} (${reason(error)}); retrying`)
      await pause(retryMs)
      continue
    }
    // 503: the server is shutting down, and another (or it, restarted) will answer.
    if (response.status === 503 && connectedOnce) {
      await response.body?.cancel()
      await pause(retryMs)
      continue
    }
    if (!response.ok) throw new CliError(await errorMessage(response))
    onConnected?.(url, !connectedOnce)
    connectedOnce = true
    parser.reset()
    queue.length = 0
    try {
      const decoder = new TextDecoder()
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        parser.feed(decoder.decode(chunk, { stream: true }))
        while (queue.length > 0) {
          const message = queue.shift() as EventSourceMessage
          if (message.id !== undefined) lastEventId = message.id
          // Typed messages other than `start` are not ours to know: they only move the position.
          if (message.event === undefined) yield { kind: 'event', id: message.id, data: message.data }
          else if (message.event === 'start') yield { kind: 'start', id: message.id, data: message.data }
          if (signal.aborted) return
        }
      }
      if (!signal.aborted) note('the server ended the stream; reconnecting')
    } catch (error) {
      if (signal.aborted) return
      note(`connection lost (${reason(error)}); reconnecting`)
    }
    if (signal.aborted) return
    await pause(retryMs)
  }
}
