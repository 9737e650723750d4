import { SeamApiError } from '../../../../domain/errors.ts'
import { deliveryIdParamsSchema, parseDeliveryIdParams } from '../../../../domain/webhook-params.ts'
import { deliverySchema, okBody } from '../../../response-schemas.ts'
import { workspaceOf, type SeamRoute } from '../../../route.ts'

/** Ours: one more attempt now, for a failed delivery (or any other). */
export const retryDeliveryRoute: SeamRoute = {
  path: '/webhooks/deliveries/retry',
  methods: ['POST'],
  access: 'all',
  docs: {
    tag: 'webhooks',
    summary: 'Retry a delivery',
    description: 'Ours: one more attempt now, for a failed delivery (or any other).',
    params: () => deliveryIdParamsSchema,
    response: okBody({ delivery: deliverySchema }),
    errors: ['delivery_not_found'],
  },
  async handle(input) {
    const deliveryId = parseDeliveryIdParams(input.params)
    const delivery = await input.context.store.webhooks.retryDelivery(workspaceOf(input), deliveryId)
    if (delivery === undefined) throw new SeamApiError('delivery_not_found', 'Delivery not found')
    input.context.deliveriesQueued()
    return JSON.stringify({ delivery, ok: true })
  },
}
