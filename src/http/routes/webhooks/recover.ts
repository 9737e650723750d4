import { SeamApiError } from '../../../domain/errors.ts'
import { parseRecoverParams } from '../../../domain/webhook-params.ts'
import { workspaceOf, type SeamRoute } from '../../route.ts'

/**
 * Ours: re-sends every event of the window [since, until) that the webhook wants, as new
 * deliveries. A worker does the work in the background; `/webhooks/recoveries/get` reports it.
 */
export const recoverWebhookRoute: SeamRoute = {
  path: '/webhooks/recover',
  methods: ['POST'],
  access: 'read',
  async handle(input) {
    const recovery = await input.context.store.createRecovery(
      workspaceOf(input),
      parseRecoverParams(input.params, new Date()),
    )
    if (recovery === undefined) throw new SeamApiError('webhook_not_found', 'Webhook not found')
    input.context.deliveriesQueued()
    return JSON.stringify({ recovery, ok: true })
  },
}
