import { useEffect, useRef, useState } from 'preact/hooks'

import { ApiError, callApi, errorMessage, type EventPage, type Histogram, type SeamEvent } from '../api.ts'
import { EventDetail } from '../components/event-detail.tsx'
import { EventFilterForm } from '../components/event-filter-form.tsx'
import { TimelineChart } from '../components/timeline-chart.tsx'
import { openEventStream, type StreamState } from '../event-stream.ts'
import { defaultFilters, type EventFilters, matchParams, queryParams } from '../filters.ts'
import { formatTime } from '../format.ts'
import { useSession } from '../session.ts'

const pageSizes = [50, 100, 500]
/** Live mode adds rows to the page; past this many the oldest are dropped. */
const maxShownEvents = 1000

interface Query {
  filters: EventFilters
  /** The instant a relative range ("last hour") was resolved at, shared by the list and the chart. */
  at: number
}

export function EventsPage() {
  const { apiKey, signOut } = useSession()
  const [query, setQuery] = useState<Query>({ filters: defaultFilters, at: Date.now() })
  const [pageSize, setPageSize] = useState(100)
  // Cursors of the pages before the current one, so "Newer" can go back.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined])
  const [page, setPage] = useState<EventPage | null>(null)
  const [histogram, setHistogram] = useState<Histogram | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [loading, setLoading] = useState(false)
  const [selected, setSelected] = useState<SeamEvent | null>(null)
  const [live, setLive] = useState(false)
  const [streamState, setStreamState] = useState<StreamState | null>(null)
  const [liveIds, setLiveIds] = useState<ReadonlySet<string>>(new Set())

  const cursor = cursors[cursors.length - 1]
  const onFirstPage = cursors.length === 1
  const params = queryParams(query.filters, query.at)

  const report = (caught: unknown): void => {
    if (caught instanceof ApiError && caught.status === 401) signOut()
    setError(errorMessage(caught))
  }

  // The page the list shows was loaded for this query (page 1): where live mode takes over.
  const [loadedFirstPageOf, setLoadedFirstPageOf] = useState<Query | null>(null)
  // Ids on the page, so that an event both listed and streamed is shown once.
  const shownIds = useRef<Set<string>>(new Set())
  const newestShown = useRef<SeamEvent | undefined>(undefined)

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
        setLoadedFirstPageOf(cursor === undefined ? query : null)
      })
      .catch((caught: unknown) => current && report(caught))
      .finally(() => current && setLoading(false))
    return () => {
      current = false
    }
  }, [apiKey, query, pageSize, cursor])

  useEffect(() => {
    let current = true
    setHistogram(null)
    callApi<{ histogram: Histogram }>(apiKey, '/events/histogram', params)
      .then((body) => current && setHistogram(body.histogram))
      .catch((caught: unknown) => current && report(caught))
    return () => {
      current = false
    }
  }, [apiKey, query])

  const liveAllowed = query.filters.range.kind === 'last'
  const liveReady = live && liveAllowed && loadedFirstPageOf === query
  useEffect(() => {
    if (!liveReady) {
      setStreamState(null)
      return
    }
    // From the newest event listed (inclusive: repeats are dropped below), or from when the
    // query ran, so that nothing published between the list and the stream is missed.
    const since = newestShown.current?.created_at ?? new Date(query.at).toISOString()
    const stop = openEventStream(apiKey, { ...matchParams(query.filters), since }, {
      onEvent: (event) => {
        if (shownIds.current.has(event.event_id)) return
        shownIds.current.add(event.event_id)
        setLiveIds((ids) => new Set(ids).add(event.event_id))
        setPage((shown) =>
          shown === null ? shown : { ...shown, events: [event, ...shown.events].slice(0, maxShownEvents) },
        )
        setHistogram((shown) => (shown === null ? shown : countLiveEvent(shown, event)))
      },
      onState: setStreamState,
      onFatal: (caught) => {
        report(caught)
        setLive(false)
      },
    })
    return stop
  }, [apiKey, liveReady, query])

  const apply = (filters: EventFilters): void => {
    setQuery({ filters, at: Date.now() })
    setCursors([undefined])
    setLiveIds(new Set())
  }

  return (
    <>
      <h1>Events</h1>
      <EventFilterForm applied={query.filters} onApply={apply} />
      {error !== null && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {histogram !== null ? (
        <TimelineChart
          histogram={histogram}
          onZoom={(start, end) => apply({ ...query.filters, range: { kind: 'between', start, end } })}
        />
      ) : <div class="chart card muted">Loading chart…</div>}
      <div class="toolbar">
        <label class="inline">
          <input
            type="checkbox"
            checked={live && liveAllowed}
            disabled={!liveAllowed || !onFirstPage}
            onChange={(event) => setLive(event.currentTarget.checked)}
          />
          Live
        </label>
        <span class="muted" role="status" aria-live="polite">
          {!liveAllowed
            ? 'Live mode follows a "last …" range'
            : !onFirstPage
              ? 'Live mode shows the newest page'
              : streamState === 'live'
                ? `Live: ${liveIds.size} new event(s)`
                : streamState === 'connecting' || streamState === 'reconnecting'
                  ? `Live: ${streamState}…`
                  : ''}
        </span>
        <label class="inline">
          Per page
          <select value={String(pageSize)} onChange={(event) => {
            setPageSize(Number(event.currentTarget.value))
            setCursors([undefined])
          }}>
            {pageSizes.map((size) => (
              <option key={size} value={String(size)}>
                {size}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div class="table-wrap card" aria-busy={loading}>
        <table class="events">
          <caption class="visually-hidden">Events, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Created</th>
              <th scope="col">Type</th>
              <th scope="col">Device</th>
              <th scope="col">Description</th>
            </tr>
          </thead>
          <tbody>
            {page?.events.map((event) => (
              <tr key={event.event_id} class={liveIds.has(event.event_id) ? 'new' : undefined}>
                <td data-label="Created">{formatTime(event.created_at)}</td>
                <td data-label="Type">
                  <button type="button" class="link" onClick={() => setSelected(event)}>
                    {event.event_type}
                  </button>
                </td>
                <td data-label="Device">
                  <code>{event.device_id ?? '—'}</code>
                </td>
                <td data-label="Description">{event.event_description ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {page !== null && page.events.length === 0 && <p class="empty muted">No events match these filters.</p>}
      </div>
      <nav class="pager" aria-label="Pages">
        <button type="button" class="secondary" disabled={onFirstPage} onClick={() => setCursors(cursors.slice(0, -1))}>
          ← Newer
        </button>
        <span class="muted">Page {cursors.length}</span>
        <button
          type="button"
          class="secondary"
          disabled={page?.pagination.next_page_cursor == null}
          onClick={() => {
            const next = page?.pagination.next_page_cursor
            if (next != null) {
              setLive(false)
              setCursors([...cursors, next])
            }
          }}
        >
          Older →
        </button>
      </nav>
      {selected !== null && <EventDetail event={selected} onClose={() => setSelected(null)} />}
    </>
  )
}

/** Adds a live event to the chart's newest bucket, so the chart keeps up without a re-query. */
function countLiveEvent(histogram: Histogram, event: SeamEvent): Histogram {
  const last = histogram.buckets[histogram.buckets.length - 1]
  if (last === undefined || event.created_at < last.start) return histogram
  const counts = { ...last.counts, [event.event_type]: (last.counts[event.event_type] ?? 0) + 1 }
  return {
    ...histogram,
    event_types: histogram.event_types.includes(event.event_type)
      ? histogram.event_types
      : [...histogram.event_types, event.event_type],
    buckets: [...histogram.buckets.slice(0, -1), { ...last, counts, total: last.total + 1 }],
    total_events: histogram.total_events + 1,
  }
}
