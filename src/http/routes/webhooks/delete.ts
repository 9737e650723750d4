import { SeamApiError } from '../../../domain/errors.ts'
import { parseWebhookIdParams, webhookIdParamsSchema } from '../../../domain/webhook-params.ts'
import { okBody } from '../../response-schemas.ts'
import { workspaceOf, type SeamRoute } from '../../route.ts'

export const deleteWebhookRoute: SeamRoute = {
  path: '/webhooks/delete',
  methods: ['DELETE', 'POST'],
  access: 'all',
  docs: {
    tag: 'webhooks',
    summary: 'Delete a webhook',
    description: "Seam's webhooks/delete, with the webhook's deliveries and recoveries.",
    params: () => webhookIdParamsSchema,
    response: okBody({}),
    errors: ['webhook_not_found'],
  },
  async handle(input) {
    const webhookId = parseWebhookIdParams(input.params)
    const deleted = await input.context.store.webhooks.deleteWebhook(workspaceOf(input), webhookId)
    if (!deleted) throw new SeamApiError('webhook_not_found', 'Webhook not found')
    return JSON.stringify({ ok: true })
  },
}
