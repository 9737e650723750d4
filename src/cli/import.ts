// `seam-events import`: reads NDJSON (what `export` writes: one event per line exactly as
// events/list returns it) from a file or stdin and stores each event with its own event_id,
// workspace_id, created_at and occurred_at, in batches of consecutive events of one workspace,
// each all or nothing, through the store's publish path as history (no webhook deliveries; see
// the README). An event_id the workspace already has is skipped, so running it again, or after a
// failure, stores each event once. Lines are read with node:readline, which splits a stream
// into lines for us and handles \r\n and a last line without a newline.

import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'

import type { Command } from 'commander'

import { HistoricalEventError, parseHistoricalEvent } from '../domain/event-history.ts'
import { maxEventRetentionDays, type EventDraft, type Store } from '../store/store.ts'
import { CliError, databaseOptionHelp, printResult, withStore, type DatabaseOption } from './database-command.ts'
import { HistoryWriter } from './event-history.ts'
import { parseNumberOption } from './number-option.ts'
import { createProgress, type Progress } from './progress.ts'

interface ImportOptions extends DatabaseOption {
  batchSize: string
  createWorkspaces?: boolean
  skipInvalid?: boolean
  json?: boolean
}

export const defaultImportBatchSize = 1000
const dayMs = 24 * 60 * 60 * 1000

export function registerImportCommand(program: Command): void {
  program
    .command('import')
    .description(
      'Read events as NDJSON (what `seam-events export` writes) from FILE or stdin and store them as they were: ' +
        'the same event_id, workspace_id, created_at and occurred_at; an event already stored is skipped, so it is ' +
        'safe to run again; no webhook deliveries are queued',
    )
    .argument('[file]', 'the NDJSON file, or - for stdin (the default)', '-')
    .option('--batch-size <n>', 'events per transaction (all or nothing each)', String(defaultImportBatchSize))
    .option('--create-workspaces', 'create a workspace the database does not have, with the id of its events (refused otherwise)')
    .option('--skip-invalid', 'report a line that is not an event and go on (default: report it and stop)')
    .option('--json', 'print a summary as one JSON object')
    .option('--database <url>', databaseOptionHelp)
    .action(async (file: string, options: ImportOptions) => {
      const batchSize = parseNumberOption('--batch-size', options.batchSize, { integer: true, min: 1, max: 100_000 })
      const input = file === '-' ? process.stdin : createReadStream(file)
      // A missing file is one line, before the database is opened.
      if (file !== '-') {
        await new Promise<void>((resolve, reject) => {
          input.once('readable', resolve)
          input.once('error', (error: NodeJS.ErrnoException) => reject(new CliError(`cannot read ${file}: ${error.code ?? error.message}`)))
        })
      }
      await withStore(options, async (store) => {
        const progress = createProgress({ unit: 'events' })
        let summary: ImportSummary
        try {
          summary = await importEvents(store, input, { batchSize, createWorkspaces: options.createWorkspaces === true, skipInvalid: options.skipInvalid === true, progress })
        } finally {
          progress.stop()
        }
        const lines = [
          `Imported ${summary.stored.toLocaleString('en-US')} events from ${summary.lines.toLocaleString('en-US')} lines in ${summary.seconds} s ` +
            `(${summary.events_per_second.toLocaleString('en-US')} events/s); ${summary.already_stored.toLocaleString('en-US')} were already stored.`,
          ...(summary.invalid_lines > 0 ? [`${summary.invalid_lines} lines were not events and were skipped (reported above).`] : []),
          ...(summary.workspaces_created.length > 0 ? [`Created workspaces ${summary.workspaces_created.join(', ')}.`] : []),
          ...(summary.older_than_retention > 0
            ? [
                `${summary.older_than_retention.toLocaleString('en-US')} events are older than their workspace keeps events: they are ` +
                  'stored but hidden from reads, and the next retention pass removes them (raise it with "seam-events workspaces update --retention-days").',
              ]
            : []),
        ]
        printResult(options.json === true, summary, lines)
        if (summary.stopped_at_line !== null) process.exitCode = 1
      })
    })
}

export interface ImportSettings {
  batchSize: number
  createWorkspaces: boolean
  skipInvalid: boolean
  progress?: Progress
}

export interface ImportSummary {
  lines: number
  stored: number
  already_stored: number
  invalid_lines: number
  /** The line of the first invalid event, where the import stopped (without --skip-invalid). */
  stopped_at_line: number | null
  workspaces_created: string[]
  older_than_retention: number
  seconds: number
  events_per_second: number
}

export async function importEvents(store: Store, input: NodeJS.ReadableStream, settings: ImportSettings): Promise<ImportSummary> {
  const { progress } = settings
  const startedAt = performance.now()
  const summary: ImportSummary = {
    lines: 0,
    stored: 0,
    already_stored: 0,
    invalid_lines: 0,
    stopped_at_line: null,
    workspaces_created: [],
    older_than_retention: 0,
    seconds: 0,
    events_per_second: 0,
  }
  /** Per workspace: the oldest created_at it shows (its retention), once known to exist. */
  const retainedSince = new Map<string, string>()
  const requireWorkspace = async (workspaceId: string, line: number): Promise<string> => {
    const known = retainedSince.get(workspaceId)
    if (known !== undefined) return known
    let workspace = await store.workspaces.getWorkspace(workspaceId)
    if (workspace === undefined) {
      if (!settings.createWorkspaces) {
        throw new CliError(
          `line ${line}: the database has no workspace ${workspaceId}; give --create-workspaces to create it ` +
            '(with that id), or move the whole installation with "seam-events copy"',
        )
      }
      workspace = { workspace_id: workspaceId, name: `Imported ${workspaceId}`, created_at: new Date().toISOString(), event_retention_days: maxEventRetentionDays }
      await store.installation.insertWorkspaceRows(workspaceId, { workspace, api_keys: [], webhooks: [], fanouts: [] })
      summary.workspaces_created.push(workspaceId)
    }
    const since = new Date(Date.now() - workspace.event_retention_days * dayMs).toISOString()
    retainedSince.set(workspaceId, since)
    return since
  }

  const writer = new HistoryWriter(store.events, (counts) => {
    summary.stored = counts.stored
    summary.already_stored = counts.already_stored
    progress?.update(counts.stored + counts.already_stored)
  })
  let batch: EventDraft[] = []
  let batchWorkspace: string | undefined
  let batchFirstLine = 0
  const flush = async () => {
    if (batch.length === 0 || batchWorkspace === undefined) return
    const [workspaceId, drafts, firstLine, lastLine] = [batchWorkspace, batch, batchFirstLine, summary.lines]
    batch = []
    await writer.write(workspaceId, drafts, (error) => batchError(error, firstLine, lastLine))
  }

  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })
  try {
    for await (const text of lines) {
      summary.lines += 1
      if (text.trim() === '') continue
      let parsed
      try {
        parsed = parseHistoricalEvent(text)
      } catch (error) {
        if (!(error instanceof HistoricalEventError)) throw error
        summary.invalid_lines += 1
        const report = `seam-events import: line ${summary.lines}: ${error.message}`
        if (progress === undefined) process.stderr.write(`${report}\n`)
        else progress.note(report)
        if (settings.skipInvalid) continue
        summary.stopped_at_line = summary.lines
        break
      }
      const { workspace_id, draft } = parsed
      if (workspace_id !== batchWorkspace || batch.length >= settings.batchSize) {
        await flush()
        batchWorkspace = workspace_id
        batchFirstLine = summary.lines
      }
      const retained = await requireWorkspace(workspace_id, summary.lines)
      if (draft.created_at < retained) summary.older_than_retention += 1
      batch.push(draft)
    }
    await flush()
    await writer.finish()
  } catch (error) {
    await writer.settle()
    throw error
  } finally {
    lines.close()
  }
  if (summary.stopped_at_line !== null) {
    process.stderr.write(
      `seam-events import: stopped at line ${summary.stopped_at_line}; the events before it are imported. Fix the line (or give ` +
        '--skip-invalid) and run it again: events already imported are skipped.\n',
    )
  }
  const seconds = (performance.now() - startedAt) / 1000
  summary.seconds = Math.round(seconds * 10) / 10
  summary.events_per_second = Math.round((summary.stored + summary.already_stored) / Math.max(seconds, 0.001))
  return summary
}

function batchError(error: unknown, firstLine: number, lastLine: number): CliError {
  const message = error instanceof Error ? error.message : String(error)
  return new CliError(
    `the batch of lines ${firstLine} to ${lastLine} was not stored (${message}); the batches before it are. ` +
      'Run it again once fixed: events already imported are skipped.',
  )
}
