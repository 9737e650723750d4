import { SeamApiError } from '../../../domain/errors.ts'
import { parseUpdateWebhookParams, updateWebhookParamsSchema } from '../../../domain/webhook-params.ts'
import { okBody } from '../../response-schemas.ts'
import { workspaceOf, type SeamRoute } from '../../route.ts'
import { checkWebhookUrl } from './check-webhook-url.ts'
import { webhookJson, webhookSchema } from './webhook-json.ts'

/**
 * Seam's update changes `event_types`; ours also takes `url` and `disabled`. Enabling a webhook
 * sends the deliveries that were parked while it was disabled; `/webhooks/recover` re-sends
 * the events that arrived in between.
 */
export const updateWebhookRoute: SeamRoute = {
  path: '/webhooks/update',
  methods: ['PUT', 'POST', 'PATCH'],
  access: 'all',
  docs: {
    tag: 'webhooks',
    summary: 'Update a webhook',
    description:
      "Seam's webhooks/update changes `event_types`; ours also takes `url` and `disabled`. " +
      'Enabling a webhook sends the deliveries parked while it was disabled.',
    params: updateWebhookParamsSchema,
    response: okBody({ webhook: webhookSchema }),
    errors: ['webhook_not_found'],
  },
  async handle(input) {
    const { context } = input
    const { webhook_id, patch } = parseUpdateWebhookParams(input.params, context)
    if (patch.url !== undefined) patch.url = await checkWebhookUrl(context.targetGuard, patch.url)
    const webhook = await context.store.webhooks.updateWebhook(workspaceOf(input), webhook_id, patch)
    if (webhook === undefined) throw new SeamApiError('webhook_not_found', 'Webhook not found')
    if (patch.disabled === false) context.deliveriesQueued()
    return JSON.stringify({ webhook: webhookJson(webhook, input.apiKey), ok: true })
  },
}
