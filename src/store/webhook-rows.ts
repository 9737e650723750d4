// What both backends' webhook tables share: the columns each object is read from, and the
// rules that turn rows into what the worker and the API see.

import type { DeliveryAttempt } from './store.ts'

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
export function signingSecrets(
  row: { secret: string; previous_secret: string | null; previous_secret_expires_at: string | null },
  nowIso: string,
): string[] {
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
