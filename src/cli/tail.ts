// `seam-events tail`: follows GET /events/stream of a running server and prints each event as a
// line. A dropped connection is opened again with Last-Event-ID, so nothing is missed.

import { setTimeout as sleep } from 'node:timers/promises'

import type { Command } from 'commander'
import { createParser } from 'eventsource-parser'

import { resolveTailConfig, type TailConfig } from '../config.ts'
import { CliError } from './database-command.ts'
import { formatEventLine } from './event-line.ts'

interface TailOptions {
  endpoint?: string
  apiKey?: string
  eventTypes?: string[]
  eventType?: string
  deviceId?: string
  since?: string
  json?: boolean
}

export function registerTailCommand(program: Command): void {
  program
    .command('tail')
    .description("Print a workspace's events as they are published, from a running server")
    .option('--endpoint <url>', 'the server (SEAM_ENDPOINT, default http://127.0.0.1:$PORT or :3000)')
    .option('--api-key <key>', 'a key that can read (SEAM_API_KEY)')
    .option('--event-types <types...>', 'only these event types (space or comma separated)')
    .option('--event-type <type>', 'only this event type')
    .option('--device-id <id>', 'only events of this device')
    .option('--since <time>', 'first print the events since this time (ISO 8601), then follow')
    .option('--json', 'print each event as one JSON object per line, as the API returns it')
    .action(async (options: TailOptions) => {
      await tail(resolveTailConfig(options), options)
    })
}

/** Reconnect delay until the server sends its own (`retry:`). */
const defaultRetryMs = 2000

async function tail(config: TailConfig, options: TailOptions): Promise<void> {
  const url = new URL(`${config.endpoint}/events/stream`)
  const eventTypes = (options.eventTypes ?? []).flatMap((types) => types.split(',')).filter(Boolean)
  if (eventTypes.length > 0) url.searchParams.set('event_types', eventTypes.join(','))
  if (options.eventType !== undefined) url.searchParams.set('event_type', options.eventType)
  if (options.deviceId !== undefined) url.searchParams.set('device_id', options.deviceId)
  if (options.since !== undefined) url.searchParams.set('since', options.since)

  const stop = new AbortController()
  const onSignal = (): void => stop.abort()
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)

  let lastEventId: string | undefined
  let retryMs = defaultRetryMs
  let connectedOnce = false
  const parser = createParser({
    onEvent: (message) => {
      if (message.id !== undefined) lastEventId = message.id
      // Typed messages (the stream's `start`) only move the position.
      if (message.event !== undefined) return
      process.stdout.write(`${options.json === true ? message.data : readableLine(message.data)}\n`)
    },
    onRetry: (retry) => {
      retryMs = retry
    },
  })

  try {
    while (!stop.signal.aborted) {
      const headers: Record<string, string> = {
        authorization: `Bearer ${config.apiKey}`,
        accept: 'text/event-stream',
      }
      if (lastEventId !== undefined) headers['last-event-id'] = lastEventId
      let response: Response
      try {
        response = await fetch(url, { headers, signal: stop.signal })
      } catch (error) {
        if (stop.signal.aborted) return
        // A server that was never reached is a mistake to report; one that went away is
        // probably restarting.
        if (!connectedOnce) throw new CliError(`cannot reach ${config.endpoint}: ${reason(error)}`)
        process.stderr.write(`seam-events tail: cannot reach ${config.endpoint} (${reason(error)}); retrying\n`)
        await sleep(retryMs, undefined, { signal: stop.signal }).catch(() => {})
        continue
      }
      // 503: the server is shutting down, and another (or it, restarted) will answer.
      if (response.status === 503 && connectedOnce) {
        await response.body?.cancel()
        await sleep(retryMs, undefined, { signal: stop.signal }).catch(() => {})
        continue
      }
      if (!response.ok) throw new CliError(await errorMessage(response))
      if (!connectedOnce) process.stderr.write(`seam-events tail: following ${url.toString()} (Ctrl-C to stop)\n`)
      connectedOnce = true
      parser.reset()
      try {
        const decoder = new TextDecoder()
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          parser.feed(decoder.decode(chunk, { stream: true }))
        }
        if (!stop.signal.aborted) process.stderr.write('seam-events tail: the server ended the stream; reconnecting\n')
      } catch (error) {
        if (stop.signal.aborted) return
        process.stderr.write(`seam-events tail: connection lost (${reason(error)}); reconnecting\n`)
      }
      if (stop.signal.aborted) return
      await sleep(retryMs, undefined, { signal: stop.signal }).catch(() => {})
    }
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

function readableLine(data: string): string {
  let event: unknown
  try {
    event = JSON.parse(data)
  } catch {
    event = undefined
  }
  return formatEventLine(typeof event === 'object' && event !== null ? (event as Record<string, unknown>) : {})
}

/** Seam's error envelope as one line: its type and message. */
async function errorMessage(response: Response): Promise<string> {
  const text = await response.text()
  try {
    const { error } = JSON.parse(text) as { error: { type: string; message: string } }
    return `${response.status} ${error.type}: ${error.message}`
  } catch {
    return `${response.status} ${response.statusText}`
  }
}

function reason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error))
}
