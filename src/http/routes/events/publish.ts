import { parsePublishRequest } from '../../../domain/publish-events.ts'
import { rawJsonArray, rawJsonObject, workspaceOf, type SeamRoute } from '../../route.ts'

/** Ours: Seam has no public write path. Device bridges publish here with a `publish` key. */
export const publishEventsRoute: SeamRoute = {
  path: '/events/publish',
  methods: ['POST'],
  access: 'publish',
  async handle(input) {
    const { drafts, single } = parsePublishRequest(input.request.body, input.context)
    const stored = await input.context.store.insertEvents(workspaceOf(input), drafts)
    input.context.deliveriesQueued()
    const events = stored.map((event) => event.json)
    return rawJsonObject({
      ...(single ? { event: events[0] as string } : {}),
      events: rawJsonArray(events),
      ok: 'true',
    })
  },
}
