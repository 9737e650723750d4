// How times and ranges are shown and entered: the API speaks ISO 8601 UTC, people read local time.

const dateTime = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
})

export function formatTime(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return '—'
  const date = new Date(iso)
  return Number.isNaN(date.getTime()) ? iso : dateTime.format(date)
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

export const rangePresets: readonly { label: string; seconds: number }[] = [
  { label: 'Last 15 minutes', seconds: 15 * 60 },
  { label: 'Last hour', seconds: 3600 },
  { label: 'Last 24 hours', seconds: 24 * 3600 },
  { label: 'Last 7 days', seconds: 7 * 24 * 3600 },
  { label: 'Last 30 days', seconds: 30 * 24 * 3600 },
]

/** The since/between parameter of events/list for a range, resolved against now. */
export function rangeParams(range: TimeRange, now = Date.now()): { since: string } | { between: [string, string] } {
  if (range.kind === 'last') return { since: new Date(now - range.seconds * 1000).toISOString() }
  return { between: [range.start, range.end] }
}

export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count.toLocaleString()} ${count === 1 ? noun : nouns}`
}
