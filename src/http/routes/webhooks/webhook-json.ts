import { z } from '../../../domain/documented-zod.ts'
import type { ApiKey, Store, Webhook, WebhookDeliveryStats } from '../../../store/store.ts'
import { deliveryStatusSchema, timestampField } from '../../response-schemas.ts'

/** The window of a webhook's success rate. */
const statsWindowMs = 24 * 60 * 60 * 1000

const deliveryStatsSchema = z
  .object({
    since: timestampField.describe('The start of the window: 24 hours before the request.'),
    attempts: z.number().int().describe('Delivery attempts made since then.'),
    successful_attempts: z.number().int().describe('Those of them answered with a 2xx.'),
    success_rate: z
      .number()
      .nullable()
      .describe('successful_attempts / attempts, from 0 to 1; null when there was no attempt.'),
    pending_deliveries: z.number().int(),
    failed_deliveries: z.number().int().describe('Deliveries that gave up; `/webhooks/deliveries/retry_failed` sends them again.'),
    last_delivery: z
      .object({
        delivery_id: z.string(),
        event_type: z.string(),
        status: deliveryStatusSchema,
        created_at: timestampField,
        last_attempt_at: timestampField.nullable(),
        last_status_code: z.number().int().nullable(),
      })
      .nullable()
      .describe('The newest delivery, with its latest attempt.'),
  })
  .describe('Ours, in webhooks/list and webhooks/get: the last 24 hours of deliveries.')

/** Seam's webhook object (`webhook_id`, `url`, `event_types`, `secret`) and our operator fields. */
export const webhookSchema = z
  .object({
    webhook_id: z.string(),
    url: z.string(),
    event_types: z.array(z.string()),
    secret: z
      .string()
      .optional()
      .describe(
        'Signs deliveries, in the Standard Webhooks scheme Seam uses. Shown only to a key of scope ' +
          '`all`: whoever holds it can sign deliveries that the receiver accepts.',
      ),
    disabled: z.boolean(),
    disabled_reason: z
      .string()
      .nullable()
      .describe('manual (an update), gone (the endpoint answered 410) or failing (failed too long).'),
    disabled_at: timestampField.nullable(),
    failing_since: timestampField
      .nullable()
      .describe('When the current run of failures began; null after any success.'),
    description: z.string().nullable().describe('Ours: what the webhook is for; null when none was given.'),
    delivery_stats: deliveryStatsSchema.optional(),
    previous_secret_expires_at: timestampField
      .nullable()
      .describe('Until then, deliveries are signed with the secret from before the last rotation too.'),
    created_at: timestampField,
    updated_at: timestampField,
  })
  .openapi('Webhook')

/**
 * The return type is the schema's, so that the API reference shows every field written here.
 * The secret is left out for a key that may not change the webhook (a `read` key).
 */
export function webhookJson(
  webhook: Webhook,
  apiKey: ApiKey | null,
  stats?: { since: string; of: WebhookDeliveryStats | undefined },
): z.input<typeof webhookSchema> {
  return {
    webhook_id: webhook.webhook_id,
    url: webhook.url,
    event_types: webhook.event_types,
    ...(apiKey?.scope === 'all' ? { secret: webhook.secret } : {}),
    disabled: webhook.disabled,
    disabled_reason: webhook.disabled_reason,
    disabled_at: webhook.disabled_at,
    failing_since: webhook.failing_since,
    description: webhook.description,
    ...(stats?.of === undefined ? {} : { delivery_stats: statsJson(stats.since, stats.of) }),
    previous_secret_expires_at: webhook.previous_secret_expires_at,
    created_at: webhook.created_at,
    updated_at: webhook.updated_at,
  }
}

function statsJson(since: string, { webhook_id: _id, ...stats }: WebhookDeliveryStats): z.input<typeof deliveryStatsSchema> {
  return {
    since,
    ...stats,
    success_rate: stats.attempts === 0 ? null : stats.successful_attempts / stats.attempts,
  }
}

/** The webhooks as webhooks/list and webhooks/get write them: with their last 24 hours of deliveries. */
export async function webhooksWithStats(
  store: Store,
  workspaceId: string,
  webhooks: readonly Webhook[],
  apiKey: ApiKey | null,
  now: number,
): Promise<z.input<typeof webhookSchema>[]> {
  const since = new Date(now - statsWindowMs).toISOString()
  const stats = await store.webhooks.webhookDeliveryStats(
    workspaceId,
    webhooks.map((webhook) => webhook.webhook_id),
    since,
  )
  return webhooks.map((webhook) => webhookJson(webhook, apiKey, { since, of: stats.get(webhook.webhook_id) }))
}
