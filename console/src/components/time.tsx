import { formatTime, formatUtc } from '../format.ts'

/** A time in the viewer's zone, named; UTC on hover; never wrapped. */
export function Time({ iso }: { iso: string | null | undefined }) {
  if (iso === null || iso === undefined) return <span>—</span>
  return (
    <time class="time" dateTime={iso} title={formatUtc(iso)}>
      {formatTime(iso)}
    </time>
  )
}
