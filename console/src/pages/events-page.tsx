import { useEffect, useState } from 'preact/hooks'

import { ApiError, callApi, type EventPage, type Histogram, type SeamEvent } from '../api.ts'
import { EventDetail } from '../components/event-detail.tsx'
import { EventFilterForm } from '../components/event-filter-form.tsx'
import { TimelineChart } from '../components/timeline-chart.tsx'
import { openEventStream, type StreamState } from '../event-stream.ts'
import { defaultFilters, type EventFilters, matchParams, queryParams } from '../filters.ts'
import { formatTime } from '../format.ts'
import { useSession } from '../session.ts'

const pageSizes = [50, 100, 500]

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
    setError(caught instanceof ApiError ? caught.message : String(caught))
  }

  useEffect(() => {
    setLoading(true)
    setError(null)
    callApi<EventPage>(apiKey, '/events/list', { ...params, limit: pageSize, page_cursor: cursor })
      .then(setPage)
      .catch(report)
      .finally(() => setLoading(false))
  }, [apiKey, query, pageSize, cursor])

  useEffect(() => {
    setHistogram(null)
    callApi<{ histogram: Histogram }>(apiKey, '/events/histogram', params)
      .then((body) => setHistogram(body.histogram))
      .catch(report)
  }, [apiKey, query])

  const liveAllowed = query.filters.range.kind === 'last'
  useEffect(() => {
    if (!live || !liveAllowed) {
      setStreamState(null)
      return
    }
    const stop = openEventStream(apiKey, matchParams(query.filters), {
      onEvent: (event) => {
        setLiveIds((ids) => new Set(ids).add(event.event_id))
        setPage((current) =>
          current === null ? current : { ...current, events: [event, ...current.events] },
        )
        setHistogram((current) => (current === null ? current : countLiveEvent(current, event)))
      },
      onState: setStreamState,
      onFatal: (caught) => {
        report(caught)
        setLive(false)
      },
    })
    return stop
  }, [apiKey, live, liveAllowed, query])

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
