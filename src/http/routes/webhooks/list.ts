import { workspaceOf, type SeamRoute } from '../../route.ts'
import { webhookJson } from './webhook-json.ts'

export const listWebhooksRoute: SeamRoute = {
  path: '/webhooks/list',
  methods: ['GET', 'POST'],
  access: 'read',
  async handle(input) {
    const webhooks = await input.context.store.listWebhooks(workspaceOf(input))
    return JSON.stringify({ webhooks: webhooks.map(webhookJson), ok: true })
  },
}
