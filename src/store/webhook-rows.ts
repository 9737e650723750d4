// What both backends' webhook tables share: the columns each object is read from, the rules
// that turn rows into what the worker and the API see, and how a claim picks its deliveries.

import type { ClaimedDelivery, DeliveryAttempt, DeliveryClaim } from './store.ts'

/** The webhook's secrets as a claim reads them; `signingSecrets` picks the ones to sign with. */
export interface SecretColumns {
  secret: string
  previous_secret: string | null
  previous_secret_expires_at: string | null
}

/** A claimed delivery as both backends read it, before its secrets are picked. */
export type ClaimedDeliveryRow = Omit<ClaimedDelivery, 'secrets'> & SecretColumns

export const webhookColumns = `webhook_id, workspace_id, url, event_types, secret, previous_secret,
  previous_secret_expires_at, disabled, disabled_reason, disabled_at, failing_since, created_at,
  updated_at`

export const deliveryColumns = `seq, delivery_id, webhook_id, event_id, event_type, status, attempt_count,
  next_attempt_at, last_error, created_at, completed_at, recovery_id`

/** The delivery's last_error after a failed attempt. */
export function describeAttemptError(attempt: DeliveryAttempt): string {
  if (attempt.error !== null) return attempt.error
  return attempt.status_code === null ? 'no response' : `HTTP ${attempt.status_code}`
}

/** The secrets a delivery is signed with: the current one, and a rotated-out one for 24 h. */
export function signingSecrets(row: SecretColumns, nowIso: string): string[] {
  const secrets = [row.secret]
  if (
    row.previous_secret !== null &&
    row.previous_secret_expires_at !== null &&
    row.previous_secret_expires_at > nowIso
  ) {
    secrets.push(row.previous_secret)
  }
  return secrets
}

/** Webhooks with as many requests in flight as they may have: their due backlog has to wait. */
export function saturatedWebhookIds(
  inFlightByWebhook: ReadonlyMap<string, number>,
  perWebhookLimit: number,
): string[] {
  return [...inFlightByWebhook]
    .filter(([, count]) => count >= perWebhookLimit)
    .map(([webhookId]) => webhookId)
}

/**
 * Which due candidates (oldest first) a claim takes: at most `limit`, and no webhook past its
 * limit counting what is already in flight. The candidate window is wider than the free slots,
 * so that a webhook with a backlog at the head of the queue cannot take every slot.
 */
export function chooseClaims<T extends { webhook_id: string }>(
  candidates: readonly T[],
  claim: DeliveryClaim,
): T[] {
  const claimedByWebhook = new Map(claim.inFlightByWebhook)
  return candidates
    .filter((row) => {
      const count = claimedByWebhook.get(row.webhook_id) ?? 0
      if (count >= claim.perWebhookLimit) return false
      claimedByWebhook.set(row.webhook_id, count + 1)
      return true
    })
    .slice(0, claim.limit)
}

/** How many candidates a claim reads for `limit` free slots (see `chooseClaims`). */
export function claimWindow(claim: DeliveryClaim): number {
  return claim.limit * 4
}
