// Which event types exist and what each must carry: taken from Seam's own published zod schema
// (`schemas.seam_event` in @seamapi/types), so that upgrading that package is how the server
// learns new types.

import { schemas } from '@seamapi/types/connect'
import type { AnyZodObject } from 'zod'

import { z } from './documented-zod.ts'

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

/** Seam's event object, as the API reference shows it in responses: its `Event` component. */
export function documentedEventSchema() {
  documentedEvent ??= seamEventSchema.openapi('Event')
  return documentedEvent
}
let documentedEvent: ReturnType<typeof seamEventSchema.openapi> | undefined

/**
 * An event as /events/publish takes it, for the API reference: Seam's schema of its type with the
 * fields the server sets made optional, as the publish parser checks it. Built on first use: a
 * hundred object copies that only the API reference needs.
 */
export function documentedPublishedEventSchema() {
  if (documentedPublishedEvent === undefined) {
    const [first, ...rest] = (seamEventSchema.options as readonly AnyZodObject[]).map((option) =>
      option.partial({ event_id: true, workspace_id: true, created_at: true, occurred_at: true }),
    ) as z.ZodDiscriminatedUnionOption<'event_type'>[]
    if (first === undefined) throw new Error('@seamapi/types lists no event types')
    documentedPublishedEvent = z
      .discriminatedUnion('event_type', [first, ...rest])
      .openapi('PublishedEvent', {
        description:
          'An event of one of Seam\'s types, as Seam\'s schema of that type has it; event_id, ' +
          'workspace_id, created_at and occurred_at may be left out (the server sets them).',
      })
  }
  return documentedPublishedEvent
}
let documentedPublishedEvent: z.ZodTypeAny | undefined
