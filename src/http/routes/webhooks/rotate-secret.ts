import { SeamApiError } from '../../../domain/errors.ts'
import { parseWebhookIdParams, webhookIdParamsSchema } from '../../../domain/webhook-params.ts'
import { previousSecretLifetimeMs } from '../../../domain/delivery-request.ts'
import { okBody } from '../../response-schemas.ts'
import { generateWebhookSecret } from '../../../domain/webhook-signature.ts'
import { workspaceOf, type SeamRoute } from '../../route.ts'
import { webhookJson, webhookSchema } from './webhook-json.ts'


/** Ours. Deliveries carry both signatures until the old secret expires. */
export const rotateWebhookSecretRoute: SeamRoute = {
  path: '/webhooks/rotate_secret',
  methods: ['POST'],
  access: 'all',
  docs: {
    tag: 'webhooks',
    summary: "Rotate a webhook's secret",
    description:
      'Ours: a new `secret`. For 24 hours deliveries carry signatures by both the new and the ' +
      'old secret, so that receivers can switch without a gap.',
    params: () => webhookIdParamsSchema,
    response: okBody({ webhook: webhookSchema }),
    errors: ['webhook_not_found'],
  },
  async handle(input) {
    const webhookId = parseWebhookIdParams(input.params)
    const webhook = await input.context.store.webhooks.rotateWebhookSecret(
      workspaceOf(input),
      webhookId,
      generateWebhookSecret(),
      new Date(input.context.clock.now() + previousSecretLifetimeMs).toISOString(),
    )
    if (webhook === undefined) throw new SeamApiError('webhook_not_found', 'Webhook not found')
    return JSON.stringify({ webhook: webhookJson(webhook, input.apiKey), ok: true })
  },
}
