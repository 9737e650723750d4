// Which event types exist and what each must carry: taken from Seam's own published zod schema
// (`schemas.seam_event` in @seamapi/types), so that upgrading that package is how the server
// learns new types.

import { schemas } from '@seamapi/types/connect'
import type { AnyZodObject } from 'zod'

/** Fields every event has, which the server sets (or checks) itself. */
export const serverSetEventFields = [
  'event_id',
  'event_type',
  'workspace_id',
  'created_at',
  'occurred_at',
] as const

const seamEventSchema = schemas.seam_event

// passthrough(): fields that a newer Seam version added to a known type are kept, not silently
// dropped; the fields this version knows are still checked.
const schemaByEventType: ReadonlyMap<string, AnyZodObject> = new Map(
  seamEventSchema.options.map((option) => [
    option.shape.event_type.value as string,
    (option as AnyZodObject).passthrough(),
  ]),
)

export const knownEventTypes: readonly string[] = [...schemaByEventType.keys()]

export function isKnownEventType(eventType: string): boolean {
  return schemaByEventType.has(eventType)
}

export function eventSchemaFor(eventType: string): AnyZodObject | undefined {
  return schemaByEventType.get(eventType)
}

/** The shape of a type name that Seam has not published yet: `family.what_happened`. */
export const eventTypePattern = /^[a-z0-9_]+(\.[a-z0-9_]+)+$/
