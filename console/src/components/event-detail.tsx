import { Fragment } from 'preact'
import { useEffect, useState } from 'preact/hooks'

import { callApi, type Delivery, errorMessage, type SeamEvent, type Webhook } from '../api.ts'
import { isIdFilter } from '../filters.ts'
import { useHref, useSession } from '../session.ts'
import { CopyButton } from './copy-button.tsx'
import { Modal } from './modal.tsx'
import { StatusBadge } from './status-badge.tsx'
import { Time } from './time.tsx'

/**
 * One event, opened from the address (`event=<id>`): its fields, each id a link that filters the
 * list by it, the webhooks it went to by URL with every attempt, and the raw JSON as the API has it.
 */
export function EventDetail({ eventId, listed, onClose }: { eventId: string; listed: SeamEvent | undefined; onClose(): void }) {
  const { apiKey } = useSession()
  const href = useHref()
  const [event, setEvent] = useState<SeamEvent | null>(listed ?? null)
  const [error, setError] = useState<string | null>(null)
  const [deliveries, setDeliveries] = useState<Delivery[] | null>(null)
  const [urls, setUrls] = useState<ReadonlyMap<string, string>>(new Map())

  useEffect(() => {
    if (listed !== undefined) return
    callApi<{ event: SeamEvent }>(apiKey, '/events/get', { event_id: eventId })
      .then((body) => setEvent(body.event))
      .catch((caught: unknown) => setError(errorMessage(caught)))
  }, [apiKey, eventId])
  useEffect(() => {
    callApi<{ deliveries: Delivery[] }>(apiKey, '/webhooks/deliveries/list', { event_id: eventId })
      .then((page) => setDeliveries(page.deliveries))
      .catch((caught: unknown) => setError(errorMessage(caught)))
    callApi<{ webhooks: Webhook[] }>(apiKey, '/webhooks/list')
      .then((body) => setUrls(new Map(body.webhooks.map((webhook) => [webhook.webhook_id, webhook.url]))))
      .catch(() => {
        // Without the list, deliveries name their webhook by id.
      })
  }, [apiKey, eventId])

  if (event === null) {
    return (
      <Modal title="Event" onClose={onClose}>
        {error !== null ? <p class="error" role="alert">{error}</p> : <p class="muted">Loading…</p>}
      </Modal>
    )
  }
  const json = JSON.stringify(event, null, 2)
  const ids = Object.entries(event).filter(
    ([name, value]) => name.endsWith('_id') && name !== 'event_id' && typeof value === 'string',
  ) as [string, string][]
  const idLink = (name: string, value: string) =>
    isIdFilter(name) ? (
      <a href={href('events', undefined, { [name]: value })} title={`Events with this ${name}`}>
        <code>{value}</code>
      </a>
    ) : (
      <code>{value}</code>
    )

  return (
    <Modal title={event.event_type} onClose={onClose}>
      {event.event_description !== undefined && <p>{event.event_description}</p>}
      <dl class="facts">
        <dt>Event id</dt>
        <dd>
          <a href={href('events', undefined, { event_ids: event.event_id, range: '30d' })}>
            <code>{event.event_id}</code>
          </a>
        </dd>
        <dt>Created</dt>
        <dd>
          <Time iso={event.created_at} />
        </dd>
        <dt>Occurred</dt>
        <dd>
          <Time iso={event.occurred_at} />
        </dd>
        {ids.map(([name, value]) => (
          <Fragment key={name}>
            <dt>{name}</dt>
            <dd>{idLink(name, value)}</dd>
          </Fragment>
        ))}
        {typeof event['customer_key'] === 'string' && (
          <>
            <dt>customer_key</dt>
            <dd>
              <a href={href('events', undefined, { customer_key: event['customer_key'] })}>
                <code>{event['customer_key']}</code>
              </a>
            </dd>
          </>
        )}
      </dl>
      <h3>Webhook deliveries</h3>
      {error !== null && <p class="error">{error}</p>}
      {deliveries === null && error === null && <p class="muted">Loading…</p>}
      {deliveries !== null && deliveries.length === 0 && <p class="muted">No webhook received this event.</p>}
      {deliveries !== null && deliveries.length > 0 && (
        <ul class="plain event-deliveries">
          {deliveries.map((delivery) => (
            <li key={delivery.delivery_id}>
              <StatusBadge status={delivery.status} />{' '}
              <a href={href('webhooks', delivery.webhook_id, { delivery: delivery.delivery_id })}>
                {urls.get(delivery.webhook_id) ?? delivery.webhook_id}
              </a>
              <ol class="attempt-list">
                {delivery.attempts.map((attempt, index) => (
                  <li key={index}>
                    <Time iso={attempt.attempted_at} /> ·{' '}
                    <strong>{attempt.status_code ?? 'no response'}</strong> · {attempt.duration_ms} ms
                    {attempt.error !== null && <span class="muted"> · {attempt.error}</span>}
                  </li>
                ))}
                {delivery.attempts.length === 0 && <li class="muted">Not attempted yet</li>}
              </ol>
            </li>
          ))}
        </ul>
      )}
      <div class="raw-header">
        <h3>Raw JSON</h3>
        <CopyButton text={json} label="Copy JSON" />
      </div>
      <pre class="raw-json" tabIndex={0} aria-label="Raw JSON of the event">
        {json}
      </pre>
    </Modal>
  )
}
