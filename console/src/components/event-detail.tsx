import { Fragment } from 'preact'
import { useEffect, useState } from 'preact/hooks'

import { callApi, type Delivery, errorMessage, type SeamEvent } from '../api.ts'
import { formatTime } from '../format.ts'
import { useSession } from '../session.ts'
import { CopyButton } from './copy-button.tsx'
import { Modal } from './modal.tsx'
import { StatusBadge } from './status-badge.tsx'

/** One event: its main fields, the webhooks it went to, and the raw JSON exactly as the API has it. */
export function EventDetail({ event, onClose }: { event: SeamEvent; onClose(): void }) {
  const { apiKey } = useSession()
  const [deliveries, setDeliveries] = useState<Delivery[] | null>(null)
  const [deliveriesError, setDeliveriesError] = useState<string | null>(null)
  const json = JSON.stringify(event, null, 2)

  useEffect(() => {
    callApi<{ deliveries: Delivery[] }>(apiKey, '/webhooks/deliveries/list', { event_id: event.event_id })
      .then((page) => setDeliveries(page.deliveries))
      .catch((error: unknown) => setDeliveriesError(errorMessage(error)))
  }, [apiKey, event.event_id])

  const ids = Object.entries(event).filter(
    ([name, value]) => name.endsWith('_id') && name !== 'event_id' && typeof value === 'string',
  )

  return (
    <Modal title={event.event_type} onClose={onClose}>
      {event.event_description !== undefined && <p>{event.event_description}</p>}
      <dl class="facts">
        <dt>Event id</dt>
        <dd>
          <code>{event.event_id}</code>
        </dd>
        <dt>Created</dt>
        <dd>{formatTime(event.created_at)}</dd>
        <dt>Occurred</dt>
        <dd>{formatTime(event.occurred_at)}</dd>
        {ids.map(([name, value]) => (
          <Fragment key={name}>
            <dt>{name}</dt>
            <dd>
              <code>{String(value)}</code>
            </dd>
          </Fragment>
        ))}
      </dl>
      <h3>Deliveries</h3>
      {deliveriesError !== null && <p class="error">{deliveriesError}</p>}
      {deliveries === null && deliveriesError === null && <p class="muted">Loading…</p>}
      {deliveries !== null && deliveries.length === 0 && <p class="muted">No webhook received this event.</p>}
      {deliveries !== null && deliveries.length > 0 && (
        <ul class="plain">
          {deliveries.map((delivery) => (
            <li key={delivery.delivery_id}>
              <StatusBadge status={delivery.status} />{' '}
              <a href={`#/webhooks/${encodeURIComponent(delivery.webhook_id)}`}>{delivery.webhook_id}</a>{' '}
              <span class="muted">{delivery.attempt_count} attempt(s)</span>
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
