import type { Histogram } from '../api.ts'
import { formatTime, plural } from '../format.ts'

// Eight distinguishable hues; any further types share the ninth, "other".
const palette = ['#2563eb', '#16a34a', '#dc2626', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777']
const otherColor = '#6b7280'
const width = 800
const height = 180
const axisHeight = 22

/**
 * Event counts per type over the range: one stacked bar per bucket, drawn as plain SVG. Clicking
 * a bar narrows the range to its bucket (the range picker does the same from the keyboard).
 */
export function TimelineChart({
  histogram,
  onZoom,
}: {
  histogram: Histogram
  onZoom(start: string, end: string): void
}) {
  const named = histogram.event_types.slice(0, palette.length)
  const hasOther = histogram.event_types.length > named.length
  const series = [
    ...named.map((type, index) => ({ label: type, color: palette[index] as string, types: [type] })),
    ...(hasOther
      ? [{ label: 'other types', color: otherColor, types: histogram.event_types.slice(named.length) }]
      : []),
  ]
  const maxTotal = Math.max(1, ...histogram.buckets.map((bucket) => bucket.total))
  const barWidth = width / Math.max(1, histogram.buckets.length)
  const plotHeight = height - axisHeight
  const totalsBySeries = series.map((entry) =>
    histogram.buckets.reduce(
      (sum, bucket) => sum + entry.types.reduce((inner, type) => inner + (bucket.counts[type] ?? 0), 0),
      0,
    ),
  )
  const first = histogram.buckets[0]
  const last = histogram.buckets[histogram.buckets.length - 1]

  return (
    <figure class="chart card" aria-labelledby="chart-caption">
      <figcaption id="chart-caption">
        {plural(histogram.total_events, 'event')} from {formatTime(histogram.start)} to{' '}
        {formatTime(histogram.end)}, per {bucketLabel(histogram.bucket_seconds)}
      </figcaption>
      <svg
        viewBox={`0 0 ${width} ${height}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={`Bar chart of ${plural(histogram.total_events, 'event')} by type`}
      >
        <line x1={0} x2={width} y1={plotHeight} y2={plotHeight} class="axis" />
        {histogram.buckets.map((bucket, index) => {
          let top = plotHeight
          return (
            <g
              key={bucket.start}
              class="bucket"
              onClick={() =>
                bucket.total > 0 &&
                onZoom(bucket.start, new Date(Date.parse(bucket.start) + histogram.bucket_seconds * 1000).toISOString())
              }
            >
              {/* The whole column takes the click, not only the thin bars. */}
              <rect x={index * barWidth} y={0} width={barWidth} height={plotHeight} class="hit-area" />
              <title>
                {`${formatTime(bucket.start)}: ${plural(bucket.total, 'event')}`}
                {series
                  .map((entry) => [entry.label, entry.types.reduce((sum, type) => sum + (bucket.counts[type] ?? 0), 0)] as const)
                  .filter(([, count]) => count > 0)
                  .map(([label, count]) => `\n${label}: ${count}`)
                  .join('')}
                {bucket.total > 0 ? '\nClick to zoom in' : ''}
              </title>
              {series.map((entry) => {
                const count = entry.types.reduce((sum, type) => sum + (bucket.counts[type] ?? 0), 0)
                if (count === 0) return null
                const barHeight = (count / maxTotal) * (plotHeight - 4)
                top -= barHeight
                return (
                  <rect
                    key={entry.label}
                    x={index * barWidth + barWidth * 0.1}
                    y={top}
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
      <div class="chart-axis" aria-hidden="true">
        <span>{first === undefined ? '' : formatTime(first.start)}</span>
        <span>max {maxTotal.toLocaleString()} per {bucketLabel(histogram.bucket_seconds)}</span>
        <span>{last === undefined ? '' : formatTime(last.start)}</span>
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
