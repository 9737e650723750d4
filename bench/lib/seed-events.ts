// Stores many events fast for the query workload: the rows the service would write for fleet
// events (built by the stores' own storedEventRow), with created_at spread evenly over the last
// `days` days, inserted by the driver in large transactions. Publishing a million events through HTTP would take most of the run; what the
// query workload measures is reading them.

import { randomUUID } from 'node:crypto'

import Database from 'better-sqlite3'
import pg from 'pg'

import { parsePublishRequest } from '../../src/domain/publish-events.ts'
import { openStore } from '../../src/store/open-store.ts'
import { storedEventColumns } from '../../src/store/sqlite/sqlite-event-layout.ts'
import { eventFilterColumns, storedEventRow, type EventFilterColumn } from '../../src/store/store.ts'
import { addDays, utcDay } from '../../src/store/utc-days.ts'
import { fleetEventTypes, type Fleet } from './fleet.ts'
import type { BenchDatabase } from './processes.ts'

export interface SeedOptions {
  workspaceId: string
  count: number
  days: number
  fleet: Fleet
  /** Called with each stored event's id and type, for a sample of them. */
  keepEvent?: (eventId: string) => void
}

const dayMs = 24 * 60 * 60 * 1000

export async function seedEvents(database: BenchDatabase, options: SeedOptions): Promise<void> {
  const writer = await openWriter(database, options.days)
  try {
    const descriptions = eventDescriptions(options.fleet)
    const start = Date.now() - options.days * dayMs
    const step = (options.days * dayMs) / options.count
    let batch: EventRow[] = []
    for (let i = 0; i < options.count; i++) {
      const event = options.fleet.event(i)
      const event_type = event['event_type'] as string
      const created_at = new Date(start + Math.floor(i * step)).toISOString()
      const event_id = randomUUID()
      const { event_type: _type, ...fields } = event
      fields['event_description'] = descriptions.get(event_type)
      const { json, filterValues } = storedEventRow(options.workspaceId, { event_id, event_type, fields }, created_at, created_at)
      const row = { workspace_id: options.workspaceId, event_id, event_type, created_at, json, filterValues }
      if (i % 997 === 0) options.keepEvent?.(event_id)
      batch.push(row)
      if (batch.length === 5000) {
        await writer.insert(batch)
        batch = []
      }
    }
    if (batch.length > 0) await writer.insert(batch)
  } finally {
    await writer.close()
  }
}

/** The description the server would write for each fleet type, from the real publish parser. */
function eventDescriptions(fleet: Fleet): Map<string, unknown> {
  const { drafts } = parsePublishRequest(
    { events: fleetEventTypes.map((_, index) => fleet.event(index)) },
    { allowUnknownEventTypes: false },
  )
  return new Map(drafts.map((draft) => [draft.event_type, draft.fields['event_description']]))
}

/** An event as storedEventRow makes it, for either backend's layout. */
interface EventRow {
  workspace_id: string
  event_id: string
  event_type: string
  created_at: string
  json: string
  filterValues: Record<EventFilterColumn, string | null>
}

interface RowWriter {
  insert(rows: readonly EventRow[]): Promise<void>
  close(): Promise<void>
}

const pgColumns = ['workspace_id', 'event_id', 'event_type', 'created_at', 'occurred_at', ...eventFilterColumns, 'json'] as const

async function openWriter(database: BenchDatabase, days: number): Promise<RowWriter> {
  if (database.backend === 'sqlite') {
    // Migrated by the build under test (createWorkspace), in its layout: the lean one of
    // sqlite-event-layout.ts, or the text columns of a build from before it.
    const db = new Database(database.url.slice('sqlite:'.length))
    db.pragma('journal_mode = WAL')
    // Seeding only: a crash here loses nothing anyone was promised.
    db.pragma('synchronous = OFF')
    const lean = db.prepare("SELECT 1 FROM pragma_table_info('events') WHERE name = 'workspace_key'").get() !== undefined
    const columns = lean
      ? ['workspace_key', 'event_id', 'event_type', 'created_at', ...eventFilterColumns, 'json']
      : ['workspace_id', 'event_id', 'event_type', 'created_at', 'occurred_at', ...eventFilterColumns, 'json']
    const insert = db.prepare(
      `INSERT INTO events (${columns.join(', ')}) VALUES (${columns.map((column) => `@${column}`).join(', ')})`,
    )
    const keyOf = lean ? db.prepare('SELECT workspace_key FROM workspaces WHERE workspace_id = ?').pluck() : undefined
    const insertAll = db.transaction((rows: readonly EventRow[]) => {
      for (const row of rows) {
        insert.run(
          keyOf !== undefined
            ? storedEventColumns(keyOf.get(row.workspace_id) as number, row)
            : { workspace_id: row.workspace_id, event_id: row.event_id, event_type: row.event_type, created_at: row.created_at, occurred_at: row.created_at, json: row.json, ...row.filterValues },
        )
      }
    })
    return {
      async insert(rows) {
        insertAll(rows)
      },
      async close() {
        db.pragma('wal_checkpoint(TRUNCATE)')
        db.pragma('optimize')
        db.close()
      },
    }
  }
  // Migrated, with a partition for every day of the spread.
  const store = await openStore(database.url)
  const today = utcDay(Date.now())
  await store.retention.prepareEventDays(Array.from({ length: days + 2 }, (_, index) => addDays(today, index - days - 1)))
  await store.close()
  const client = new pg.Client({ connectionString: database.url })
  await client.connect()
  return {
    async insert(rows) {
      const value = (row: EventRow, column: (typeof pgColumns)[number]): string | null =>
        column === 'occurred_at' ? row.created_at : column in row.filterValues ? row.filterValues[column as EventFilterColumn] : row[column as keyof Omit<EventRow, 'filterValues'>]
      await client.query(
        `INSERT INTO events (${pgColumns.join(', ')})
         SELECT * FROM UNNEST(${pgColumns.map((_, index) => `$${index + 1}::text[]`).join(', ')})`,
        pgColumns.map((column) => rows.map((row) => value(row, column))),
      )
    },
    async close() {
      // Autovacuum would analyze the new rows within minutes; the run should not wait for it.
      await client.query('ANALYZE events')
      await client.end()
    },
  }
}
