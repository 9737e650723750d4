import { useEffect, useState } from 'preact/hooks'

import { callApi, errorMessage, type Histogram, type Params } from '../api.ts'
import { formatAxisTime, formatTime, plural } from '../format.ts'

// Eight distinguishable hues; any further types share the ninth, "other".
const palette = ['#2563eb', '#16a34a', '#dc2626', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777']
const otherColor = '#6b7280'
const width = 800
const height = 160
/** Fewer non-empty buckets than this share of the range: the chart zooms to where the data is. */
const fitShare = 0.5

type Loaded =
  | { state: 'loading'; shown: { histogram: Histogram; fitted: boolean } | null }
  | { state: 'error'; message: string }
  | { state: 'ready'; shown: { histogram: Histogram; fitted: boolean } }

/**
 * Event counts per type over the range: its own request, loading and error state. When the data
 * fills less than the range's latest half (a fresh workspace in "last 7 days"), the chart is
 * drawn from the first event on, in finer buckets, and says so.
 */
export function TimelineSection({
  apiKey,
  params,
  queryKey,
  refreshKey,
  onZoom,
}: {
  apiKey: string
  params: Params
  /** Changes whenever the filters do. */
  queryKey: string
  /** Changes when live events arrive. */
  refreshKey: number
  onZoom(start: string, end: string): void
}) {
  const [loaded, setLoaded] = useState<Loaded>({ state: 'loading', shown: null })

  useEffect(() => {
    setLoaded({ state: 'loading', shown: null })
  }, [queryKey])

  useEffect(() => {
    let current = true
    const load = async (): Promise<void> => {
      const { histogram } = await callApi<{ histogram: Histogram }>(apiKey, '/events/histogram', params)
      const firstFilled = histogram.buckets.findIndex((bucket) => bucket.total > 0)
      if (firstFilled > 0 && firstFilled >= histogram.buckets.length * fitShare && histogram.bucket_seconds > 60) {
        const start = histogram.buckets[firstFilled]?.start ?? histogram.start
        const { since: _since, between: _between, ...filters } = params
        const fitted = await callApi<{ histogram: Histogram }>(apiKey, '/events/histogram', {
          ...filters,
          between: [start, histogram.end],
        })
        if (current) setLoaded({ state: 'ready', shown: { histogram: fitted.histogram, fitted: true } })
        return
      }
      if (current) setLoaded({ state: 'ready', shown: { histogram, fitted: false } })
    }
    const timer = setTimeout(
      () => void load().catch((caught: unknown) => current && setLoaded({ state: 'error', message: errorMessage(caught) })),
      refreshKey === 0 ? 0 : 1000,
    )
    return () => {
      current = false
      clearTimeout(timer)
    }
  }, [apiKey, queryKey, refreshKey])

  if (loaded.state === 'error') {
    return (
      <section class="chart card" aria-label="Timeline">
        <p class="error" role="alert">
          The chart could not be drawn: {loaded.message}
        </p>
      </section>
    )
  }
  if (loaded.shown === null) {
    return (
      <section class="chart card muted" aria-label="Timeline" aria-busy="true">
        Loading chart…
      </section>
    )
  }
  return <TimelineChart histogram={loaded.shown.histogram} fitted={loaded.shown.fitted} onZoom={onZoom} />
}

/** 1, 2 or 5 times a power of ten, at least `value`: the top of the axis. */
function niceCeiling(value: number): number {
  if (value <= 1) return 1
  const power = 10 ** Math.floor(Math.log10(value))
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power
  return 10 * power
}

export function TimelineChart({
  histogram,
  fitted,
  onZoom,
}: {
  histogram: Histogram
  fitted: boolean
  onZoom(start: string, end: string): void
}) {
  const [active, setActive] = useState<number | null>(null)
  const named = histogram.event_types.slice(0, palette.length)
  const hasOther = histogram.event_types.length > named.length
  const series = [
    ...named.map((type, index) => ({ label: type, color: palette[index] as string, types: [type] })),
    ...(hasOther ? [{ label: 'other types', color: otherColor, types: histogram.event_types.slice(named.length) }] : []),
  ]
  const { buckets } = histogram
  const top = niceCeiling(Math.max(1, ...buckets.map((bucket) => bucket.total)))
  const ticks = top >= 4 && top % 4 === 0 ? [0, top / 4, top / 2, (3 * top) / 4, top] : [0, top / 2, top].filter((tick) => Number.isInteger(tick))
  const barWidth = width / Math.max(1, buckets.length)
  const countOf = (bucket: (typeof buckets)[number], types: readonly string[]): number =>
    types.reduce((sum, type) => sum + (bucket.counts[type] ?? 0), 0)
  const totalsBySeries = series.map((entry) => buckets.reduce((sum, bucket) => sum + countOf(bucket, entry.types), 0))
  const spansDays = Date.parse(histogram.end) - Date.parse(histogram.start) > 36 * 3600_000
  const labelEvery = Math.max(1, Math.ceil(buckets.length / 6))
  const bucketEnd = (start: string): string => new Date(Date.parse(start) + histogram.bucket_seconds * 1000).toISOString()
  const zoom = (index: number): void => {
    const bucket = buckets[index]
    if (bucket !== undefined && bucket.total > 0) onZoom(bucket.start, bucketEnd(bucket.start))
  }
  const activeBucket = active === null ? undefined : buckets[active]

  return (
    <figure class="chart card" aria-labelledby="chart-caption">
      <figcaption id="chart-caption">
        {plural(histogram.total_events, 'event')} from {formatTime(histogram.start)} to {formatTime(histogram.end)}, per{' '}
        {bucketLabel(histogram.bucket_seconds)}
        {fitted && <span class="muted"> · from the first event in the range</span>}
      </figcaption>
      <div class="plot-frame">
        <div class="y-axis" aria-hidden="true">
          {ticks.map((tick) => (
            <span key={tick} style={{ bottom: `${(tick / top) * 100}%` }}>
              {tick.toLocaleString()}
            </span>
          ))}
        </div>
        <div
          class="plot"
          tabIndex={0}
          role="group"
          aria-label="Event counts over time: arrow keys read each bar, Enter zooms into it"
          aria-describedby="chart-tooltip"
          onKeyDown={(event) => {
            if (event.key === 'ArrowRight' || event.key === 'ArrowLeft') {
              event.preventDefault()
              const step = event.key === 'ArrowRight' ? 1 : -1
              setActive((index) => Math.min(buckets.length - 1, Math.max(0, (index ?? (step > 0 ? -1 : buckets.length)) + step)))
            } else if (event.key === 'Enter' && active !== null) zoom(active)
            else if (event.key === 'Escape') setActive(null)
          }}
          onMouseLeave={() => setActive(null)}
          onBlur={() => setActive(null)}
        >
          <svg viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" aria-hidden="true">
            {ticks.map((tick) => (
              <line key={tick} x1={0} x2={width} y1={height - (tick / top) * height} y2={height - (tick / top) * height} class={tick === 0 ? 'axis' : 'grid'} />
            ))}
            {buckets.map((bucket, index) => {
              let y = height
              return (
                <g
                  key={bucket.start}
                  class={`bucket${index === active ? ' active' : ''}`}
                  data-total={bucket.total}
                  onMouseEnter={() => setActive(index)}
                  onClick={() => zoom(index)}
                >
                  {/* The whole column takes the pointer, not only the thin bars. */}
                  <rect x={index * barWidth} y={0} width={barWidth} height={height} class="hit-area" />
                  {series.map((entry) => {
                    const count = countOf(bucket, entry.types)
                    if (count === 0) return null
                    const barHeight = (count / top) * height
                    y -= barHeight
                    return (
                      <rect
                        key={entry.label}
                        x={index * barWidth + barWidth * 0.1}
                        y={y}
                        width={Math.max(1, barWidth * 0.8)}
                        height={barHeight}
                        fill={entry.color}
                        class="bar"
                      />
                    )
                  })}
                </g>
              )
            })}
          </svg>
          <div
            id="chart-tooltip"
            class="chart-tooltip"
            role="status"
            hidden={activeBucket === undefined}
            style={active === null ? undefined : { left: `${Math.min(75, Math.max(0, ((active + 0.5) / buckets.length) * 100 - 12))}%` }}
          >
            {activeBucket !== undefined && (
              <>
                <strong>
                  {formatTime(activeBucket.start)} – {formatAxisTime(bucketEnd(activeBucket.start), false)}
                </strong>
                <span>{plural(activeBucket.total, 'event')}</span>
                {series
                  .map((entry) => [entry, countOf(activeBucket, entry.types)] as const)
                  .filter(([, count]) => count > 0)
                  .map(([entry, count]) => (
                    <span key={entry.label} class="tooltip-row">
                      <span class="swatch" style={{ background: entry.color }} aria-hidden="true" />
                      {entry.label}: {count.toLocaleString()}
                    </span>
                  ))}
                {activeBucket.total > 0 && <span class="muted">Click or Enter to zoom in</span>}
              </>
            )}
          </div>
        </div>
      </div>
      <div class="x-axis" aria-hidden="true">
        {buckets.map((bucket, index) =>
          index % labelEvery === 0 ? (
            <span key={bucket.start} style={{ left: `${(index / buckets.length) * 100}%` }}>
              {formatAxisTime(bucket.start, spansDays)}
            </span>
          ) : null,
        )}
      </div>
      {series.length > 0 ? (
        <ul class="legend" aria-label="Event types in the range">
          {series.map((entry, index) => (
            <li key={entry.label}>
              <span class="swatch" style={{ background: entry.color }} aria-hidden="true" />
              {entry.label} <span class="muted">{(totalsBySeries[index] ?? 0).toLocaleString()}</span>
            </li>
          ))}
        </ul>
      ) : (
        <p class="muted">No events in this range.</p>
      )}
    </figure>
  )
}

function bucketLabel(seconds: number): string {
  if (seconds % 86400 === 0) return seconds === 86400 ? 'day' : `${seconds / 86400} days`
  if (seconds % 3600 === 0) return seconds === 3600 ? 'hour' : `${seconds / 3600} hours`
  return seconds === 60 ? 'minute' : `${seconds / 60} minutes`
}
