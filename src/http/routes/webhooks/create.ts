import { SeamApiError } from '../../../domain/errors.ts'
import { createWebhookParamsSchema, parseCreateWebhookParams } from '../../../domain/webhook-params.ts'
import { okBody } from '../../response-schemas.ts'
import { generateWebhookSecret } from '../../../domain/webhook-signature.ts'
import { workspaceOf, type SeamRoute } from '../../route.ts'
import { checkWebhookUrl } from './check-webhook-url.ts'
import { webhookJson, webhookSchema } from './webhook-json.ts'

export const createWebhookRoute: SeamRoute = {
  path: '/webhooks/create',
  methods: ['POST'],
  access: 'all',
  docs: {
    tag: 'webhooks',
    summary: 'Create a webhook',
    description:
      "Seam's webhooks/create: from now on, each new event of a wanted type is POSTed to `url`, " +
      'signed with the returned `secret`. The URL must resolve to a public address. A workspace ' +
      'has at most MAX_WEBHOOKS_PER_WORKSPACE webhooks (50 unless the server says otherwise).',
    params: createWebhookParamsSchema,
    response: okBody({ webhook: webhookSchema }),
    errors: ['webhook_limit_reached'],
  },
  async handle(input) {
    const { context } = input
    const params = parseCreateWebhookParams(input.params, context)
    const url = await checkWebhookUrl(context.targetGuard, params.url)
    const { maxWebhooksPerWorkspace } = context.limits
    const webhook = await context.store.webhooks.createWebhook(
      workspaceOf(input),
      { url, event_types: params.event_types, secret: generateWebhookSecret(), description: params.description },
      maxWebhooksPerWorkspace,
    )
    if (webhook === undefined) {
      throw new SeamApiError(
        'webhook_limit_reached',
        `This workspace has ${maxWebhooksPerWorkspace} webhooks, the most it may have ` +
          '(MAX_WEBHOOKS_PER_WORKSPACE); delete one, or subscribe an existing one to more event types',
      )
    }
    return JSON.stringify({ webhook: webhookJson(webhook, input.apiKey), ok: true })
  },
}
