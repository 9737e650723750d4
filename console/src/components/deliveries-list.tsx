import { useEffect, useState } from 'preact/hooks'

import { callApi, type Delivery, errorMessage } from '../api.ts'
import { PagerLink } from '../pages/events-page.tsx'
import { navigate, type Route, withParams } from '../route.ts'
import { useSession } from '../session.ts'
import { DeliveryDetail } from './delivery-detail.tsx'
import { StatusBadge } from './status-badge.tsx'
import { Time } from './time.tsx'

const refreshMs = 2000
const pageSize = 25
const statuses = ['pending', 'succeeded', 'failed'] as const

/**
 * A webhook's deliveries, newest first, 25 a page, refreshed while shown. The status filter
 * (`status`), the page (`dcursor`, one per page back to the first) and the open delivery
 * (`delivery`) are in the address.
 */
export function DeliveriesList({ webhookId, route, refreshKey }: { webhookId: string; route: Route; refreshKey: number }) {
  const { apiKey } = useSession()
  const status = statuses.find((candidate) => candidate === route.query.get('status')) ?? ''
  const cursors = route.query.getAll('dcursor')
  const cursor = cursors.at(-1)
  const openDelivery = route.query.get('delivery')
  const [deliveries, setDeliveries] = useState<Delivery[] | null>(null)
  const [nextCursor, setNextCursor] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [refreshes, setRefreshes] = useState(0)

  useEffect(() => {
    let stopped = false
    const load = (): void => {
      callApi<{ deliveries: Delivery[]; pagination: { next_page_cursor: string | null } }>(apiKey, '/webhooks/deliveries/list', {
        webhook_id: webhookId,
        status,
        limit: pageSize,
        page_cursor: cursor,
      })
        .then((page) => {
          if (stopped) return
          setDeliveries(page.deliveries)
          setNextCursor(page.pagination.next_page_cursor)
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
  }, [apiKey, webhookId, status, cursor, refreshes, refreshKey])

  return (
    <section class="card" aria-labelledby="deliveries-heading">
      <div class="section-header">
        <h2 id="deliveries-heading">Deliveries</h2>
        <label class="inline">
          Status
          <select
            value={status}
            onChange={(event) => navigate(withParams(route, { status: event.currentTarget.value, dcursor: undefined }))}
          >
            <option value="">any</option>
            {statuses.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
        </label>
      </div>
      {error !== null && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {deliveries !== null && deliveries.length === 0 && <p class="muted">No deliveries yet.</p>}
      <ul class="deliveries">
        {deliveries?.map((delivery) => {
          const last = delivery.attempts.at(-1)
          return (
            <li key={delivery.delivery_id} data-delivery-id={delivery.delivery_id}>
              <a class="delivery-row" href={withParams(route, { delivery: delivery.delivery_id })}>
                <StatusBadge status={delivery.status} />
                <span class="code" title="Status code of the latest attempt">
                  {last === undefined ? '—' : (last.status_code ?? 'no response')}
                </span>
                <strong class="event-type">{delivery.event_type}</strong>
                {delivery.is_test_event && <span class="badge badge-test">test</span>}
                <span class="muted">
                  <Time iso={delivery.created_at} /> · {delivery.attempt_count} attempt(s)
                  {delivery.recovery_id !== null ? ' · recovery' : ''}
                </span>
                {delivery.next_attempt_at !== null && (
                  <span class="muted next-attempt">
                    next <Time iso={delivery.next_attempt_at} />
                  </span>
                )}
              </a>
            </li>
          )
        })}
      </ul>
      <nav class="pager" aria-label="Pages of deliveries">
        <PagerLink href={cursors.length === 0 ? null : withParams(route, { dcursor: cursors.slice(0, -1) })}>← Newer</PagerLink>
        <span class="muted">Page {cursors.length + 1}</span>
        <PagerLink href={nextCursor === null ? null : withParams(route, { dcursor: [...cursors, nextCursor] })}>Older →</PagerLink>
      </nav>
      {openDelivery !== null && (
        <DeliveryDetail
          key={openDelivery}
          deliveryId={openDelivery}
          onRetry={() => setRefreshes((count) => count + 1)}
          onClose={() => navigate(withParams(route, { delivery: undefined }))}
        />
      )}
    </section>
  )
}
