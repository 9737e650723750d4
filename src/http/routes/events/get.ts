import { SeamApiError } from '../../../domain/errors.ts'
import { parseEventLookupParams } from '../../../domain/list-events-params.ts'
import { rawJsonObject, workspaceOf, type SeamRoute } from '../../route.ts'

export const getEventRoute: SeamRoute = {
  path: '/events/get',
  methods: ['GET', 'POST'],
  access: 'read',
  async handle(input) {
    const lookup = parseEventLookupParams(input.params, input.context)
    const event = await input.context.store.findEvent(workspaceOf(input), lookup)
    if (event === undefined) throw new SeamApiError('event_not_found', 'Event not found')
    return rawJsonObject({ event: event.json, ok: 'true' })
  },
}
