// `seam-events seed`: the history of a simulated fleet written straight into a database, spread
// over the last D days: the same fleet (src/domain/fleet/) and the same events `simulate`
// publishes with that seed and number of devices, each made into a draft by the publish
// validation itself (so it is what a publish would have stored), with its occurred_at and
// created_at at the moment it happened.

import { randomInt, randomUUID } from 'node:crypto'

import type { Command } from 'commander'

import { createFleet, maxFleetDevices } from '../domain/fleet/fleet.ts'
import { fleetEvents } from '../domain/fleet/fleet-events.ts'
import { maxEventsPerPublish, parsePublishRequest } from '../domain/publish-events.ts'
import type { Store } from '../store/store.ts'
import { CliError, databaseOptionHelp, printResult, withStore, type DatabaseOption } from './database-command.ts'
import { HistoryWriter } from './event-history.ts'
import { parseNumberOption } from './number-option.ts'
import { createProgress } from './progress.ts'
import { defaultDevices } from './simulate.ts'

interface SeedOptions extends DatabaseOption {
  workspace: string
  days: string
  events: string
  devices: string
  seed?: string
  append?: boolean
  json?: boolean
}

const dayMs = 24 * 60 * 60 * 1000
export const maxSeedEvents = 100_000_000

export function registerSeedCommand(program: Command): void {
  program
    .command('seed')
    .description(
      "Write a simulated fleet's history into a workspace, spread over the last --days days (the fleet and events " +
        '`simulate --seed N --devices D` publishes), straight into the database; no webhook deliveries are queued',
    )
    .requiredOption('--workspace <workspace_id>', 'the workspace (see "seam-events workspaces list")')
    .requiredOption('--days <days>', 'spread the events over this many days before now (at most the workspace\'s retention)')
    .requiredOption('--events <n>', 'how many events')
    .option('--devices <n>', `devices in the fleet, 1 to ${maxFleetDevices.toLocaleString('en-US')}`, String(defaultDevices))
    .option('--seed <n>', 'the same seed gives the same fleet and the same events (default: a random one, printed)')
    .option('--append', 'add to a workspace that already has events (refused otherwise)')
    .option('--json', 'print a summary as one JSON object')
    .option('--database <url>', databaseOptionHelp)
    .action(async (options: SeedOptions) => {
      const days = parseNumberOption('--days', options.days, { above: 0 })
      const events = parseNumberOption('--events', options.events, { integer: true, min: 1, max: maxSeedEvents })
      const devices = parseNumberOption('--devices', options.devices, { integer: true, min: 1, max: maxFleetDevices })
      const seed =
        options.seed === undefined
          ? randomInt(0, 2 ** 31)
          : parseNumberOption('--seed', options.seed, { integer: true, min: 0, max: Number.MAX_SAFE_INTEGER })
      await withStore(options, async (store) => {
        const summary = await seedHistory(store, options.workspace, { days, events, devices, seed, append: options.append === true })
        const families = Object.entries(summary.families).sort(([, a], [, b]) => b - a)
        printResult(options.json === true, summary, [
          `Seeded ${summary.events.toLocaleString('en-US')} events over ${days} days into workspace ${summary.workspace_id} ` +
            `in ${summary.seconds} s (${summary.events_per_second.toLocaleString('en-US')} events/s; seed ${seed}, ${devices} devices).`,
          `  ${families.map(([family, count]) => `${family} ${count}`).join(', ')}`,
          `Go on live with: seam-events simulate --seed ${seed} --devices ${devices}`,
        ])
      })
    })
}

export interface SeedSettings {
  days: number
  events: number
  devices: number
  seed: number
  append: boolean
  /** Default now. */
  now?: number
  /** Show progress on stderr (default true). */
  progress?: boolean
}

export interface SeedSummary {
  workspace_id: string
  seed: number
  devices: number
  days: number
  events: number
  /** The first and last created_at written. */
  from: string | null
  to: string | null
  seconds: number
  events_per_second: number
  families: Record<string, number>
  event_types: Record<string, number>
}

export async function seedHistory(store: Store, workspaceId: string, settings: SeedSettings): Promise<SeedSummary> {
  const workspace = await store.workspaces.getWorkspace(workspaceId)
  if (workspace === undefined) throw new CliError(`No workspace ${workspaceId}; see "seam-events workspaces list"`)
  if (settings.days > workspace.event_retention_days) {
    // Older events would be hidden at once, and removed by the next retention pass.
    throw new CliError(
      `--days ${settings.days} is more than the ${workspace.event_retention_days} days workspace ${workspaceId} keeps events: ` +
        `give at most ${workspace.event_retention_days}, or raise it with "seam-events workspaces update --retention-days"`,
    )
  }
  if (!settings.append && (await store.events.newestEventPosition(workspaceId)) !== null) {
    throw new CliError(`workspace ${workspaceId} already has events: give --append to add history to them`)
  }
  const now = settings.now ?? Date.now()
  const spanMs = settings.days * dayMs
  const fleet = createFleet({ seed: settings.seed, devices: settings.devices })
  const generator = fleetEvents(fleet, { start: now - spanMs, intervalMs: spanMs / settings.events })
  const progress = settings.progress === false ? undefined : createProgress({ unit: 'events', total: settings.events })
  const writer = new HistoryWriter(store.events, (counts) => progress?.update(counts.stored + counts.already_stored))
  const summary: SeedSummary = {
    workspace_id: workspaceId,
    seed: settings.seed,
    devices: settings.devices,
    days: settings.days,
    events: 0,
    from: null,
    to: null,
    seconds: 0,
    events_per_second: 0,
    families: {},
    event_types: {},
  }
  const startedAt = performance.now()
  try {
    while (summary.events < settings.events) {
      const batch: Record<string, unknown>[] = []
      while (batch.length < maxEventsPerPublish && summary.events + batch.length < settings.events) {
        const { event, at } = generator.next().value
        // The last slot ends at now; none is later, so no seeded event is in the future.
        batch.push({ ...event, event_id: randomUUID(), occurred_at: new Date(Math.min(at, now)).toISOString() })
      }
      // The publish validation itself: the snapshot lists and descriptions a publish fills in.
      const { drafts } = parsePublishRequest({ events: batch }, { allowUnknownEventTypes: false })
      for (const draft of drafts) {
        draft.created_at = draft.occurred_at
        summary.event_types[draft.event_type] = (summary.event_types[draft.event_type] ?? 0) + 1
        const family = draft.event_type.split('.')[0] as string
        summary.families[family] = (summary.families[family] ?? 0) + 1
      }
      summary.from ??= drafts[0]?.created_at ?? null
      summary.to = drafts.at(-1)?.created_at ?? summary.to
      summary.events += drafts.length
      await writer.write(workspaceId, drafts)
    }
    await writer.finish()
  } catch (error) {
    await writer.settle()
    throw error
  } finally {
    progress?.stop()
  }
  const seconds = (performance.now() - startedAt) / 1000
  summary.seconds = Math.round(seconds * 10) / 10
  summary.events_per_second = Math.round(summary.events / Math.max(seconds, 0.001))
  return summary
}
