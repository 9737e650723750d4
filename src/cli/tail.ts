// `seam-events tail`: follows GET /events/stream of a running server and prints each event as a
// line. A dropped connection is opened again with Last-Event-ID, so nothing is missed.

import type { Command } from 'commander'

import { resolveClientConfig, type ClientConfig } from '../config.ts'
import { formatEventLine } from './event-line.ts'
import { followEventStream } from './event-stream-follower.ts'
import { stopSignal } from './stop-signal.ts'

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
      await tail(resolveClientConfig(options, undefined, 'read'), options)
    })
}

async function tail(config: ClientConfig, options: TailOptions): Promise<void> {
  const params = new URLSearchParams()
  const eventTypes = splitList(options.eventTypes)
  if (eventTypes.length > 0) params.set('event_types', eventTypes.join(','))
  if (options.eventType !== undefined) params.set('event_type', options.eventType)
  if (options.deviceId !== undefined) params.set('device_id', options.deviceId)
  if (options.since !== undefined) params.set('since', options.since)

  const stop = stopSignal()
  try {
    const messages = followEventStream({
      config,
      params,
      signal: stop.signal,
      command: 'tail',
      onConnected: (url, first) => {
        if (first) process.stderr.write(`seam-events tail: following ${url.toString()} (Ctrl-C to stop)\n`)
      },
    })
    for await (const message of messages) {
      if (message.kind !== 'event') continue
      process.stdout.write(`${options.json === true ? message.data : readableLine(message.data)}\n`)
    }
  } finally {
    stop.dispose()
  }
}

/** `--event-types a,b c`: commander gives the space-separated words; each may hold commas. */
export function splitList(values: readonly string[] | undefined): string[] {
  return (values ?? []).flatMap((value) => value.split(',')).map((value) => value.trim()).filter(Boolean)
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
