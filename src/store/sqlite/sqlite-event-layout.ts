// SQLite's lean event layout (migration 8): every index entry of the events table repeats the
// workspace, created_at and one id, and with the wire's text those were two 36-byte UUIDs and a
// 24-byte timestamp. So the table keys events by
// - workspace_key, a small integer of the workspaces row (assigned by a trigger on insert);
// - created_at as milliseconds since the epoch (INTEGER), which sorts as the ISO text did;
// - event_id, and each filter column's value, as 16 bytes where it is a canonical (lowercase)
//   UUID, which every event_id is, and as its text otherwise: the mapping is one to one, so
//   equality means what it meant on the text, and a BLOB never equals a TEXT.
// occurred_at is not a column: nothing queries it, and the event's JSON carries it.
// The direct insert of the same rows was 1.6x faster so (docs/benchmarks.md). The wire does not
// change: events are stored and listed as the same JSON text, and ids and times are given back as
// the text they were.

// The threads import this module (the group commit writes rows with storedEventColumns, reads
// finish with decodeEventKeys), so it holds no Kysely: the EventLayout the shared queries use is
// sqliteEventLayout in sqlite-dialect.ts, on the main thread alone. Kysely in each of three
// threads cost about 290 ms of start-up and 30 MB of RSS.

import { eventFilterColumns, type EventFilterColumn } from '../store.ts'

export const canonicalUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** The GLOB of a canonical UUID, for the migration's SQL: the same strings as canonicalUuid. */
const canonicalUuidGlob = [8, 4, 4, 4, 12].map((length) => '[0-9a-f]'.repeat(length)).join('-')

/** An event_id or a filter column's value as stored: a canonical UUID as its 16 bytes, anything else as it is. */
export function storedId<T extends string | null>(value: T): Buffer | T {
  return value !== null && canonicalUuid.test(value) ? Buffer.from(value.replaceAll('-', ''), 'hex') : value
}

/** A created_at as stored: milliseconds since the epoch. */
export function storedTime(iso: string): number {
  const ms = Date.parse(iso)
  if (!Number.isFinite(ms)) throw new Error(`created_at ${JSON.stringify(iso)} is not a time`)
  return ms
}

/** An event's row as the events table stores it (the columns of the group commit's insert). */
export function storedEventColumns(
  workspaceKey: number,
  event: { event_id: string; event_type: string; created_at: string; json: string; filterValues: Readonly<Record<EventFilterColumn, string | null>> },
): Record<string, unknown> {
  const row: Record<string, unknown> = {
    workspace_key: workspaceKey,
    event_id: storedId(event.event_id),
    event_type: event.event_type,
    created_at: storedTime(event.created_at),
    json: event.json,
  }
  for (const column of eventFilterColumns) row[column] = storedId(event.filterValues[column])
  return row
}

/** SQL: an id as stored (storedId, in SQL). */
export function storedIdSql(text: string): string {
  return `CASE WHEN ${text} GLOB '${canonicalUuidGlob}' THEN unhex(replace(${text}, '-', '')) ELSE ${text} END`
}

/** SQL: an ISO 8601 created_at as stored (storedTime, in SQL), for the migration. */
export function storedTimeSql(text: string): string {
  return `CAST(round(unixepoch(${text}, 'subsec') * 1000) AS INTEGER)`
}

/**
 * Marks a statement whose event_id and created_at the thread that runs it turns into the wire's
 * text (decodeEventKeys) before its rows leave the thread. SQLite's own conversion (hex() with
 * dashes, strftime) doubled the time of a 50-event page at 1,000,000 events (81 µs without it,
 * 155-171 µs with it, 96-102 µs on the text layout); JavaScript does the same in about 35 µs.
 */
export const eventKeysMarker = '/* event keys */'

export function readsEventKeys(sql: string): boolean {
  return sql.includes(eventKeysMarker)
}

/**
 * In place: event_id from the hex() of the stored value (32 digits are a 16-byte id; any other
 * length, the bytes of an id stored as text) and created_at from milliseconds.
 */
export function decodeEventKeys(rows: unknown[]): void {
  for (const row of rows as Record<string, unknown>[]) {
    const hex = row['event_id']
    if (typeof hex === 'string') row['event_id'] = eventIdFromHex(hex)
    const time = row['created_at']
    if (typeof time === 'number') row['created_at'] = new Date(time).toISOString()
  }
}

export function eventIdFromHex(hex: string): string {
  return hex.length === 32
    ? `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`.toLowerCase()
    : Buffer.from(hex, 'hex').toString('utf8')
}
