// SQLite's claims: one writer at a time, so a claim needs no row locks; candidates come from the
// due index alone (it covers webhook_id), and the event and webhook are read only for the
// deliveries actually claimed.

import { randomUUID } from 'node:crypto'

import type { Clock } from '../../clock.ts'
import { RelationalDeliveryQueue } from '../relational/deliveries.ts'
import type { ClaimedDelivery, DeliveryClaim } from '../store.ts'
import { chooseClaims, claimWindow, saturatedWebhookIds, signingSecrets, type ClaimedDeliveryRow } from '../webhook-rows.ts'
import type { SqliteExecutor } from './sqlite-executor.ts'

/** SQLite has no booleans, and the claim token is made after the row is read. */
type ClaimRow = Omit<ClaimedDeliveryRow, 'manual_retry' | 'claim_token'> & { seq: number; manual_retry: number }

export class SqliteDeliveryQueue extends RelationalDeliveryQueue {
  readonly #sqlite: SqliteExecutor

  constructor(sqlite: SqliteExecutor, clock: Clock) {
    super(sqlite, clock)
    this.#sqlite = sqlite
  }

  claimDueDeliveries(claim: DeliveryClaim): Promise<ClaimedDelivery[]> {
    const now = this.clock.now()
    const saturated = saturatedWebhookIds(claim.inFlightByWebhook, claim.perWebhookLimit)
    return this.#sqlite.transaction(async ({ writer }) => {
      const candidates = writer
        .get(
          `SELECT seq, webhook_id FROM webhook_deliveries
           WHERE status = 'pending' AND next_attempt_at <= ?
             AND webhook_id NOT IN (SELECT value FROM json_each(?))
           ORDER BY next_attempt_at
           LIMIT ?`,
        )
        .all(now, JSON.stringify(saturated), claimWindow(claim)) as { seq: number; webhook_id: string }[]
      const details = writer.get(
        `SELECT d.seq, d.delivery_id, d.workspace_id, d.webhook_id, d.event_id, d.round_attempts,
           d.manual_retry, w.url, w.secret, w.previous_secret, w.previous_secret_expires_at,
           COALESCE(e.json, d.test_event_json) AS event_json
         FROM webhook_deliveries d
         JOIN webhooks w ON w.webhook_id = d.webhook_id
         LEFT JOIN events e ON e.workspace_id = d.workspace_id AND e.event_id = d.event_id
         WHERE d.seq = ?`,
      )
      const lease = writer.get('UPDATE webhook_deliveries SET next_attempt_at = ?, claim_token = ? WHERE seq = ?')
      const nowIso = new Date(now).toISOString()
      return chooseClaims(candidates, claim).map((candidate): ClaimedDelivery => {
        const { seq, manual_retry, secret, previous_secret, previous_secret_expires_at, ...row } = details.get(candidate.seq) as ClaimRow
        const claimToken = randomUUID()
        lease.run(now + claim.leaseMs, claimToken, seq)
        return {
          ...row,
          claim_token: claimToken,
          manual_retry: manual_retry === 1,
          secrets: signingSecrets({ secret, previous_secret, previous_secret_expires_at }, nowIso),
        }
      })
    })
  }
}
