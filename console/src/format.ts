// How times and ranges are shown and entered: the API speaks ISO 8601 UTC, people read local time.

// The viewer's own time zone, named in every time shown ("14:03:07 CET"), and UTC on hover.
const dateTime = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  timeZoneName: 'short',
})
const shortTime = new Intl.DateTimeFormat(undefined, { month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit' })
const clockTime = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' })

/** The viewer's time zone, as the header names it: `Europe/Berlin`. */
export const viewerTimeZone: string = Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC'

export function formatTime(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return '—'
  const date = new Date(iso)
  return Number.isNaN(date.getTime()) ? iso : dateTime.format(date)
}

/** `2026-12-02 14:03:07 UTC`: the title of every time shown. */
export function formatUtc(iso: string): string {
  const date = new Date(iso)
  return Number.isNaN(date.getTime()) ? iso : `${date.toISOString().replace('T', ' ').slice(0, 19)} UTC`
}

/** An axis label: the time of day, and the date too when the range spans days. */
export function formatAxisTime(iso: string, spansDays: boolean): string {
  const date = new Date(iso)
  return (spansDays ? shortTime : clockTime).format(date)
}

/** The value of an <input type="datetime-local"> for an instant, in local time. */
export function toDatetimeLocal(date: Date): string {
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000)
  return local.toISOString().slice(0, 19)
}

/** Back from an <input type="datetime-local"> (local time) to ISO 8601 UTC. */
export function fromDatetimeLocal(value: string): string | undefined {
  if (value === '') return undefined
  const date = new Date(value)
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString()
}

export type TimeRange =
  | { kind: 'last'; seconds: number }
  | { kind: 'between'; start: string; end: string }

/** `token` is how the address names a preset (`range=7d`). */
export const rangePresets: readonly { label: string; seconds: number; token: string }[] = [
  { label: 'Last 15 minutes', seconds: 15 * 60, token: '15m' },
  { label: 'Last hour', seconds: 3600, token: '1h' },
  { label: 'Last 24 hours', seconds: 24 * 3600, token: '24h' },
  { label: 'Last 7 days', seconds: 7 * 24 * 3600, token: '7d' },
  { label: 'Last 30 days', seconds: 30 * 24 * 3600, token: '30d' },
]

/** The since/between parameter of events/list for a range, resolved against now. */
export function rangeParams(range: TimeRange, now = Date.now()): { since: string } | { between: [string, string] } {
  if (range.kind === 'last') return { since: new Date(now - range.seconds * 1000).toISOString() }
  return { between: [range.start, range.end] }
}

export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count.toLocaleString()} ${count === 1 ? noun : nouns}`
}
