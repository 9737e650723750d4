import { useEffect, useMemo, useRef, useState } from 'preact/hooks'

import { ApiError, callApi, errorMessage, type EventPage, type SeamEvent } from '../api.ts'
import { EventDetail } from '../components/event-detail.tsx'
import { EventFilterForm } from '../components/event-filter-form.tsx'
import { Time } from '../components/time.tsx'
import { TimelineSection } from '../components/timeline-chart.tsx'
import { openEventStream, type StreamState } from '../event-stream.ts'
import { type EventFilters, filtersFromQuery, filtersToQuery, matchParams, queryParams } from '../filters.ts'
import { navigate, type Route, withParams } from '../route.ts'
import { useHref, useSession } from '../session.ts'

export const pageSizes = [25, 50, 100]
/** Live mode adds rows to the page; past this many the oldest are dropped. */
const maxShownEvents = 1000

/** The ids a row shows, each a link that filters by it. */
const rowIds = ['device_id', 'access_code_id', 'acs_system_id', 'connected_account_id'] as const

/**
 * The events explorer. Everything it shows comes from the address: filters, range, page size,
 * the page's cursors (`cursor`, one per page back to the first) and the open event (`event`).
 */
export function EventsPage({ route }: { route: Route }) {
  const { apiKey, signOut } = useSession()
  const href = useHref()
  const filters = useMemo(() => filtersFromQuery(route.query), [route.query.toString()])
  const filterKey = JSON.stringify(filtersToQuery(filters))
  const requestedSize = Number(route.query.get('limit'))
  const pageSize = pageSizes.includes(requestedSize) ? requestedSize : 25
  const cursors = route.query.getAll('cursor')
  const cursor = cursors.at(-1)
  const openEventId = route.query.get('event')
  // The instant a relative range ("last hour") is resolved at, shared by the list and the chart.
  const at = useMemo(() => Date.now(), [filterKey])
  const params = queryParams(filters, at)

  const [page, setPage] = useState<EventPage | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [loading, setLoading] = useState(false)
  const [live, setLive] = useState(false)
  const [streamState, setStreamState] = useState<StreamState | null>(null)
  const [liveIds, setLiveIds] = useState<ReadonlySet<string>>(new Set())
  const [liveCount, setLiveCount] = useState(0)
  const [loadedFirstPageOf, setLoadedFirstPageOf] = useState<string | null>(null)
  // Ids on the page, so that an event both listed and streamed is shown once.
  const shownIds = useRef<Set<string>>(new Set())
  const newestShown = useRef<SeamEvent | undefined>(undefined)

  const report = (caught: unknown): void => {
    if (caught instanceof ApiError && caught.status === 401) signOut()
    setError(errorMessage(caught))
  }

  const listKey = `${filterKey}|${pageSize}|${cursor ?? ''}`
  useEffect(() => {
    // A response that arrives after the filters or the page changed again is dropped.
    let current = true
    setLoading(true)
    setError(null)
    callApi<EventPage>(apiKey, '/events/list', { ...params, limit: pageSize, page_cursor: cursor })
      .then((loaded) => {
        if (!current) return
        setPage(loaded)
        shownIds.current = new Set(loaded.events.map((event) => event.event_id))
        newestShown.current = loaded.events[0]
        setLoadedFirstPageOf(cursor === undefined ? filterKey : null)
      })
      .catch((caught: unknown) => {
        if (!current) return
        setPage(null)
        report(caught)
      })
      .finally(() => current && setLoading(false))
    return () => {
      current = false
    }
  }, [apiKey, listKey])

  const liveAllowed = filters.range.kind === 'last'
  const liveReady = live && liveAllowed && loadedFirstPageOf === filterKey && cursor === undefined
  useEffect(() => {
    if (!liveReady) {
      setStreamState(null)
      return
    }
    // From the newest event listed (inclusive: repeats are dropped below), or from when the
    // query ran, so that nothing published between the list and the stream is missed.
    const since = newestShown.current?.created_at ?? new Date(at).toISOString()
    return openEventStream(apiKey, { ...matchParams(filters), since }, {
      onEvent: (event) => {
        if (shownIds.current.has(event.event_id)) return
        // The stream replays from the newest listed event's created_at, inclusive: others of that
        // same instant were stored before it, on a later page, not published since. (One
        // published in that very millisecond after the list loaded is missed until a reload.)
        if (newestShown.current !== undefined && event.created_at <= newestShown.current.created_at) return
        shownIds.current.add(event.event_id)
        setLiveIds((ids) => new Set(ids).add(event.event_id))
        setLiveCount((count) => count + 1)
        setPage((shown) => (shown === null ? shown : { ...shown, events: [event, ...shown.events].slice(0, maxShownEvents) }))
      },
      onState: setStreamState,
      onFatal: (caught) => {
        report(caught)
        setLive(false)
      },
    })
  }, [apiKey, liveReady, filterKey])

  const apply = (next: EventFilters): void => {
    setLiveIds(new Set())
    navigate(href('events', undefined, { ...filtersToQuery(next), limit: pageSize === 25 ? undefined : String(pageSize) }))
  }
  const listed = page?.events.find((event) => event.event_id === openEventId)
  const nextCursor = page?.pagination.next_page_cursor ?? null

  return (
    <>
      <div class="page-header">
        <h1>Events</h1>
        <div class="toolbar">
          <label class="inline">
            <input
              type="checkbox"
              checked={live && liveAllowed}
              disabled={!liveAllowed || cursor !== undefined}
              onChange={(event) => setLive(event.currentTarget.checked)}
            />
            Live
          </label>
          <span class="muted" role="status" aria-live="polite">
            {!liveAllowed
              ? 'Live mode follows a "last …" range'
              : cursor !== undefined
                ? 'Live mode shows the newest page'
                : streamState === 'live'
                  ? `Live: ${liveIds.size} new event(s)`
                  : streamState === 'connecting' || streamState === 'reconnecting'
                    ? `Live: ${streamState}…`
                    : ''}
          </span>
          <label class="inline">
            Per page
            <select
              value={String(pageSize)}
              onChange={(event) => navigate(withParams(route, { limit: event.currentTarget.value, cursor: undefined, event: undefined }))}
            >
              {pageSizes.map((size) => (
                <option key={size} value={String(size)}>
                  {size}
                </option>
              ))}
            </select>
          </label>
        </div>
      </div>
      <EventFilterForm applied={filters} onApply={apply} />
      <div class="table-wrap card" aria-busy={loading}>
        <table class="events">
          <caption class="visually-hidden">Events, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Created</th>
              <th scope="col">Type</th>
              <th scope="col">Ids</th>
              <th scope="col">Description</th>
            </tr>
          </thead>
          <tbody>
            {page?.events.map((event) => (
              <tr key={event.event_id} class={liveIds.has(event.event_id) ? 'new' : undefined} data-event-id={event.event_id}>
                <td data-label="Created">
                  <Time iso={event.created_at} />
                </td>
                <td data-label="Type" class="event-type">
                  <a href={withParams(route, { event: event.event_id })}>{event.event_type}</a>
                </td>
                <td data-label="Ids" class="ids">
                  {rowIds
                    .filter((name) => typeof event[name] === 'string')
                    .map((name) => (
                      <a key={name} href={href('events', undefined, { ...filtersToQuery(filters), [name]: event[name] as string })} title={`Only events with this ${name}`}>
                        <span class="id-name">{name.replace(/_id$/, '')}</span> <code>{String(event[name]).slice(0, 8)}</code>
                      </a>
                    ))}
                </td>
                <td data-label="Description">{event.event_description ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {error !== null && (
          <p class="error empty" role="alert">
            The events could not be listed: {error}
          </p>
        )}
        {error === null && page !== null && page.events.length === 0 && <p class="empty muted">No events match these filters.</p>}
      </div>
      <nav class="pager" aria-label="Pages">
        <PagerLink href={cursors.length === 0 ? null : withParams(route, { cursor: cursors.slice(0, -1), event: undefined })}>
          ← Newer
        </PagerLink>
        <span class="muted">Page {cursors.length + 1}</span>
        <PagerLink
          href={nextCursor === null ? null : withParams(route, { cursor: [...cursors, nextCursor], event: undefined })}
          onFollow={() => setLive(false)}
        >
          Older →
        </PagerLink>
      </nav>
      <TimelineSection
        apiKey={apiKey}
        params={params}
        queryKey={filterKey}
        refreshKey={liveCount}
        onZoom={(start, end) => apply({ ...filters, range: { kind: 'between', start, end } })}
      />
      {openEventId !== null && (
        <EventDetail key={openEventId} eventId={openEventId} listed={listed} onClose={() => navigate(withParams(route, { event: undefined }))} />
      )}
    </>
  )
}

/** A page link; without a page to go to, the same label, disabled. */
export function PagerLink({ href, onFollow, children }: { href: string | null; onFollow?: () => void; children: string }) {
  if (href === null) {
    return (
      <span class="button secondary disabled" aria-disabled="true">
        {children}
      </span>
    )
  }
  return (
    <a class="button secondary" href={href} onClick={onFollow}>
      {children}
    </a>
  )
}
