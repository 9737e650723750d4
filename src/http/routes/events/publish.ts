import { z } from '../../../domain/documented-zod.ts'
import { eventTypePattern } from '../../../domain/event-catalog.ts'
import { schemasPerOption } from '../../../domain/param-schemas.ts'
import { maxEventsPerPublish, parsePublishRequest } from '../../../domain/publish-events.ts'
import { eventSchema, okBody, publishedEventSchema } from '../../response-schemas.ts'
import { rawJsonArray, rawJsonObject, workspaceOf, type SeamRoute } from '../../route.ts'

/**
 * The body parsePublishRequest takes, for the API reference. The parser is written out rather
 * than one zod schema so that a batch names every bad event by index; it checks each event with
 * Seam's schema of its type, which is what the `PublishedEvent` component is made from.
 */
const publishRequestSchema = schemasPerOption(({ allowUnknownEventTypes }) => {
  const event = allowUnknownEventTypes
    ? z.union([
        publishedEventSchema,
        z
          .object({ event_type: z.string().regex(eventTypePattern) })
          .passthrough()
          .openapi({
            description:
              'An event of a type Seam has not published (this server takes them): any fields; ' +
              'the filter fields (device_id and the other ids) must be uuids.',
          }),
      ])
    : publishedEventSchema
  return z.union([
    z.object({ events: z.array(event).min(1).max(maxEventsPerPublish) }),
    z.object({ event }),
  ])
})

/** Ours: Seam has no public write path. Device bridges publish here with a `publish` key. */
export const publishEventsRoute: SeamRoute = {
  path: '/events/publish',
  methods: ['POST'],
  access: 'publish',
  docs: {
    tag: 'events',
    summary: 'Publish events',
    description:
      'Ours (Seam has no public write path), for device bridges: stores 1 to 1,000 events, or ' +
      'one as `{"event": {...}}`, all or none. Each event is checked against Seam\'s schema of ' +
      'its type; the server sets `event_id` (unless given), `workspace_id`, `created_at` and ' +
      '`occurred_at` (unless given), and writes `event_description` when it is missing. ' +
      'Webhooks that want the events get deliveries.',
    params: publishRequestSchema,
    response: okBody({
      event: eventSchema.optional().describe('The stored event, for the single-event form.'),
      events: z.array(eventSchema).describe('The stored events, as events/list shows them.'),
    }),
  },
  async handle(input) {
    const { drafts, single } = parsePublishRequest(input.request.body, input.context)
    const stored = await input.context.store.events.insertEvents(workspaceOf(input), drafts)
    input.context.deliveriesQueued()
    input.context.eventsPublished(stored.length)
    const events = stored.map((event) => event.json)
    return rawJsonObject({
      ...(single ? { event: events[0] as string } : {}),
      events: rawJsonArray(events),
      ok: 'true',
    })
  },
}
