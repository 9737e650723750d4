import { z } from '../../../../domain/documented-zod.ts'
import {
  encodeDeliveryCursor,
  listDeliveriesParamsSchema,
  parseListDeliveriesParams,
} from '../../../../domain/webhook-params.ts'
import { deliverySchema, okBody } from '../../../response-schemas.ts'
import { workspaceOf, type SeamRoute } from '../../../route.ts'

/** Ours: deliveries newest first, each with its attempts, for operators chasing a failure. */
export const listDeliveriesRoute: SeamRoute = {
  path: '/webhooks/deliveries/list',
  methods: ['GET', 'POST'],
  access: 'read',
  readsOnly: true,
  docs: {
    tag: 'webhooks',
    summary: 'List deliveries',
    description:
      'Ours: webhook deliveries, newest first, each with its attempts. For the next page, pass ' +
      '`next_page_cursor` as `page_cursor` with the same filters.',
    params: () => listDeliveriesParamsSchema,
    response: okBody({
      deliveries: z.array(deliverySchema),
      pagination: z.object({ next_page_cursor: z.string().nullable(), has_next_page: z.boolean() }),
    }),
  },
  async handle(input) {
    const query = parseListDeliveriesParams(input.params)
    const page = await input.context.store.webhooks.listDeliveries(workspaceOf(input), query)
    const nextPageCursor =
      page.next_before_delivery_id === null ? null : encodeDeliveryCursor(page.next_before_delivery_id)
    return JSON.stringify({
      deliveries: page.deliveries,
      pagination: { next_page_cursor: nextPageCursor, has_next_page: nextPageCursor !== null },
      ok: true,
    })
  },
}
