import { SeamApiError } from '../../../domain/errors.ts'
import { parseOrThrow } from '../../../domain/param-schemas.ts'
import { sendTestEventParamsSchema } from '../../../domain/webhook-params.ts'
import { buildTestEvent, testEventTypeFor } from '../../../domain/webhook-test-event.ts'
import { deliverySchema, okBody } from '../../response-schemas.ts'
import { workspaceOf, type SeamRoute } from '../../route.ts'

/**
 * Ours: one signed sample event to the webhook, marked `is_test_event: true` in its body, queued
 * and recorded as any delivery (retries included), and in no event log.
 */
export const sendTestEventRoute: SeamRoute = {
  path: '/webhooks/send_test_event',
  methods: ['POST'],
  access: 'all',
  docs: {
    tag: 'webhooks',
    summary: 'Send a test event',
    description:
      "Ours: sends the webhook a sample event of `event_type` (default: one of the webhook's types), " +
      'signed as every delivery, with `"is_test_event": true` in its body so that the receiver can ' +
      'tell it from a real one. It is a delivery like any (`is_test_event` in the deliveries list, ' +
      'retried on failure), and events/list never returns it.',
    params: () => sendTestEventParamsSchema,
    response: okBody({ delivery: deliverySchema }),
    errors: ['webhook_not_found'],
  },
  async handle(input) {
    const { context } = input
    const params = parseOrThrow(sendTestEventParamsSchema, input.params)
    const workspaceId = workspaceOf(input)
    const webhook = await context.store.webhooks.getWebhook(workspaceId, params.webhook_id)
    if (webhook === undefined) throw new SeamApiError('webhook_not_found', 'Webhook not found')
    const eventType = testEventTypeFor(webhook.event_types, params.event_type)
    const event = buildTestEvent(workspaceId, eventType, new Date(context.clock.now()))
    const delivery = await context.store.webhooks.createTestDelivery(workspaceId, {
      webhook_id: webhook.webhook_id,
      event_id: event.event_id,
      event_type: event.event_type,
      event_json: event.json,
    })
    // Deleted in between.
    if (delivery === undefined) throw new SeamApiError('webhook_not_found', 'Webhook not found')
    context.deliveriesQueued()
    return JSON.stringify({ delivery, ok: true })
  },
}
