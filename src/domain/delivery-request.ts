// A delivery's request as it was sent, for the console and /webhooks/deliveries/get. Nothing of
// the request is stored beyond the delivery itself: it is re-derived, exactly, from what is. The
// body is the event's stored JSON (or a test delivery's sample), byte for byte; `svix-id` is the
// delivery id; the timestamp is the attempt's `attempted_at`, which the worker signs with; the
// signature is recomputed from the webhook's secrets when they are known to be the ones of that
// moment (no rotation since, or the current and previous secrets after it), and left out otherwise.

import type { Webhook } from '../store/store.ts'
import { webhookHeaders } from './webhook-signature.ts'

/** Sent with every delivery request. */
export const webhookUserAgent = 'seam-events-server (webhook delivery)'

/** How long a rotated-out secret keeps signing (webhooks/rotate_secret). */
export const previousSecretLifetimeMs = 24 * 60 * 60 * 1000

/**
 * The secrets that signed a request at `at`, or undefined when they cannot be known: before the
 * last rotation, the secret of that time is the previous one, but whether a still older one
 * signed beside it is not kept.
 */
export function secretsAt(webhook: Pick<Webhook, 'secret' | 'previous_secret' | 'previous_secret_expires_at'>, at: Date): string[] | undefined {
  if (webhook.previous_secret === null || webhook.previous_secret_expires_at === null) return [webhook.secret]
  const expiresAt = Date.parse(webhook.previous_secret_expires_at)
  const rotatedAt = expiresAt - previousSecretLifetimeMs
  if (at.getTime() < rotatedAt) return undefined
  return at.getTime() < expiresAt ? [webhook.secret, webhook.previous_secret] : [webhook.secret]
}

/** The headers of one attempt, as the worker sent them; the signatures only when `secrets` are known. */
export function deliveryRequestHeaders(
  deliveryId: string,
  body: string,
  attemptedAt: Date,
  secrets: readonly string[] | undefined,
): Record<string, string> {
  const headers: Record<string, string> = {
    ...webhookHeaders(secrets ?? [], deliveryId, body, attemptedAt),
    'user-agent': webhookUserAgent,
  }
  if (secrets === undefined) {
    delete headers['svix-signature']
    delete headers['webhook-signature']
  }
  return headers
}
