import { SeamApiError } from '../../../domain/errors.ts'
import { parseWebhookIdParams, webhookIdParamsSchema } from '../../../domain/webhook-params.ts'
import { okBody } from '../../response-schemas.ts'
import { workspaceOf, type SeamRoute } from '../../route.ts'
import { webhookJson, webhookSchema } from './webhook-json.ts'

export const getWebhookRoute: SeamRoute = {
  path: '/webhooks/get',
  methods: ['GET', 'POST'],
  access: 'read',
  docs: {
    tag: 'webhooks',
    summary: 'Get a webhook',
    description: "Seam's webhooks/get.",
    params: () => webhookIdParamsSchema,
    response: okBody({ webhook: webhookSchema }),
    errors: ['webhook_not_found'],
  },
  async handle(input) {
    const webhookId = parseWebhookIdParams(input.params)
    const webhook = await input.context.store.webhooks.getWebhook(workspaceOf(input), webhookId)
    if (webhook === undefined) throw new SeamApiError('webhook_not_found', 'Webhook not found')
    return JSON.stringify({ webhook: webhookJson(webhook, input.apiKey), ok: true })
  },
}
