import { SeamApiError } from '../../../domain/errors.ts'
import { parseWebhookIdParams } from '../../../domain/webhook-params.ts'
import { workspaceOf, type SeamRoute } from '../../route.ts'

export const deleteWebhookRoute: SeamRoute = {
  path: '/webhooks/delete',
  methods: ['DELETE', 'POST'],
  access: 'read',
  async handle(input) {
    const webhookId = parseWebhookIdParams(input.params)
    const deleted = await input.context.store.deleteWebhook(workspaceOf(input), webhookId)
    if (!deleted) throw new SeamApiError('webhook_not_found', 'Webhook not found')
    return JSON.stringify({ ok: true })
  },
}
