import { z } from '../../../domain/documented-zod.ts'
import type { ApiKey, Webhook } from '../../../store/store.ts'
import { timestampField } from '../../response-schemas.ts'

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
export function webhookJson(webhook: Webhook, apiKey: ApiKey | null): z.input<typeof webhookSchema> {
  return {
    webhook_id: webhook.webhook_id,
    url: webhook.url,
    event_types: webhook.event_types,
    ...(apiKey?.scope === 'all' ? { secret: webhook.secret } : {}),
    disabled: webhook.disabled,
    disabled_reason: webhook.disabled_reason,
    disabled_at: webhook.disabled_at,
    failing_since: webhook.failing_since,
    previous_secret_expires_at: webhook.previous_secret_expires_at,
    created_at: webhook.created_at,
    updated_at: webhook.updated_at,
  }
}
