// A raw Server-Sent Events connection for tests, read with eventsource-parser: it sees what a
// client sees on the wire (ids, comments, the retry hint), which EventSource hides.

import { createParser } from 'eventsource-parser'

export interface SseMessage {
  id: string | undefined
  event: string | undefined
  data: string
}

const deadlineMs = 15_000

export interface SseConnection {
  response: Response
  /** Messages of the default type: the events. */
  messages: SseMessage[]
  /** Messages with an `event:` type (the stream's `start`). */
  typed: SseMessage[]
  comments: string[]
  retry: number | undefined
  /** Resolves with the `count` messages after the `from`-th, once they have arrived. */
  take(count: number, from?: number): Promise<SseMessage[]>
  /** Resolves with the first message of type `type` once it has arrived. */
  waitForTyped(type: string): Promise<SseMessage>
  /** Resolves once a comment satisfies `predicate`. */
  waitForComment(predicate: (comment: string) => boolean): Promise<string>
  /** Resolves when the server ends the stream. */
  ended: Promise<void>
  close(): void
}

/**
 * Opens the stream and resolves once the response headers are in. A response that is not a
 * stream is returned as `response` with its body unread, for the caller to check the error.
 */
export async function openStream(
  url: string,
  { apiKey, lastEventId }: { apiKey?: string; lastEventId?: string } = {},
): Promise<SseConnection> {
  const controller = new AbortController()
  const headers = new Headers({ accept: 'text/event-stream' })
  if (apiKey !== undefined) headers.set('authorization', `Bearer ${apiKey}`)
  if (lastEventId !== undefined) headers.set('last-event-id', lastEventId)
  const response = await fetch(url, { headers, signal: controller.signal })

  const messages: SseMessage[] = []
  const typed: SseMessage[] = []
  const comments: string[] = []
  const listeners = new Set<() => void>()
  const changed = () => {
    for (const listener of [...listeners]) listener()
  }
  const connection: SseConnection = {
    response,
    messages,
    typed,
    comments,
    retry: undefined,
    take: (count, from = 0) =>
      waitFor(() => (messages.length >= from + count ? messages.slice(from, from + count) : undefined), () =>
        `${count} messages after ${from}; got ${messages.length}: ${JSON.stringify(messages)}`),
    waitForTyped: (type) =>
      waitFor(() => typed.find((message) => message.event === type), () => `"${type}" message; got ${JSON.stringify(typed)}`),
    waitForComment: (predicate) =>
      waitFor(() => comments.find(predicate), () => `a comment; got ${JSON.stringify(comments)}`),
    ended: Promise.resolve(),
    close: () => controller.abort(),
  }
  const waitFor = <T>(found: () => T | undefined, describe: () => string): Promise<T> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const value = found()
        if (value === undefined) return
        listeners.delete(check)
        clearTimeout(timer)
        resolve(value)
      }
      const timer = setTimeout(() => {
        listeners.delete(check)
        reject(new Error(`stream: no ${describe()} within ${deadlineMs} ms`))
      }, deadlineMs)
      listeners.add(check)
      check()
    })

  if (!(response.headers.get('content-type') ?? '').startsWith('text/event-stream') || response.body === null) {
    return connection
  }
  const parser = createParser({
    onEvent: (event) => {
      ;(event.event === undefined ? messages : typed).push({ id: event.id, event: event.event, data: event.data })
      changed()
    },
    onComment: (comment) => {
      comments.push(comment)
      changed()
    },
    onRetry: (retry) => {
      connection.retry = retry
    },
  })
  connection.ended = (async () => {
    const decoder = new TextDecoder()
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        parser.feed(decoder.decode(chunk, { stream: true }))
      }
    } catch (error) {
      if (!controller.signal.aborted) throw error
    }
  })()
  return connection
}
