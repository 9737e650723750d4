// "Send test event": a signed sample event that a webhook's receiver, and the console, can tell
// from a real one. It is built from the catalog's sample of its type (event-examples.ts), with
// `is_test_event: true` in the signed body, and is delivered and recorded like any delivery; it
// is in no event log, so events/list never returns it.

import { randomUUID } from 'node:crypto'

import { eventTypeMatches } from '../store/event-type-patterns.ts'
import { currentEventTypeName, isKnownEventType, knownEventTypes } from './event-catalog.ts'
import { describeEvent } from './event-description.ts'
import { sampleEventFor } from './event-examples.ts'
import { invalidInput } from './validation-errors.ts'

/** The type a test event takes when none is asked for: one the webhook wants, lock.unlocked if it does. */
export function testEventTypeFor(patterns: readonly string[], requested: string | undefined): string {
  if (requested !== undefined) {
    const eventType = currentEventTypeName(requested)
    if (!isKnownEventType(eventType)) {
      throw invalidInput('Invalid parameters', [
        { path: ['event_type'], message: `Unknown event type "${requested}": a test event is a sample of a known type` },
      ])
    }
    return eventType
  }
  if (eventTypeMatches(patterns, 'lock.unlocked')) return 'lock.unlocked'
  // A webhook only of types this server does not know yet still gets a sample.
  return knownEventTypes.find((type) => eventTypeMatches(patterns, type)) ?? 'lock.unlocked'
}

export interface TestEvent {
  event_id: string
  event_type: string
  /** The body every attempt sends: the event as events/list would show it, marked as a test. */
  json: string
}

export function buildTestEvent(workspaceId: string, eventType: string, now: Date): TestEvent {
  const eventId = randomUUID()
  const at = now.toISOString()
  const fields = sampleEventFor(eventType)
  const event = {
    event_id: eventId,
    workspace_id: workspaceId,
    created_at: at,
    occurred_at: at,
    ...fields,
    event_type: eventType,
    event_description: `Test event: ${describeEvent({ ...fields, event_type: eventType })}`,
    is_test_event: true,
  }
  return { event_id: eventId, event_type: eventType, json: JSON.stringify(event) }
}
