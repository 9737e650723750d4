import { z } from '../../../domain/documented-zod.ts'
import { okBody } from '../../response-schemas.ts'
import { workspaceOf, type SeamRoute } from '../../route.ts'
import { webhookJson, webhookSchema } from './webhook-json.ts'

export const listWebhooksRoute: SeamRoute = {
  path: '/webhooks/list',
  methods: ['GET', 'POST'],
  access: 'read',
  docs: {
    tag: 'webhooks',
    summary: 'List webhooks',
    description: "Seam's webhooks/list: every webhook of the workspace.",
    params: null,
    response: okBody({ webhooks: z.array(webhookSchema) }),
  },
  async handle(input) {
    const webhooks = await input.context.store.webhooks.listWebhooks(workspaceOf(input))
    return JSON.stringify({ webhooks: webhooks.map((webhook) => webhookJson(webhook, input.apiKey)), ok: true })
  },
}
