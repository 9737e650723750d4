import { z } from '../../../../domain/documented-zod.ts'
import { SeamApiError } from '../../../../domain/errors.ts'
import { parseRetryFailedParams, retryFailedParamsSchema } from '../../../../domain/webhook-params.ts'
import { okBody, timestampField } from '../../../response-schemas.ts'
import { workspaceOf, type SeamRoute } from '../../../route.ts'

/**
 * Ours: a batch of a webhook's failed deliveries sent again, as `/webhooks/deliveries/retry`
 * does for one. Batches keep each call short however many have failed; the console calls until
 * none is left, showing the progress.
 */
export const retryFailedDeliveriesRoute: SeamRoute = {
  path: '/webhooks/deliveries/retry_failed',
  methods: ['POST'],
  access: 'all',
  docs: {
    tag: 'webhooks',
    summary: "Retry a webhook's failed deliveries",
    description:
      'Ours: makes up to `limit` of the webhook\'s `failed` deliveries (oldest first) due again for ' +
      'one more attempt each. Call again with the `failed_before` of the first answer while ' +
      '`failed_remaining` is above 0: a delivery that fails again meanwhile is not picked twice.',
    params: () => retryFailedParamsSchema,
    response: okBody({
      deliveries_retried: z.number().int(),
      failed_remaining: z.number().int().describe('Failed before `failed_before`, still to retry.'),
      failed_before: timestampField,
    }),
    errors: ['webhook_not_found'],
  },
  async handle(input) {
    const { context } = input
    const params = parseRetryFailedParams(input.params, new Date(context.clock.now()))
    const result = await context.store.webhooks.retryFailedDeliveries(
      workspaceOf(input),
      params.webhook_id,
      params.failed_before,
      params.limit,
    )
    if (result === undefined) throw new SeamApiError('webhook_not_found', 'Webhook not found')
    if (result.retried > 0) context.deliveriesQueued()
    return JSON.stringify({
      deliveries_retried: result.retried,
      failed_remaining: result.remaining,
      failed_before: params.failed_before,
      ok: true,
    })
  },
}
