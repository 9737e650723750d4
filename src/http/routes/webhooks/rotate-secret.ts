import { SeamApiError } from '../../../domain/errors.ts'
import { parseWebhookIdParams } from '../../../domain/webhook-params.ts'
import { generateWebhookSecret } from '../../../domain/webhook-signature.ts'
import { workspaceOf, type SeamRoute } from '../../route.ts'
import { webhookJson } from './webhook-json.ts'

/** How long the replaced secret keeps signing, so receivers can switch without a gap. */
const previousSecretLifetimeMs = 24 * 60 * 60 * 1000

/** Ours. Deliveries carry both signatures until the old secret expires. */
export const rotateWebhookSecretRoute: SeamRoute = {
  path: '/webhooks/rotate_secret',
  methods: ['POST'],
  access: 'read',
  async handle(input) {
    const webhookId = parseWebhookIdParams(input.params)
    const webhook = await input.context.store.rotateWebhookSecret(
      workspaceOf(input),
      webhookId,
      generateWebhookSecret(),
      new Date(Date.now() + previousSecretLifetimeMs).toISOString(),
    )
    if (webhook === undefined) throw new SeamApiError('webhook_not_found', 'Webhook not found')
    return JSON.stringify({ webhook: webhookJson(webhook), ok: true })
  },
}
