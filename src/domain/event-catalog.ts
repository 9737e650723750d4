// Which event types exist and what each must carry: taken from Seam's own published zod schema
// (`schemas.seam_event` in @seamapi/types), so that upgrading that package is how the server
// learns new types.

import { schemas } from '@seamapi/types/connect'
import type { AnyZodObject, ZodTypeAny } from 'zod'

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

/**
 * Names Seam used before renaming a type, with the type's current name. The only place that
 * knows them: filters and webhooks take an older name as the type it became (Seam's own early
 * API reference, in seeds/, filters on `noise_detection.detected_noise`). Publishing takes only
 * current names.
 */
export const renamedEventTypes: Readonly<Record<string, string>> = {
  'noise_detection.detected_noise': 'noise_sensor.noise_threshold_triggered',
}

/** The type an older name now has, or the name itself. */
export function currentEventTypeName(eventType: string): string {
  return Object.hasOwn(renamedEventTypes, eventType) ? (renamedEventTypes[eventType] as string) : eventType
}

/**
 * Every name the type of `eventType` has had, current first: what a filter on it matches. An
 * event stored under an older name (published with --allow-unknown-event-types) is the same
 * kind of event, so a filter on either name finds both.
 */
export function eventTypeNames(eventType: string): string[] {
  const current = currentEventTypeName(eventType)
  const older = Object.keys(renamedEventTypes).filter((name) => renamedEventTypes[name] === current)
  return [current, ...older]
}

/**
 * Lists of a type's required fields that are a snapshot of another object's state at the time
 * (`device_errors`, `connected_account_warnings`...): Seam fills them, with an empty list when
 * there is nothing to report. A device bridge often cannot know them, so publish fills an absent
 * one with `[]`, as Seam would, and every stored event still validates against the schema.
 */
export function listsFilledWhenAbsent(eventType: string): readonly string[] {
  return filledListsByEventType.get(eventType) ?? []
}

const snapshotListPattern = /_(errors|warnings)$/

const filledListsByEventType: ReadonlyMap<string, readonly string[]> = new Map(
  [...schemaByEventType].flatMap(([eventType, schema]) => {
    const lists = Object.entries(schema.shape as Record<string, ZodTypeAny>)
      .filter(([field, fieldSchema]) => snapshotListPattern.test(field) && isRequiredArray(fieldSchema))
      .map(([field]) => field)
    return lists.length === 0 ? [] : [[eventType, lists] as const]
  }),
)

function isRequiredArray(schema: ZodTypeAny): boolean {
  if (schema.isOptional()) return false
  let inner: ZodTypeAny = schema
  // Seam's schemas wrap fields in nothing else today; a wrapper they add must not hide a list.
  while (inner._def.typeName === 'ZodEffects' || inner._def.typeName === 'ZodNullable') {
    inner = (inner._def.schema ?? inner._def.innerType) as ZodTypeAny
  }
  return inner._def.typeName === 'ZodArray'
}

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
      option.partial({
        event_id: true,
        workspace_id: true,
        created_at: true,
        occurred_at: true,
        ...Object.fromEntries(
          listsFilledWhenAbsent(option.shape['event_type'].value as string).map((field) => [field, true]),
        ),
      }),
    ) as z.ZodDiscriminatedUnionOption<'event_type'>[]
    if (first === undefined) throw new Error('@seamapi/types lists no event types')
    documentedPublishedEvent = z
      .discriminatedUnion('event_type', [first, ...rest])
      .openapi('PublishedEvent', {
        description:
          'An event of one of Seam\'s types, as Seam\'s schema of that type has it; event_id, ' +
          'workspace_id, created_at and occurred_at may be left out (the server sets them), and ' +
          'so may the *_errors and *_warnings lists the schema requires (stored as []).',
      })
  }
  return documentedPublishedEvent
}
let documentedPublishedEvent: z.ZodTypeAny | undefined
