// Events as history: a line of an export (one event exactly as events/list returns it) turned
// back into a draft the store writes with its own event_id, workspace_id, created_at and
// occurred_at (`seam-events import`, and `copy`, which moves the same JSON). Only the envelope
// is checked: the event was validated against its type's schema when it was first published,
// and history is kept as it happened, even where a newer catalog would no longer allow a value
// (README, "Events stored before an upgrade").

import { eventFilterColumns, type EventDraft } from '../store/store.ts'
import { eventTypePattern, serverSetEventFields } from './event-catalog.ts'
import { parseTimestamp } from './timestamps.ts'

export interface HistoricalEvent {
  workspace_id: string
  draft: EventDraft & { created_at: string; occurred_at: string }
}

/** A line that is not an event: what is wrong with it, in one sentence. */
export class HistoricalEventError extends Error {}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Parses one exported event (its JSON text); throws a HistoricalEventError naming the field. */
export function parseHistoricalEvent(json: string): HistoricalEvent {
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch (error) {
    throw new HistoricalEventError(`not JSON (${(error as Error).message})`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HistoricalEventError('not a JSON object')
  }
  const event = value as Record<string, unknown>
  const uuid = (field: string): string => {
    const id = event[field]
    if (typeof id !== 'string' || !uuidPattern.test(id)) throw new HistoricalEventError(`${field}: expected a uuid`)
    return id.toLowerCase()
  }
  const timestamp = (field: string): string => {
    const text = event[field]
    const parsed = typeof text === 'string' ? parseTimestamp(text) : undefined
    if (parsed === undefined) throw new HistoricalEventError(`${field}: expected an ISO 8601 timestamp`)
    return parsed.floor
  }
  const event_id = uuid('event_id')
  const workspace_id = uuid('workspace_id')
  const { event_type } = event
  if (typeof event_type !== 'string' || !eventTypePattern.test(event_type)) {
    throw new HistoricalEventError('event_type: expected a type such as "lock.unlocked"')
  }
  const created_at = timestamp('created_at')
  const occurred_at = timestamp('occurred_at')
  const fields: Record<string, unknown> = { ...event }
  for (const field of serverSetEventFields) delete fields[field]
  // What events/list filters on must be what a filter can ask for, as publish requires.
  for (const column of eventFilterColumns) {
    const filterValue = fields[column]
    if (filterValue !== undefined && filterValue !== null && typeof filterValue !== 'string') {
      throw new HistoricalEventError(`${column}: expected a string`)
    }
  }
  return { workspace_id, draft: { event_id, event_type, created_at, occurred_at, fields } }
}
