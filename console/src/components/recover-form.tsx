import { useEffect, useState } from 'preact/hooks'

import { callApi, errorMessage, type Recovery } from '../api.ts'
import { formatTime, fromDatetimeLocal, plural, toDatetimeLocal } from '../format.ts'
import { useSession } from '../session.ts'

const pollMs = 1000

/** Re-sends a time window of events to the webhook, and follows the recovery until it is done. */
export function RecoverForm({ webhookId }: { webhookId: string }) {
  const { apiKey } = useSession()
  const [since, setSince] = useState(() => toDatetimeLocal(new Date(Date.now() - 3600_000)))
  const [until, setUntil] = useState(() => toDatetimeLocal(new Date()))
  const [recovery, setRecovery] = useState<Recovery | null>(null)
  const [error, setError] = useState<string | null>(null)

  useEffect(() => {
    // Followed until its deliveries are settled too, not only until the scan is done.
    if (recovery === null || (recovery.status === 'completed' && recovery.deliveries.pending === 0)) return
    const timer = setTimeout(() => {
      callApi<{ recovery: Recovery }>(apiKey, '/webhooks/recoveries/get', { recovery_id: recovery.recovery_id })
        .then((body) => setRecovery(body.recovery))
        .catch((caught: unknown) => setError(errorMessage(caught)))
    }, pollMs)
    return () => clearTimeout(timer)
  }, [apiKey, recovery])

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault()
    setError(null)
    try {
      const body = await callApi<{ recovery: Recovery }>(apiKey, '/webhooks/recover', {
        webhook_id: webhookId,
        since: fromDatetimeLocal(since),
        until: fromDatetimeLocal(until),
      })
      setRecovery(body.recovery)
    } catch (caught) {
      setError(errorMessage(caught))
    }
  }

  return (
    <form class="card" onSubmit={submit} aria-labelledby="recover-heading">
      <h2 id="recover-heading">Recover a time window</h2>
      <p class="muted">Sends every event of the window that this webhook wants again, as new deliveries.</p>
      <div class="filter-grid">
        <div class="field">
          <label for="recover-since">From</label>
          <input id="recover-since" type="datetime-local" step={1} required value={since} onInput={(e) => setSince(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="recover-until">To</label>
          <input id="recover-until" type="datetime-local" step={1} required value={until} onInput={(e) => setUntil(e.currentTarget.value)} />
        </div>
      </div>
      {error !== null && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="actions">
        <button type="submit" disabled={recovery !== null && recovery.status === 'running'}>
          Recover
        </button>
      </div>
      {recovery !== null && (
        <div class="recovery" role="status" aria-live="polite">
          <progress max={Math.max(1, recovery.events_total)} value={recovery.events_scanned} />
          <p>
            {recovery.status === 'completed' ? 'Completed' : 'Running'}: scanned{' '}
            {recovery.events_scanned.toLocaleString()} of {plural(recovery.events_total, 'event')},{' '}
            {plural(recovery.deliveries_queued, 'delivery', 'deliveries')} queued ({recovery.deliveries.succeeded} succeeded,{' '}
            {recovery.deliveries.pending} pending, {recovery.deliveries.failed} failed)
            {recovery.completed_at !== null && <> · {formatTime(recovery.completed_at)}</>}
          </p>
        </div>
      )}
    </form>
  )
}
