import { SeamApiError } from '../../../domain/errors.ts'
import { parseWebhookIdParams, webhookIdParamsSchema } from '../../../domain/webhook-params.ts'
import { okBody } from '../../response-schemas.ts'
import { workspaceOf, type SeamRoute } from '../../route.ts'
import { webhookSchema, webhooksWithStats } from './webhook-json.ts'

export const getWebhookRoute: SeamRoute = {
  path: '/webhooks/get',
  methods: ['GET', 'POST'],
  access: 'read',
  readsOnly: true,
  docs: {
    tag: 'webhooks',
    summary: 'Get a webhook',
    description: "Seam's webhooks/get; ours adds its `delivery_stats` (as in webhooks/list).",
    params: () => webhookIdParamsSchema,
    response: okBody({ webhook: webhookSchema }),
    errors: ['webhook_not_found'],
  },
  async handle(input) {
    const webhookId = parseWebhookIdParams(input.params)
    const { store, clock } = input.context
    const workspaceId = workspaceOf(input)
    const webhook = await store.webhooks.getWebhook(workspaceId, webhookId)
    if (webhook === undefined) throw new SeamApiError('webhook_not_found', 'Webhook not found')
    const [json] = await webhooksWithStats(store, workspaceId, [webhook], input.apiKey, clock.now())
    return JSON.stringify({ webhook: json, ok: true })
  },
}
