// The live mode's feed: GET /events/stream read with fetch rather than EventSource, because
// EventSource cannot send an Authorization header and the key must never go into a URL.
// Reconnects with Last-Event-ID, so a dropped connection misses nothing.

import { createParser } from 'eventsource-parser'

import { ApiError, type Params, type SeamEvent, withoutEmpty } from './api.ts'

export type StreamState = 'connecting' | 'live' | 'reconnecting'

export interface StreamHandlers {
  onEvent(event: SeamEvent): void
  onState(state: StreamState): void
  /** A refusal (bad filter, revoked key): the stream stops and does not retry. */
  onFatal(error: ApiError): void
}

const maxBufferedCharacters = 4 * 1024 * 1024

/** Starts the stream; the returned function stops it. */
export function openEventStream(apiKey: string, filters: Params, handlers: StreamHandlers): () => void {
  const abort = new AbortController()
  let lastEventId: string | undefined
  let retryMs = 1000

  const search = new URLSearchParams()
  for (const [name, value] of Object.entries(withoutEmpty(filters))) {
    for (const item of Array.isArray(value) ? value : [value]) search.append(name, String(item))
  }

  const connectOnce = async (): Promise<void> => {
    const headers: Record<string, string> = {
      authorization: `Bearer ${apiKey}`,
      accept: 'text/event-stream',
    }
    if (lastEventId !== undefined) headers['last-event-id'] = lastEventId
    const response = await fetch(`/events/stream?${search.toString()}`, {
      headers,
      signal: abort.signal,
    })
    if (!response.ok || response.body === null) {
      const body = (await response.json().catch(() => null)) as { error?: { type: string; message: string } } | null
      const error = new ApiError(response.status, body?.error ?? { type: 'stream_error', message: `HTTP ${response.status}` })
      // Client errors will not get better by retrying; a restarting server will.
      if (response.status >= 400 && response.status < 500) throw error
      return
    }
    handlers.onState('live')
    const parser = createParser({
      maxBufferSize: maxBufferedCharacters,
      onEvent: (message) => {
        // Every id is a position to resume from, the opening `start` message's included.
        if (message.id !== undefined) lastEventId = message.id
        if (message.event !== undefined && message.event !== 'message') return
        try {
          handlers.onEvent(JSON.parse(message.data) as SeamEvent)
        } catch {
          // A message that is not an event is not ours to show.
        }
      },
      onRetry: (ms) => {
        retryMs = ms
      },
    })
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      parser.feed(value)
    }
  }

  void (async () => {
    handlers.onState('connecting')
    while (!abort.signal.aborted) {
      try {
        await connectOnce()
      } catch (error) {
        if (abort.signal.aborted) return
        if (error instanceof ApiError) {
          handlers.onFatal(error)
          return
        }
      }
      if (abort.signal.aborted) return
      handlers.onState('reconnecting')
      await new Promise((resolve) => setTimeout(resolve, retryMs))
    }
  })()

  return () => abort.abort()
}
