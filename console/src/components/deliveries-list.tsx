import { useEffect, useRef, useState } from 'preact/hooks'

import { callApi, type Delivery, errorMessage } from '../api.ts'
import { formatTime } from '../format.ts'
import { useSession } from '../session.ts'
import { StatusBadge } from './status-badge.tsx'

const refreshMs = 2000
const pageSize = 50

/** A webhook's deliveries, newest first, each with its attempts; refreshed while shown. */
export function DeliveriesList({ webhookId }: { webhookId: string }) {
  const { apiKey } = useSession()
  const [status, setStatus] = useState('')
  const [deliveries, setDeliveries] = useState<Delivery[] | null>(null)
  const [older, setOlder] = useState<Delivery[]>([])
  const [nextCursor, setNextCursor] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [refreshes, setRefreshes] = useState(0)
  // Read by the refresh timer: once older pages are shown, the cursor is theirs, not page 1's.
  const loadedOlder = useRef(false)

  type DeliveryPage = { deliveries: Delivery[]; pagination: { next_page_cursor: string | null } }
  const fetchPage = (cursor?: string): Promise<DeliveryPage> =>
    callApi<DeliveryPage>(apiKey, '/webhooks/deliveries/list', {
      webhook_id: webhookId,
      status,
      limit: pageSize,
      page_cursor: cursor,
    })

  useEffect(() => {
    let stopped = false
    const load = (): void => {
      fetchPage()
        .then((page) => {
          if (stopped) return
          setDeliveries(page.deliveries)
          if (!loadedOlder.current) setNextCursor(page.pagination.next_page_cursor)
          setError(null)
        })
        .catch((caught: unknown) => !stopped && setError(errorMessage(caught)))
    }
    load()
    const timer = setInterval(() => document.visibilityState === 'visible' && load(), refreshMs)
    return () => {
      stopped = true
      clearInterval(timer)
    }
  }, [apiKey, webhookId, status, refreshes])

  const retry = async (delivery: Delivery): Promise<void> => {
    try {
      await callApi(apiKey, '/webhooks/deliveries/retry', { delivery_id: delivery.delivery_id })
      setRefreshes((count) => count + 1)
    } catch (caught) {
      setError(errorMessage(caught))
    }
  }

  const loadOlder = async (): Promise<void> => {
    if (nextCursor === null) return
    try {
      const page = await fetchPage(nextCursor)
      loadedOlder.current = true
      setOlder((shown) => [...shown, ...page.deliveries])
      setNextCursor(page.pagination.next_page_cursor)
    } catch (caught) {
      setError(errorMessage(caught))
    }
  }

  const shown = [...(deliveries ?? []), ...older.filter((d) => !deliveries?.some((n) => n.delivery_id === d.delivery_id))]

  return (
    <section class="card" aria-labelledby="deliveries-heading">
      <div class="section-header">
        <h2 id="deliveries-heading">Deliveries</h2>
        <label class="inline">
          Status
          <select
            value={status}
            onChange={(event) => {
              setStatus(event.currentTarget.value)
              loadedOlder.current = false
              setOlder([])
            }}
          >
            <option value="">any</option>
            <option value="pending">pending</option>
            <option value="succeeded">succeeded</option>
            <option value="failed">failed</option>
          </select>
        </label>
      </div>
      {error !== null && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {deliveries !== null && shown.length === 0 && <p class="muted">No deliveries yet.</p>}
      <ul class="deliveries">
        {shown.map((delivery) => (
          <li key={delivery.delivery_id} data-delivery-id={delivery.delivery_id}>
            <details>
              <summary>
                <StatusBadge status={delivery.status} /> <strong>{delivery.event_type}</strong>{' '}
                <span class="muted">
                  {formatTime(delivery.created_at)} · {delivery.attempt_count} attempt(s)
                  {delivery.recovery_id !== null ? ' · recovery' : ''}
                </span>
              </summary>
              <p class="muted">
                Event <code>{delivery.event_id}</code>
                {delivery.next_attempt_at !== null && <> · next attempt {formatTime(delivery.next_attempt_at)}</>}
              </p>
              {delivery.attempts.length > 0 ? (
                <table class="attempts">
                  <caption class="visually-hidden">Attempts</caption>
                  <thead>
                    <tr>
                      <th scope="col">At</th>
                      <th scope="col">Status</th>
                      <th scope="col">Duration</th>
                      <th scope="col">Response</th>
                    </tr>
                  </thead>
                  <tbody>
                    {delivery.attempts.map((attempt) => (
                      <tr key={attempt.attempted_at}>
                        <td data-label="At">{formatTime(attempt.attempted_at)}</td>
                        <td data-label="Status">{attempt.status_code ?? attempt.error ?? '—'}</td>
                        <td data-label="Duration">{attempt.duration_ms} ms</td>
                        <td data-label="Response">
                          <code class="excerpt">{attempt.response_body ?? attempt.error ?? ''}</code>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              ) : (
                <p class="muted">Not attempted yet.</p>
              )}
              <button type="button" class="secondary" onClick={() => void retry(delivery)}>
                Retry now
              </button>
            </details>
          </li>
        ))}
      </ul>
      {nextCursor !== null && (
        <button type="button" class="secondary" onClick={() => void loadOlder()}>
          Load older deliveries
        </button>
      )}
    </section>
  )
}
