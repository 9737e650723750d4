import { sql, type RawBuilder, type SqlBool } from 'kysely'
import { jsonArrayFrom } from 'kysely/helpers/sqlite'

import type { EventLayout } from '../event-layout.ts'
import { rawQuery, refOf, type Dialect } from '../relational/executor.ts'
import { canonicalUuid, eventIdFromHex, eventKeysMarker, storedTime } from './sqlite-event-layout.ts'

/** A 16-byte id as a parameter: its hex text, decoded in the statement (a constant, so index keys use it). */
function idBytes(uuid: string): RawBuilder<string> {
  return sql<string>`unhex(${uuid.replaceAll('-', '')})`
}

/** The lean layout of SQLite's events table (sqlite-event-layout.ts), for the shared queries. */
export const sqliteEventLayout: EventLayout = {
  inWorkspace: (query, workspaceId) =>
    query.where('events.workspace_key', '=', sql<number>`(SELECT workspace_key FROM workspaces WHERE workspace_id = ${workspaceId})`),
  time: (iso) => sql<string>`${storedTime(iso)}`,
  // A text that is not a canonical UUID stays text: it matches what was stored as text.
  eventId: (eventId) => (canonicalUuid.test(eventId) ? idBytes(eventId) : eventId),
  filterValue: (value) => (canonicalUuid.test(value) ? idBytes(value) : value),
  // Made text by the thread that reads them (decodeEventKeys).
  eventIdText: sql.raw<string>(`hex(events.event_id) ${eventKeysMarker}`),
  createdAtText: sql.raw<string>(`events.created_at ${eventKeysMarker}`),
  eventIdKey: sql.raw('hex(events.event_id)'),
  createdAtKey: sql.raw('events.created_at'),
  positionOf: ({ event_id, created_at }) => ({ event_id: eventIdFromHex(String(event_id)), created_at: new Date(Number(created_at)).toISOString() }),
  utcDay: sql.raw<string>(`strftime('%Y-%m-%d', events.created_at / 1000, 'unixepoch')`),
  minuteOfDay: sql.raw<number>('(events.created_at % 86400000) / 60000'),
}

/** SQLite: one writer at a time (no row locks), rowid, lean event keys, and lists as JSON (json_each). */
export const sqliteDialect: Dialect = {
  rowLocks: false,
  insertionOrder: 'rowid',
  events: sqliteEventLayout,
  isAnyOf: (ref, values) => sql<SqlBool>`${refOf(ref)} IN (SELECT value FROM json_each(${JSON.stringify(values)}))`,
  locked: (query) => query,
  jsonArrayFrom: (subquery) => jsonArrayFrom(subquery as never) as never,
  async insertRows(tx, table, rows) {
    if (rows.length === 0) return
    const columns = Object.keys(rows[0] as object)
    await tx.run(
      rawQuery(
        tx.db,
        sql`INSERT INTO ${sql.table(table)} (${sql.join(columns.map((column) => sql.ref(column)))})
            SELECT ${sql.join(columns.map((column) => sql`value ->> ${`$.${column}`}`))}
            FROM json_each(${JSON.stringify(rows)}) ORDER BY key`,
      ),
    )
  },
}
