import { createWebhookParamsSchema, parseCreateWebhookParams } from '../../../domain/webhook-params.ts'
import { okBody } from '../../response-schemas.ts'
import { generateWebhookSecret } from '../../../domain/webhook-signature.ts'
import { workspaceOf, type SeamRoute } from '../../route.ts'
import { checkWebhookUrl } from './check-webhook-url.ts'
import { webhookJson, webhookSchema } from './webhook-json.ts'

export const createWebhookRoute: SeamRoute = {
  path: '/webhooks/create',
  methods: ['POST'],
  access: 'read',
  docs: {
    tag: 'webhooks',
    summary: 'Create a webhook',
    description:
      "Seam's webhooks/create: from now on, each new event of a wanted type is POSTed to `url`, " +
      'signed with the returned `secret`. The URL must resolve to a public address.',
    params: createWebhookParamsSchema,
    response: okBody({ webhook: webhookSchema }),
  },
  async handle(input) {
    const { context } = input
    const params = parseCreateWebhookParams(input.params, context)
    const url = await checkWebhookUrl(context.targetGuard, params.url)
    const webhook = await context.store.createWebhook(workspaceOf(input), {
      url,
      event_types: params.event_types,
      secret: generateWebhookSecret(),
    })
    return JSON.stringify({ webhook: webhookJson(webhook), ok: true })
  },
}
