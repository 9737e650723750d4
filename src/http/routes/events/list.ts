import { z } from '../../../domain/documented-zod.ts'
import { encodePageCursor } from '../../../domain/page-cursor.ts'
import { listEventsParamsSchema, parseListEventsParams } from '../../../domain/list-events-params.ts'
import { eventSchema, okBody } from '../../response-schemas.ts'
import { rawJsonObject, workspaceOf, type SeamRoute } from '../../route.ts'

export const listEventsRoute: SeamRoute = {
  path: '/events/list',
  methods: ['GET', 'POST'],
  access: 'read',
  readsOnly: true,
  docs: {
    tag: 'events',
    summary: 'List events',
    description:
      "Seam's events/list: the workspace's events, newest first. Give `since` or `between`, " +
      'not both. Filters combine with AND; a single-id filter and its list (`device_id` and ' +
      '`device_ids`) must both match. For the next page, pass `next_page_cursor` as ' +
      '`page_cursor` with the same filters, or follow `next_page_url`.',
    params: listEventsParamsSchema,
    response: okBody({
      events: z.array(eventSchema),
      pagination: z.object({
        next_page_cursor: z.string().nullable(),
        has_next_page: z.boolean(),
        next_page_url: z
          .string()
          .url()
          .nullable()
          .describe(
            'This request as a GET URL, with the cursor of the next page, on the server\'s ' +
              'PUBLIC_URL when it has one (else on the Host the request was sent to).',
          ),
      }),
    }),
  },
  async handle(input) {
    const { context, params, request } = input
    const { query } = parseListEventsParams(params, context)
    const page = await context.store.events.listEvents(workspaceOf(input), query)
    const nextPageCursor = page.next === null ? null : encodePageCursor(page.next)
    const pagination = {
      next_page_cursor: nextPageCursor,
      has_next_page: nextPageCursor !== null,
      next_page_url:
        nextPageCursor === null
          ? null
          : nextPageUrl(`${context.publicUrl ?? `${request.protocol}://${request.host}`}/events/list`, params, nextPageCursor),
    }
    return rawJsonObject({
      events: `[${page.eventsJsonText}]`,
      pagination: JSON.stringify(pagination),
      ok: 'true',
    })
  },
}

/** The same request as a GET URL, with the cursor of the next page. */
function nextPageUrl(base: string, params: Record<string, unknown>, cursor: string): string {
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) {
    if (key === 'page_cursor') continue
    const values = Array.isArray(value) ? value : [value]
    if (values.length === 0) search.append(key, '')
    for (const item of values) {
      if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') {
        search.append(key, String(item))
      }
    }
  }
  search.append('page_cursor', cursor)
  return `${base}?${search.toString()}`
}
