// `seam-events export`: a workspace's events (or every workspace's) as NDJSON on stdout, one
// event per line exactly as events/list returns it (the stored JSON, byte for byte), oldest
// first, read in pages through the event log's own read of events after a position (the one
// /events/stream reads with: the same rows, filters and retention as events/list). Oldest first
// and in commit order, so that `import` of the file stores them in the same order, and
// events/list on the copy breaks ties of created_at as the original does.

import { once } from 'node:events'

import type { Command } from 'commander'

import { parseTimestamp } from '../domain/timestamps.ts'
import type { EventFilters, EventPosition, Store } from '../store/store.ts'
import { CliError, databaseOptionHelp, withStore, type DatabaseOption } from './database-command.ts'
import { createProgress } from './progress.ts'

interface ExportOptions extends DatabaseOption {
  workspace?: string
  since?: string
  until?: string
}

export const exportPageSize = 5000

export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description(
      'Write events as NDJSON to stdout, one event per line exactly as events/list returns it, oldest first ' +
        '(every workspace, one after the other, unless --workspace); `seam-events import` reads it back',
    )
    .option('--workspace <workspace_id>', 'only this workspace')
    .option('--since <time>', 'only events created at or after this ISO 8601 time')
    .option('--until <time>', 'only events created before this ISO 8601 time')
    .option('--database <url>', databaseOptionHelp)
    .action(async (options: ExportOptions) => {
      const filters: EventFilters = {}
      if (options.since !== undefined) filters.created_at_min = timeOption('--since', options.since)
      if (options.until !== undefined) filters.created_at_before = timeOption('--until', options.until)
      await withStore(options, async (store) => {
        const workspaceIds =
          options.workspace === undefined
            ? (await store.workspaces.listWorkspaces()).map((workspace) => workspace.workspace_id)
            : [await requireWorkspace(store, options.workspace)]
        const progress = createProgress({ unit: 'events' })
        let exported = 0
        try {
          for (const workspaceId of workspaceIds) {
            for await (const page of eventPages(store, workspaceId, filters)) {
              const text = page.map((event) => `${event.json}\n`).join('')
              if (!process.stdout.write(text)) await drainedOrClosed(process.stdout)
              exported += page.length
              progress.update(exported)
            }
          }
        } finally {
          progress.stop()
        }
        process.stderr.write(
          `seam-events export: ${exported.toLocaleString('en-US')} events of ${workspaceIds.length.toLocaleString('en-US')} workspace${workspaceIds.length === 1 ? '' : 's'}\n`,
        )
      })
    })
}

function timeOption(flag: string, text: string): string {
  const parsed = parseTimestamp(text)
  if (parsed === undefined) throw new CliError(`${flag} must be an ISO 8601 time such as 2024-05-01T00:00:00Z; got ${text}`)
  // Stored times are whole milliseconds: the first one at or after a sub-millisecond bound.
  return parsed.ceil
}

async function requireWorkspace(store: Store, workspaceId: string): Promise<string> {
  const workspace = await store.workspaces.getWorkspace(workspaceId)
  if (workspace === undefined) throw new CliError(`No workspace ${workspaceId}; see "seam-events workspaces list"`)
  return workspace.workspace_id
}

/** The workspace's events matching `filters`, oldest first, a page at a time. */
export async function* eventPages(store: Store, workspaceId: string, filters: EventFilters, pageSize = exportPageSize) {
  let after: EventPosition | null = null
  for (;;) {
    const page = await store.events.listEventsAfter(workspaceId, filters, after, pageSize)
    if (page.length > 0) yield page
    const last = page.at(-1)
    if (page.length < pageSize || last === undefined) return
    after = { created_at: last.created_at, event_id: last.event_id }
  }
}

/** Waits until stdout takes more; a reader that went away (`| head`) ends the export quietly. */
async function drainedOrClosed(stream: NodeJS.WriteStream): Promise<void> {
  await Promise.race([once(stream, 'drain'), once(stream, 'close')])
  if (stream.destroyed || stream.writableEnded) throw new CliError('stdout was closed before the export was done')
}
