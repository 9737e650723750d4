import type { Webhook } from '../../../store/store.ts'

/** Seam's webhook object (`webhook_id`, `url`, `event_types`, `secret`) and our operator fields. */
export function webhookJson(webhook: Webhook): Record<string, unknown> {
  return {
    webhook_id: webhook.webhook_id,
    url: webhook.url,
    event_types: webhook.event_types,
    secret: webhook.secret,
    disabled: webhook.disabled,
    disabled_reason: webhook.disabled_reason,
    disabled_at: webhook.disabled_at,
    failing_since: webhook.failing_since,
    previous_secret_expires_at: webhook.previous_secret_expires_at,
    created_at: webhook.created_at,
    updated_at: webhook.updated_at,
  }
}
