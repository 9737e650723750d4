// POST /events/publish: our extension (Seam has no public write path). Turns a producer's
// request body into drafts the store can write, or refuses the whole batch with every bad
// field named by event index.

import { v7 as timeOrderedUuid } from 'uuid'

import { eventFilterColumns, type EventDraft } from '../store/store.ts'
import {
  currentEventTypeName,
  eventSchemaFor,
  eventTypePattern,
  listsFilledWhenAbsent,
  serverSetEventFields,
} from './event-catalog.ts'
import { describeEvent } from './event-description.ts'
import { parseTimestamp } from './timestamps.ts'
import { invalidInput, type ValidationIssue } from './validation-errors.ts'

export const maxEventsPerPublish = 1000

export interface PublishOptions {
  allowUnknownEventTypes: boolean
}

export interface PublishRequest {
  drafts: EventDraft[]
  /** True when the body used the single-event form `{"event": {...}}`. */
  single: boolean
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

// Placeholders that satisfy Seam's schema for the fields the server fills in after validation.
const placeholderWorkspaceId = '00000000-0000-4000-8000-000000000000'
const placeholderTimestamp = '2000-01-01T00:00:00.000Z'

export function parsePublishRequest(body: unknown, options: PublishOptions): PublishRequest {
  if (!isPlainObject(body)) {
    throw invalidInput('Invalid request body', [
      { path: [], message: 'Expected a JSON object with "events" (an array) or "event"' },
    ])
  }
  const { events, event } = body
  if (events !== undefined && event !== undefined) {
    throw invalidInput('Invalid request body', [
      { path: ['event'], message: 'Give either "events" or "event", not both' },
    ])
  }
  if (event !== undefined) {
    try {
      return { drafts: [parseEvent(event, ['event'], options)], single: true }
    } catch (error) {
      if (error instanceof EventIssues) throw invalidInput('Invalid event; it was not stored', error.issues)
      throw error
    }
  }
  if (!Array.isArray(events)) {
    throw invalidInput('Invalid request body', [
      { path: ['events'], message: 'Required: an array of 1 to 1000 events (or one under "event")' },
    ])
  }
  if (events.length === 0 || events.length > maxEventsPerPublish) {
    throw invalidInput('Invalid request body', [
      {
        path: ['events'],
        message: `Must hold 1 to ${maxEventsPerPublish} events; got ${events.length}`,
      },
    ])
  }
  const issues: ValidationIssue[] = []
  const drafts: EventDraft[] = []
  events.forEach((candidate, index) => {
    try {
      drafts.push(parseEvent(candidate, ['events', index], options))
    } catch (error) {
      if (!(error instanceof EventIssues)) throw error
      issues.push(...error.issues)
    }
  })
  if (issues.length > 0) throw invalidInput('Invalid events; none were stored', issues)
  return { drafts, single: false }
}

/** Collects one event's issues so that a batch can report every bad event at once. */
class EventIssues extends Error {
  constructor(readonly issues: ValidationIssue[]) {
    super('invalid event')
  }
}

function parseEvent(
  candidate: unknown,
  path: readonly (string | number)[],
  options: PublishOptions,
): EventDraft {
  const issues: ValidationIssue[] = []
  const fail = (field: string | undefined, message: string): void => {
    issues.push({ path: field === undefined ? path : [...path, field], message })
  }
  if (!isPlainObject(candidate)) {
    fail(undefined, 'Expected an event object')
    throw new EventIssues(issues)
  }

  const { event_type, event_id, occurred_at } = candidate
  if (event_id !== undefined && (typeof event_id !== 'string' || !uuidPattern.test(event_id))) {
    fail('event_id', 'Invalid uuid')
  }
  let occurredAt: string | undefined
  if (occurred_at !== undefined) {
    const parsed = typeof occurred_at === 'string' ? parseTimestamp(occurred_at) : undefined
    if (parsed === undefined) fail('occurred_at', 'Invalid ISO 8601 timestamp')
    else occurredAt = parsed.floor
  }
  if (typeof event_type !== 'string') {
    fail('event_type', 'Required: a string such as "lock.unlocked"')
    throw new EventIssues(issues)
  }

  // Made here, a UUID of version 7: its first 48 bits are the time, so a new event's entry goes
  // at the end of the event_id index, where random ids dirtied pages all over it on every commit.
  const draftEventId = typeof event_id === 'string' ? event_id.toLowerCase() : timeOrderedUuid()
  const schema = eventSchemaFor(event_type)
  let fields: Record<string, unknown>
  if (schema !== undefined) {
    const given = withSnapshotListsFilled(event_type, candidate)
    const result = schema.safeParse({
      ...given,
      event_id: draftEventId,
      workspace_id: placeholderWorkspaceId,
      created_at: placeholderTimestamp,
      occurred_at: placeholderTimestamp,
    })
    if (!result.success) {
      for (const issue of result.error.issues) {
        issues.push({ path: [...path, ...issue.path], message: issue.message })
      }
    }
    // The fields as given, not as parsed: Seam's object schemas strip the keys they do not know
    // at every depth (an error's `is_bridge_error`, say, which the newest schema no longer
    // lists), and a producer's data is kept. Parsing changes nothing else: Seam's event schemas
    // have no defaults or transforms (test/catalog-current.test.ts checks that).
    fields = withoutServerSetFields(given)
  } else if (currentEventTypeName(event_type) !== event_type && !options.allowUnknownEventTypes) {
    fail(
      'event_type',
      `"${event_type}" is the name Seam used before it renamed the type: publish it as "${currentEventTypeName(event_type)}"`,
    )
    fields = {}
  } else if (!options.allowUnknownEventTypes) {
    fail(
      'event_type',
      `Unknown event type "${event_type}" (the server accepts unknown types only when started with --allow-unknown-event-types)`,
    )
    fields = {}
  } else {
    if (!eventTypePattern.test(event_type)) {
      fail('event_type', 'Expected a dotted lower-case type such as "lock.unlocked"')
    }
    fields = withoutServerSetFields(candidate)
    // Unknown types skip Seam's schema, but what gets indexed must still be what a filter can ask.
    for (const column of eventFilterColumns) {
      const value = fields[column]
      if (value === undefined || value === null) continue
      if (typeof value !== 'string') fail(column, 'Expected a string')
      else if (column !== 'customer_key' && !uuidPattern.test(value)) fail(column, 'Invalid uuid')
    }
  }
  if (issues.length > 0) throw new EventIssues(issues)

  const { event_description } = fields
  if (event_description === undefined || event_description === null || event_description === '') {
    fields['event_description'] = describeEvent({ ...fields, event_type })
  } else if (typeof event_description !== 'string') {
    throw new EventIssues([{ path: [...path, 'event_description'], message: 'Expected a string' }])
  }
  return { event_id: draftEventId, event_type, occurred_at: occurredAt, fields }
}

/** The event with each snapshot list it leaves out (listsFilledWhenAbsent) as `[]`, at the end. */
function withSnapshotListsFilled(
  eventType: string,
  event: Record<string, unknown>,
): Record<string, unknown> {
  const lists = listsFilledWhenAbsent(eventType).filter((field) => event[field] === undefined)
  if (lists.length === 0) return event
  return { ...event, ...Object.fromEntries(lists.map((field) => [field, []])) }
}

function withoutServerSetFields(event: Record<string, unknown>): Record<string, unknown> {
  const fields = { ...event }
  for (const field of serverSetEventFields) delete fields[field]
  return fields
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
