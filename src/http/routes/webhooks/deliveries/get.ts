import { z } from '../../../../domain/documented-zod.ts'
import { deliveryRequestHeaders, secretsAt } from '../../../../domain/delivery-request.ts'
import { SeamApiError } from '../../../../domain/errors.ts'
import { deliveryIdParamsSchema, parseDeliveryIdParams } from '../../../../domain/webhook-params.ts'
import { deliverySchema, okBody, timestampField } from '../../../response-schemas.ts'
import { workspaceOf, type SeamRoute } from '../../../route.ts'

const requestSchema = z.object({
  method: z.literal('POST'),
  url: z.string().describe("The webhook's URL now (an update since changes it)."),
  body: z
    .string()
    .nullable()
    .describe('The body of every attempt, byte for byte; null when the event is no longer stored.'),
  attempts: z
    .array(
      z.object({
        attempted_at: timestampField,
        headers: z
          .record(z.string())
          .describe(
            'As sent. The signatures are left out when the secrets of that moment are not known ' +
              '(the webhook was rotated since, and more than once or by more than 24 hours).',
          ),
      }),
    )
    .describe('The headers of each attempt, in the order of `attempts`.'),
})

/** Ours: one delivery, its attempts, and its request as sent, re-derived from what is stored. */
export const getDeliveryRoute: SeamRoute = {
  path: '/webhooks/deliveries/get',
  methods: ['GET', 'POST'],
  access: 'read',
  readsOnly: true,
  docs: {
    tag: 'webhooks',
    summary: 'Get a delivery and its request',
    description:
      'Ours: a delivery with its attempts (status, duration, error, the first 4 KB of each response) ' +
      'and its `request`: the body and each attempt\'s headers exactly as sent. Nothing more is ' +
      'stored per attempt: the headers follow from the delivery id, the attempt\'s time and the ' +
      "webhook's secrets, and the body is the stored event.",
    params: () => deliveryIdParamsSchema,
    response: okBody({ delivery: deliverySchema, webhook_url: z.string().nullable(), request: requestSchema.nullable() }),
    errors: ['delivery_not_found'],
  },
  async handle(input) {
    const deliveryId = parseDeliveryIdParams(input.params)
    const workspaceId = workspaceOf(input)
    const { webhooks } = input.context.store
    const found = await webhooks.getDelivery(workspaceId, deliveryId)
    if (found === undefined) throw new SeamApiError('delivery_not_found', 'Delivery not found')
    const { delivery, body } = found
    const webhook = await webhooks.getWebhook(workspaceId, delivery.webhook_id)
    const request =
      webhook === undefined
        ? null
        : {
            method: 'POST' as const,
            url: webhook.url,
            body,
            attempts: delivery.attempts.map((attempt) => {
              const at = new Date(attempt.attempted_at)
              return {
                attempted_at: attempt.attempted_at,
                headers: deliveryRequestHeaders(delivery.delivery_id, body ?? '', at, secretsAt(webhook, at)),
              }
            }),
          }
    return JSON.stringify({ delivery, webhook_url: webhook?.url ?? null, request, ok: true })
  },
}
