// Retention works on whole UTC days: a day is `YYYY-MM-DD`, and an event belongs to the day its
// created_at starts with. Because created_at is stored as ISO 8601 UTC text, the day's events
// are exactly those with `day <= created_at < nextDay(day)` in string order.

const dayMs = 24 * 60 * 60 * 1000

/** The UTC day of an instant given in ms since the epoch. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10)
}

export function addDays(day: string, days: number): string {
  return utcDay(Date.parse(`${day}T00:00:00.000Z`) + days * dayMs)
}

export function nextDay(day: string): string {
  return addDays(day, 1)
}

/** The oldest created_at a workspace keeping `retentionDays` still shows at `now`. */
export function retainedSinceAt(now: number, retentionDays: number): string {
  return new Date(now - retentionDays * dayMs).toISOString()
}

/**
 * The first day a workspace keeping `retentionDays` still holds whole at `now`: the days
 * before it ended more than `retentionDays` ago, so every event in them is past retention.
 */
export function firstRetainedDay(now: number, retentionDays: number): string {
  return utcDay(now - retentionDays * dayMs)
}
