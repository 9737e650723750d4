import { buildEventHistogram, parseEventHistogramParams } from '../../../domain/event-histogram.ts'
import { workspaceOf, type SeamRoute } from '../../route.ts'

/** Ours, not Seam's: event counts per type and time bucket, for the console's timeline chart. */
export const eventHistogramRoute: SeamRoute = {
  path: '/events/histogram',
  methods: ['GET', 'POST'],
  access: 'read',
  async handle(input) {
    const { context, params } = input
    const request = parseEventHistogramParams(params, context, Date.now())
    const counts = await context.store.countEventsByBucket(workspaceOf(input), request.filters, request.bucketSeconds)
    return JSON.stringify({ histogram: buildEventHistogram(request, counts), ok: true })
  },
}
