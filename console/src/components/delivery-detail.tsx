import { useEffect, useState } from 'preact/hooks'

import { callApi, type DeliveryWithRequest, errorMessage } from '../api.ts'
import { useSession } from '../session.ts'
import { Modal } from './modal.tsx'
import { StatusBadge } from './status-badge.tsx'
import { Time } from './time.tsx'

/** Pretty JSON when the body is JSON, else the text as it is. */
function readable(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2)
  } catch {
    return body
  }
}

/**
 * One delivery, opened from the address (`delivery=<id>`): the request as sent (method, URL,
 * each attempt's headers, the body) and every attempt's response.
 */
export function DeliveryDetail({ deliveryId, onClose, onRetry }: { deliveryId: string; onClose(): void; onRetry(): void }) {
  const { apiKey } = useSession()
  const [found, setFound] = useState<DeliveryWithRequest | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [refreshes, setRefreshes] = useState(0)

  useEffect(() => {
    callApi<DeliveryWithRequest>(apiKey, '/webhooks/deliveries/get', { delivery_id: deliveryId })
      .then(setFound)
      .catch((caught: unknown) => setError(errorMessage(caught)))
  }, [apiKey, deliveryId, refreshes])
  // Followed while it waits for an attempt, so that the response shows up as it arrives.
  const pending = found?.delivery.status === 'pending'
  useEffect(() => {
    if (!pending) return
    const timer = setTimeout(() => setRefreshes((count) => count + 1), 1000)
    return () => clearTimeout(timer)
  }, [pending, found])

  const retry = async (): Promise<void> => {
    try {
      await callApi(apiKey, '/webhooks/deliveries/retry', { delivery_id: deliveryId })
      onRetry()
      setRefreshes((count) => count + 1)
    } catch (caught) {
      setError(errorMessage(caught))
    }
  }

  if (found === null) {
    return (
      <Modal title="Delivery" onClose={onClose}>
        {error !== null ? <p class="error" role="alert">{error}</p> : <p class="muted">Loading…</p>}
      </Modal>
    )
  }
  const { delivery, request } = found
  const latestHeaders = request?.attempts.at(-1)?.headers

  return (
    <Modal title={`Delivery of ${delivery.event_type}`} onClose={onClose}>
      <p>
        <StatusBadge status={delivery.status} /> {delivery.is_test_event && <span class="badge badge-test">test event</span>}{' '}
        to <code class="wrap">{found.webhook_url ?? delivery.webhook_id}</code>
      </p>
      <dl class="facts">
        <dt>Delivery id</dt>
        <dd>
          <code>{delivery.delivery_id}</code>
        </dd>
        <dt>Queued</dt>
        <dd>
          <Time iso={delivery.created_at} />
        </dd>
        <dt>Next attempt</dt>
        <dd>{delivery.next_attempt_at === null ? <span class="muted">none</span> : <Time iso={delivery.next_attempt_at} />}</dd>
      </dl>
      {error !== null && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="actions">
        <button type="button" class="secondary" onClick={() => void retry()}>
          Retry now
        </button>
      </div>
      <h3>Request</h3>
      {request === null ? (
        <p class="muted">The webhook is gone.</p>
      ) : (
        <>
          <p>
            <code class="wrap">
              {request.method} {request.url}
            </code>
          </p>
          {latestHeaders === undefined ? (
            <p class="muted">Not sent yet: the headers are made at each attempt.</p>
          ) : (
            <table class="headers">
              <caption>Headers of the latest attempt</caption>
              <tbody>
                {Object.entries(latestHeaders).map(([name, value]) => (
                  <tr key={name}>
                    <th scope="row">{name}</th>
                    <td>
                      <code>{value}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h4>Body</h4>
          {request.body === null ? (
            <p class="muted">The event is no longer stored.</p>
          ) : (
            <pre class="raw-json" tabIndex={0} aria-label="Request body">
              {readable(request.body)}
            </pre>
          )}
        </>
      )}
      <h3>Attempts</h3>
      {delivery.attempts.length === 0 && <p class="muted">Not attempted yet.</p>}
      <ol class="attempts-detail">
        {delivery.attempts.map((attempt, index) => (
          <li key={index} class="card">
            <p>
              <strong>{attempt.status_code ?? 'no response'}</strong> · <Time iso={attempt.attempted_at} /> · {attempt.duration_ms} ms
              {attempt.error !== null && <span class="error"> · {attempt.error}</span>}
            </p>
            {attempt.response_body !== null && attempt.response_body !== '' && (
              <pre class="raw-json response" tabIndex={0} aria-label={`Response body of attempt ${index + 1}`}>
                {attempt.response_body}
              </pre>
            )}
          </li>
        ))}
      </ol>
    </Modal>
  )
}
