// `seam-events simulate`: a fleet (src/domain/fleet/) publishing its events to a running server
// over HTTP, at a rate, until stopped or for a duration. Each event is published when its time
// comes, in batches (at most one request per 100 ms, at most 1,000 events each), in order. A
// 429 is waited out as its retry-after says; a 5xx or a network failure is retried with
// backoff. Each event gets its event_id before its first try, so a retry never stores it twice.

import { randomInt, randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'

import type { Command } from 'commander'

import { resolveClientConfig, type ClientConfig } from '../config.ts'
import { maxEventsPerPublish } from '../domain/publish-events.ts'
import { createFleet, maxFleetDevices, type Fleet } from '../domain/fleet/fleet.ts'
import { fleetEvents, type TimedEvent } from '../domain/fleet/fleet-events.ts'
import { ApiRequestError, publishEvents } from './api-client.ts'
import { CliError, printResult } from './database-command.ts'
import { parseNumberOption } from './number-option.ts'
import { createProgress, type Progress } from './progress.ts'
import { stopSignal } from './stop-signal.ts'

interface SimulateOptions {
  devices: string
  rate: string
  duration?: string
  seed?: string
  endpoint?: string
  apiKey?: string
  json?: boolean
}

export const defaultDevices = 20
export const defaultRate = 5
const maxRate = 100_000
/** Batches gather this long, so that a high rate is not one request per event. */
const minRequestGapMs = 100
/** Tries of one batch on server errors and network failures (waits for 429 are not counted). */
const maxAttempts = 10
const maxBackoffMs = 30_000

export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description(
      'Publish the events of a simulated fleet to a running server (locks with access codes, thermostats, ' +
        'noise sensors, doorbells, an access system with users and credentials, connected accounts), ' +
        'in plausible sequences, until stopped (Ctrl-C) or for --duration',
    )
    .option('--devices <n>', `devices in the fleet, 1 to ${maxFleetDevices.toLocaleString('en-US')}`, String(defaultDevices))
    .option('--rate <events_per_second>', `events published per second, on average (up to ${maxRate.toLocaleString('en-US')})`, String(defaultRate))
    .option('--duration <seconds>', 'stop after this long (default: run until stopped)')
    .option('--seed <n>', 'the same seed gives the same fleet and the same events (default: a random one, printed)')
    .option('--endpoint <url>', 'the server (SEAM_ENDPOINT, default http://127.0.0.1:$PORT or :3000)')
    .option('--api-key <key>', 'a key that can publish (SEAM_API_KEY)')
    .option('--json', 'at the end, print a summary as one JSON object')
    .action(async (options: SimulateOptions) => {
      await simulate(resolveClientConfig(options, undefined, 'publish'), options)
    })
}

export interface SimulationSummary {
  seed: number
  devices: number
  rate: number
  published: number
  seconds: number
  /** How often the server said 429 and was waited for. */
  rate_limited: number
  /** Batches tried again after a 5xx or a network failure. */
  retried: number
  families: Record<string, number>
  event_types: Record<string, number>
}

async function simulate(config: ClientConfig, options: SimulateOptions): Promise<void> {
  const devices = parseNumberOption('--devices', options.devices, { integer: true, min: 1, max: maxFleetDevices })
  const rate = parseNumberOption('--rate', options.rate, { above: 0, max: maxRate })
  const duration =
    options.duration === undefined ? undefined : parseNumberOption('--duration', options.duration, { above: 0 })
  const seed =
    options.seed === undefined
      ? randomInt(0, 2 ** 31)
      : parseNumberOption('--seed', options.seed, { integer: true, min: 0, max: Number.MAX_SAFE_INTEGER })
  // A duration publishes exactly the events of that many slots: a total the bar can show.
  const total = duration === undefined ? undefined : Math.max(1, Math.round(duration * rate))

  const fleet = createFleet({ seed, devices })
  process.stderr.write(
    `seam-events simulate: a fleet of ${devices} devices (seed ${seed}) publishing ${rate} events/s to ` +
      `${config.endpoint}${duration === undefined ? '' : ` for ${duration} s`} (Ctrl-C to stop)\n`,
  )

  const stop = stopSignal()
  const progress = createProgress({ unit: 'events', total })
  const startedAt = Date.now()
  const summary: SimulationSummary = {
    seed,
    devices,
    rate,
    published: 0,
    seconds: 0,
    rate_limited: 0,
    retried: 0,
    families: {},
    event_types: {},
  }
  try {
    await publishFleet(config, fleet, { rate, total, signal: stop.signal, progress }, summary)
  } finally {
    progress.stop()
    stop.dispose()
  }
  summary.seconds = Math.round((Date.now() - startedAt) / 100) / 10
  const families = Object.entries(summary.families).sort(([, a], [, b]) => b - a)
  printResult(options.json === true, summary, [
    `Published ${summary.published.toLocaleString('en-US')} events in ${summary.seconds} s ` +
      `(seed ${seed}, ${devices} devices; again with --seed ${seed}).`,
    ...(families.length === 0 ? [] : [`  ${families.map(([family, count]) => `${family} ${count}`).join(', ')}`]),
  ])
}

export interface FleetRun {
  rate: number
  /** Stop after this many events (default: until `signal`). */
  total?: number | undefined
  signal: AbortSignal
  progress: Progress
}

/**
 * Publishes the fleet's events as their time comes, from now on, until `signal` or `total`,
 * counting them into `summary` (`simulate`, and `demo` after its history).
 */
export async function publishFleet(config: ClientConfig, fleet: Fleet, { rate, total, signal, progress }: FleetRun, summary: SimulationSummary): Promise<void> {
  const startedAt = Date.now()
  const events = fleetEvents(fleet, { start: startedAt, intervalMs: 1000 / rate })
  let next = events.next().value
  let lastRequestAt = 0
  while (!signal.aborted && (total === undefined || summary.published < total)) {
    const now = Date.now()
    const waitMs = Math.max(next.at - now, lastRequestAt + minRequestGapMs - now)
    if (waitMs > 0) {
      await sleep(waitMs, undefined, { signal }).catch(() => {})
      continue
    }
    const batch: TimedEvent[] = []
    while (
      batch.length < maxEventsPerPublish &&
      next.at <= now &&
      (total === undefined || summary.published + batch.length < total)
    ) {
      batch.push(next)
      next = events.next().value
    }
    lastRequestAt = now
    const published = await publishWithRetries(config, batch, summary, progress, signal)
    if (!published) break
    summary.published += batch.length
    for (const { event } of batch) {
      const type = event['event_type'] as string
      const family = type.split('.')[0] as string
      summary.event_types[type] = (summary.event_types[type] ?? 0) + 1
      summary.families[family] = (summary.families[family] ?? 0) + 1
    }
    progress.update(summary.published)
  }
}

/**
 * Publishes one batch, waiting out 429s and retrying failures; false when stopped before it was
 * acknowledged (a batch in flight when the stop came is still waited for).
 */
async function publishWithRetries(
  config: ClientConfig,
  batch: readonly TimedEvent[],
  summary: SimulationSummary,
  progress: Progress,
  stopped: AbortSignal,
): Promise<boolean> {
  // Ids and times are fixed once, so that every try sends the same events.
  const payload = batch.map(({ event, at }) => ({ ...event, event_id: randomUUID(), occurred_at: new Date(at).toISOString() }))
  for (let attempt = 1; ; ) {
    try {
      await publishEvents(config, payload)
      return true
    } catch (error) {
      if (!(error instanceof ApiRequestError) || !error.retryable) throw error
      // A server that never answered is a wrong endpoint, not an outage to wait out.
      if (error.status === null && summary.published === 0 && summary.retried === 0) throw error
      let waitMs: number
      if (error.status === 429) {
        summary.rate_limited += 1
        waitMs = error.retryAfterMs ?? 1000
        progress.note(`seam-events simulate: rate limited (429); waiting ${waitMs / 1000} s as the server asks`)
      } else {
        if (attempt >= maxAttempts) throw new CliError(`gave up after ${attempt} tries: ${error.message}`)
        summary.retried += 1
        waitMs = error.retryAfterMs ?? Math.min(maxBackoffMs, 500 * 2 ** (attempt - 1))
        attempt += 1
        progress.note(`seam-events simulate: ${error.message}; trying again in ${waitMs / 1000} s (try ${attempt} of ${maxAttempts})`)
      }
      await sleep(waitMs, undefined, { signal: stopped }).catch(() => {})
      if (stopped.aborted) return false
    }
  }
}
