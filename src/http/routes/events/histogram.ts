import {
  buildEventHistogram,
  eventHistogramParamsSchema,
  histogramBucketSeconds,
  parseEventHistogramParams,
} from '../../../domain/event-histogram.ts'
import { eventHistogramSchema, okBody } from '../../response-schemas.ts'
import { workspaceOf, type SeamRoute } from '../../route.ts'

/** Ours, not Seam's: event counts per type and time bucket, for the console's timeline chart. */
export const eventHistogramRoute: SeamRoute = {
  path: '/events/histogram',
  methods: ['GET', 'POST'],
  access: 'read',
  readsOnly: true,
  docs: {
    tag: 'events',
    summary: 'Count events per type over time',
    description:
      'Ours, not Seam\'s: how many events of each type fall in each time bucket of the range, ' +
      'counted by the database (the web console draws its chart from it). Takes the filters of ' +
      'events/list, so a bucket counts exactly the events the list shows for it; `since` or ' +
      '`between` is required, paging parameters are refused. `bucket_seconds` is one of ' +
      `${histogramBucketSeconds.join(', ')}; by default the narrowest that draws the range in at ` +
      'most 120 buckets. At most 1,000 buckets.',
    params: eventHistogramParamsSchema,
    response: okBody({ histogram: eventHistogramSchema }),
  },
  async handle(input) {
    const { context, params } = input
    const request = parseEventHistogramParams(params, context, context.clock.now())
    const counts = await context.store.events.countEventsByBucket(workspaceOf(input), request.filters, request.bucketSeconds)
    return JSON.stringify({ histogram: buildEventHistogram(request, counts), ok: true })
  },
}
