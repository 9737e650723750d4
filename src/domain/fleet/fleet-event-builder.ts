// Builds one event of a catalog type from the fields a story gives: the type's required fields
// come from the catalog's sample (src/domain/event-examples.ts), so that a field Seam makes
// required is filled without an edit here, and the story's fields replace them. A field the
// type's schema does not have is a mistake in a story, not something to publish: it throws.

import { eventSchemaFor, listsFilledWhenAbsent, serverSetEventFields } from '../event-catalog.ts'
import { sampleEventFor } from '../event-examples.ts'

const serverSet: ReadonlySet<string> = new Set(serverSetEventFields)
const templates = new Map<string, Readonly<Record<string, unknown>>>()
const fieldsByType = new Map<string, ReadonlySet<string>>()

/** The fields an event of `eventType` may carry, besides those the server sets. */
export function eventFieldsOf(eventType: string): ReadonlySet<string> {
  let fields = fieldsByType.get(eventType)
  if (fields === undefined) {
    fields = new Set(Object.keys(schemaOf(eventType).shape).filter((field) => !serverSet.has(field)))
    fieldsByType.set(eventType, fields)
  }
  return fields
}

/**
 * A valid publish payload of `eventType`: `event_type`, then its required fields, each the given
 * value or the catalog's sample, then the given optional ones. Undefined values are left out.
 */
export function fleetEvent(eventType: string, fields: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const known = eventFieldsOf(eventType)
  const event: Record<string, unknown> = { event_type: eventType }
  // Copied, so that changing one event's nested value cannot change the next one's.
  for (const [field, value] of Object.entries(templateOf(eventType))) {
    event[field] = typeof value === 'object' && value !== null ? structuredClone(value) : value
  }
  for (const [field, value] of Object.entries(fields)) {
    if (value === undefined) continue
    if (!known.has(field)) throw new Error(`${eventType} has no field ${field}`)
    event[field] = value
  }
  return event
}

/** The catalog sample's required fields, with the snapshot lists (`device_errors`...) empty. */
function templateOf(eventType: string): Readonly<Record<string, unknown>> {
  let template = templates.get(eventType)
  if (template === undefined) {
    const shape = schemaOf(eventType).shape as Record<string, { isOptional(): boolean }>
    const sample = sampleEventFor(eventType)
    const emptyLists = new Set(listsFilledWhenAbsent(eventType))
    template = Object.freeze(
      Object.fromEntries(
        Object.entries(sample)
          .filter(([field]) => field !== 'event_type' && shape[field]?.isOptional() === false)
          .map(([field, value]) => [field, emptyLists.has(field) ? [] : value]),
      ),
    )
    templates.set(eventType, template)
  }
  return template
}

function schemaOf(eventType: string) {
  const schema = eventSchemaFor(eventType)
  if (schema === undefined) throw new Error(`no event type ${eventType} in @seamapi/types`)
  return schema
}
