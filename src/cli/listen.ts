// `seam-events listen --forward-to URL`: like `stripe listen`, receives a workspace's events on
// an app running on the developer's machine. It follows GET /events/stream (reconnecting with
// Last-Event-ID, so a dropped stream resumes where it left off) and POSTs each event to the URL
// as a webhook delivery would be sent: the same body and signature headers, so the app verifies
// it with @seamapi/webhook as it will verify the server's deliveries.
//
// The CLI is the sender, so a URL on loopback or a private network needs no server setting
// (WEBHOOK_ALLOW_PRIVATE_TARGETS), and is not checked against private addresses: the person
// who runs it chooses where their own events go, from their own machine.

import type { Command } from 'commander'

import { resolveClientConfig, resolveUserConfigDir, type ClientConfig } from '../config.ts'
import { CliError, printResult } from './database-command.ts'
import { followEventStream } from './event-stream-follower.ts'
import { checkSecret, listenSecret, machineKey } from './listen-secret.ts'
import { stopSignal } from './stop-signal.ts'
import { splitList } from './tail.ts'
import { forwardEvent, type ForwardOutcome } from './webhook-forward.ts'

interface ListenOptions {
  forwardTo: string
  eventTypes?: string[]
  endpoint?: string
  apiKey?: string
  secret?: string
  printSecret?: boolean
  json?: boolean
}

export function registerListenCommand(program: Command): void {
  program
    .command('listen')
    .description(
      "Forward a workspace's events, as they are published, to a URL (an app on this machine) as signed " +
        'webhook deliveries, verifiable with @seamapi/webhook',
    )
    .requiredOption('--forward-to <url>', 'where to POST each event, such as http://localhost:8080/webhooks/seam')
    .option('--event-types <types...>', 'only these event types (space or comma separated)')
    .option('--endpoint <url>', 'the server (SEAM_ENDPOINT, default http://127.0.0.1:$PORT or :3000)')
    .option('--api-key <key>', 'a key that can read (SEAM_API_KEY)')
    .option(
      '--secret <secret>',
      'sign with this whsec_... secret (default: one derived for this workspace and machine, the same on every run)',
    )
    .option('--print-secret', 'print the signing secret on stdout and exit, without forwarding')
    .option('--json', 'print each forward as one JSON object per line')
    .action(async (options: ListenOptions) => {
      await listen(resolveClientConfig(options, undefined, 'read'), options)
    })
}

interface ForwardRecord extends ForwardOutcome {
  forwarded_at: string
  event_id: string
  event_type: string
}

async function listen(config: ClientConfig, options: ListenOptions): Promise<void> {
  const target = options.forwardTo
  if (!URL.canParse(target) || !/^https?:$/.test(new URL(target).protocol)) {
    throw new CliError(`--forward-to must be an http(s) URL, such as http://localhost:8080/webhooks/seam; got ${target}`)
  }
  const givenSecret = options.secret === undefined ? undefined : checkSecret(options.secret)
  const params = new URLSearchParams()
  const eventTypes = splitList(options.eventTypes)
  if (eventTypes.length > 0) params.set('event_types', eventTypes.join(','))

  const stop = stopSignal()
  let secret = givenSecret
  let started = false
  let forwarded = 0
  const lost: string[] = []
  const note = (text: string): void => {
    process.stderr.write(`seam-events listen: ${text}\n`)
  }
  try {
    const messages = followEventStream({ config, params, signal: stop.signal, command: 'listen' })
    for await (const message of messages) {
      if (message.kind === 'start') {
        // Every reconnection starts with one; only the first says anything.
        if (secret !== undefined && started) continue
        started = true
        const workspaceId = workspaceOf(message.data)
        if (secret === undefined) {
          if (workspaceId === undefined) {
            throw new CliError('this server does not say which workspace its stream is of (an older version?); pass --secret whsec_...')
          }
          secret = listenSecret(machineKey(resolveUserConfigDir()), workspaceId)
        }
        if (options.printSecret === true) {
          process.stdout.write(`${secret}\n`)
          return
        }
        // The secret first, then "forwarding": whoever waits for the latter has both.
        if (givenSecret === undefined) {
          note(`signing secret ${secret} (the same on every run for this workspace on this machine)`)
        }
        note(`forwarding the events of ${workspaceId === undefined ? "the key's workspace" : `workspace ${workspaceId}`} to ${target} (Ctrl-C to stop)`)
        continue
      }
      if (secret === undefined) throw new CliError('the server sent an event before its start message')
      const { event_id: eventId, event_type: eventType } = JSON.parse(message.data) as { event_id: string; event_type: string }
      const forwardedAt = new Date().toISOString()
      const outcome = await forwardEvent({
        url: target,
        secret,
        body: message.data,
        eventId,
        signal: stop.signal,
        onRetry: (text) => note(`${eventType} ${eventId}: ${text}`),
      })
      if (outcome.delivered) forwarded += 1
      else lost.push(eventId)
      printForward(options.json === true, { forwarded_at: forwardedAt, event_id: eventId, event_type: eventType, ...outcome })
    }
  } finally {
    stop.dispose()
    if (options.printSecret !== true) {
      note(
        `${forwarded} ${forwarded === 1 ? 'event' : 'events'} forwarded, ${lost.length} not forwarded` +
          (lost.length === 0 ? '' : ` (event_ids ${lost.join(', ')}; re-send them from /events/list)`),
      )
    }
  }
}

/** The workspace id of the stream's start message; undefined from a server too old to send it. */
function workspaceOf(startData: string): string | undefined {
  try {
    const { workspace_id: workspaceId } = JSON.parse(startData) as { workspace_id?: unknown }
    return typeof workspaceId === 'string' ? workspaceId : undefined
  } catch {
    return undefined
  }
}

/** One line per forward: when, the type, the status, how long, the event; why, when it failed. */
function printForward(json: boolean, record: ForwardRecord): void {
  const status = record.status_code === null ? '---' : String(record.status_code)
  const tries = record.tries > 1 ? `  (${record.tries} tries)` : ''
  const line = record.delivered
    ? `${record.forwarded_at}  ${record.event_type}  ${status}  ${record.duration_ms} ms  event_id=${record.event_id}${tries}`
    : `${record.forwarded_at}  ${record.event_type}  ${status}  ${record.duration_ms} ms  event_id=${record.event_id}  ` +
      `NOT FORWARDED after ${record.tries} ${record.tries === 1 ? 'try' : 'tries'}: ${record.error ?? 'failed'}`
  printResult(json, record, [line.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?')])
}
