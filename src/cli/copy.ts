// `seam-events copy`: a whole installation from one database to another, SQLite to PostgreSQL
// or back (or to another of the same kind). Per workspace: the workspace with its API keys (their
// hashes, so the same tokens authenticate), its webhooks (with their secrets, so receivers verify
// as before), its events (through the publish path as history: the same event_id, created_at
// and occurred_at, in commit order) and its pending deliveries with their attempts so far. The
// target must have no workspace; at the end every count is compared.

import type { Command } from 'commander'

import { parseHistoricalEvent } from '../domain/event-history.ts'
import { resolveDatabaseConfig } from '../config.ts'
import { describeDatabase, parseDatabaseUrl } from '../store/database-url.ts'
import type { Store } from '../store/store.ts'
import { CliError, databaseOptionHelp, openCommandStore, printResult } from './database-command.ts'
import { HistoryWriter } from './event-history.ts'
import { eventPages } from './export.ts'
import { createProgress } from './progress.ts'

interface CopyOptions {
  from: string
  to: string
  json?: boolean
}

const pageSize = 5000
const deliveryPageSize = 1000

export function registerCopyCommand(program: Command): void {
  program
    .command('copy')
    .description(
      'Copy a whole installation to another database (SQLite to PostgreSQL or back): workspaces, API keys (the same ' +
        'tokens keep working), webhooks with their secrets, events, and deliveries still pending. The target must ' +
        'have no workspace; stop the servers on the source first. Every count is checked at the end',
    )
    .requiredOption('--from <url>', `the source database: ${databaseOptionHelp.replace(/ \(DATABASE_URL.*$/, '')}`)
    .requiredOption('--to <url>', 'the target database, of either kind (a SQLite file is created if missing)')
    .option('--json', 'print a summary as one JSON object')
    .action(async (options: CopyOptions) => {
      const from = resolveDatabaseConfig({ database: options.from })
      const to = resolveDatabaseConfig({ database: options.to })
      if (describeDatabase(parseDatabaseUrl(from.databaseUrl)) === describeDatabase(parseDatabaseUrl(to.databaseUrl))) {
        throw new CliError('--from and --to are the same database')
      }
      const source = await openCommandStore(from.databaseUrl, { createIfMissing: false, queryTimeoutSeconds: from.queryTimeoutSeconds, sqliteReaders: from.sqliteReaders })
      try {
        const target = await openCommandStore(to.databaseUrl, { createIfMissing: true, queryTimeoutSeconds: to.queryTimeoutSeconds, sqliteReaders: to.sqliteReaders })
        try {
          const summary = await copyInstallation(source, target)
          printResult(options.json === true, summary, [
            `Copied ${summary.workspaces} workspaces, ${summary.api_keys} API keys, ${summary.webhooks} webhooks, ` +
              `${summary.events.toLocaleString('en-US')} events, ${summary.pending_deliveries} pending deliveries and ` +
              `${summary.pending_fanouts} publishes still to fan out in ${summary.seconds} s; ` +
              'every count matches.',
          ])
        } finally {
          await target.close()
        }
      } finally {
        await source.close()
      }
    })
}

export interface CopySummary {
  workspaces: number
  api_keys: number
  webhooks: number
  events: number
  pending_deliveries: number
  /** Publishes whose deliveries no worker had made yet: a worker on the target makes them. */
  pending_fanouts: number
  seconds: number
}

interface WorkspaceCounts {
  events: number
  api_keys: number
  webhooks: number
  pending_deliveries: number
  pending_fanouts: number
}

export async function copyInstallation(source: Store, target: Store): Promise<CopySummary> {
  const startedAt = performance.now()
  const existing = await target.workspaces.listWorkspaces()
  if (existing.length > 0) {
    throw new CliError(
      `the target already has ${existing.length} workspace${existing.length === 1 ? '' : 's'} (${existing[0]?.workspace_id}${existing.length > 1 ? ', ...' : ''}): ` +
        'copy into an empty database (a server started on it creates one at once: copy before serving it)',
    )
  }
  const workspaces = await source.workspaces.listWorkspaces()
  // Publishes no worker has fanned out yet become their deliveries first, as a read of them
  // would do: the copy then has them as pending deliveries (outbox rows written while the copy
  // runs are copied as rows).
  for (const { workspace_id } of workspaces) await source.deliveries.fanOutWorkspace(workspace_id)
  const sourceCounts = new Map<string, WorkspaceCounts>()
  for (const { workspace_id } of workspaces) sourceCounts.set(workspace_id, await countWorkspace(source, workspace_id))
  const totalEvents = [...sourceCounts.values()].reduce((sum, counts) => sum + counts.events, 0)

  const progress = createProgress({ unit: 'events', total: totalEvents })
  const writer = new HistoryWriter(target.events, (counts) => progress.update(counts.stored + counts.already_stored))
  try {
    for (const { workspace_id: workspaceId } of workspaces) {
      const rows = await source.installation.readWorkspaceRows(workspaceId)
      if (rows === undefined) continue
      await target.installation.insertWorkspaceRows(workspaceId, rows)
      for await (const page of eventPages(source, workspaceId, {}, pageSize)) {
        const drafts = page.map((event) => parseHistoricalEvent(event.json).draft)
        // Read on while this page is written.
        await writer.write(workspaceId, drafts)
      }
      await writer.finish()
      // Deliveries after the events: a worker on the target finds each delivery's event.
      for (let after: number | null = null; ; ) {
        const { deliveries, next } = await source.installation.readPendingDeliveries(workspaceId, after, deliveryPageSize)
        await target.installation.insertPendingDeliveries(workspaceId, deliveries)
        if (next === null) break
        after = next
      }
    }
  } catch (error) {
    await writer.settle()
    throw error
  } finally {
    progress.stop()
  }

  const mismatches: string[] = []
  for (const [workspaceId, expected] of sourceCounts) {
    const copied = await countWorkspace(target, workspaceId)
    for (const key of Object.keys(expected) as (keyof WorkspaceCounts)[]) {
      if (copied[key] !== expected[key]) mismatches.push(`workspace ${workspaceId}: ${key} ${expected[key]} in the source, ${copied[key]} in the target`)
    }
  }
  const targetWorkspaces = (await target.workspaces.listWorkspaces()).length
  if (targetWorkspaces !== workspaces.length) mismatches.push(`workspaces: ${workspaces.length} in the source, ${targetWorkspaces} in the target`)
  if (mismatches.length > 0) {
    throw new CliError(
      `the counts differ (was the source written to during the copy?):\n  ${mismatches.join('\n  ')}\n` +
        'Empty the target and copy again once no server writes to the source.',
    )
  }
  const sum = (key: keyof WorkspaceCounts) => [...sourceCounts.values()].reduce((total, counts) => total + counts[key], 0)
  return {
    workspaces: workspaces.length,
    api_keys: sum('api_keys'),
    webhooks: sum('webhooks'),
    events: totalEvents,
    pending_deliveries: sum('pending_deliveries'),
    pending_fanouts: sum('pending_fanouts'),
    seconds: Math.round((performance.now() - startedAt) / 100) / 10,
  }
}

/** What a workspace has: its events as events/list counts them (the histogram's count, retention included). */
async function countWorkspace(store: Store, workspaceId: string): Promise<WorkspaceCounts> {
  const buckets = await store.events.countEventsByBucket(workspaceId, {}, 86_400)
  const rows = await store.installation.countWorkspaceRows(workspaceId)
  return { events: buckets.reduce((sum, bucket) => sum + bucket.count, 0), ...rows }
}
