import { SeamApiError } from '../../../domain/errors.ts'
import { parseRecoverParams, recoverParamsSchema } from '../../../domain/webhook-params.ts'
import { okBody, recoverySchema } from '../../response-schemas.ts'
import { workspaceOf, type SeamRoute } from '../../route.ts'

/**
 * Ours: re-sends every event of the window [since, until) that the webhook wants, as new
 * deliveries. A worker does the work in the background; `/webhooks/recoveries/get` reports it.
 */
export const recoverWebhookRoute: SeamRoute = {
  path: '/webhooks/recover',
  methods: ['POST'],
  access: 'all',
  docs: {
    tag: 'webhooks',
    summary: 'Send a window of events again',
    description:
      'Ours: queues a new delivery for every stored event of [since, until) that the webhook ' +
      'wants, in the background. `/webhooks/recoveries/get` reports the progress.',
    params: () => recoverParamsSchema,
    response: okBody({ recovery: recoverySchema }),
    errors: ['webhook_not_found'],
  },
  async handle(input) {
    const recovery = await input.context.store.webhooks.createRecovery(
      workspaceOf(input),
      parseRecoverParams(input.params, new Date(input.context.clock.now())),
    )
    if (recovery === undefined) throw new SeamApiError('webhook_not_found', 'Webhook not found')
    input.context.deliveriesQueued()
    return JSON.stringify({ recovery, ok: true })
  },
}
