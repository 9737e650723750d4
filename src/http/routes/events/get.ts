import { SeamApiError } from '../../../domain/errors.ts'
import { eventLookupParamsSchema, parseEventLookupParams } from '../../../domain/list-events-params.ts'
import { eventSchema, okBody } from '../../response-schemas.ts'
import { rawJsonObject, workspaceOf, type SeamRoute } from '../../route.ts'

export const getEventRoute: SeamRoute = {
  path: '/events/get',
  methods: ['GET', 'POST'],
  access: 'read',
  readsOnly: true,
  docs: {
    tag: 'events',
    summary: 'Get an event',
    description:
      "Seam's events/get: the newest event of the workspace that matches every given parameter; " +
      'give at least one of `event_id`, `device_id` and `event_type`.',
    params: eventLookupParamsSchema,
    response: okBody({ event: eventSchema }),
    errors: ['event_not_found'],
  },
  async handle(input) {
    const lookup = parseEventLookupParams(input.params, input.context)
    const event = await input.context.store.events.findEvent(workspaceOf(input), lookup)
    if (event === undefined) throw new SeamApiError('event_not_found', 'Event not found')
    return rawJsonObject({ event: event.json, ok: 'true' })
  },
}
