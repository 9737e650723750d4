// When a failed delivery is tried again. Pure functions of the configured schedule, so that the
// worker and its tests agree on every case.

/** Retry-After is honoured up to a day; a longer wait would look like a lost delivery. */
const maxRetryAfterMs = 24 * 60 * 60 * 1000

export interface RetryState {
  /** Attempts made in this round, including the one that just failed. */
  roundAttempts: number
  /** A manual retry is one attempt: if it fails, the delivery is failed again. */
  manualRetry: boolean
}

/**
 * The delay before the next attempt, or null when the round is over. Each delay gets ±10 %
 * jitter so that a receiver coming back up is not hit by every retry in the same second.
 */
export function nextRetryDelayMs(
  scheduleSeconds: readonly number[],
  { roundAttempts, manualRetry }: RetryState,
  random: () => number = Math.random,
): number | null {
  if (manualRetry) return null
  const delaySeconds = scheduleSeconds[roundAttempts - 1]
  if (delaySeconds === undefined) return null
  const jitter = 0.9 + 0.2 * random()
  return Math.round(delaySeconds * 1000 * jitter)
}

/** The wait a 429 or 503 asks for, from seconds or an HTTP date; undefined when absent or bad. */
export function parseRetryAfterMs(header: string | undefined, now: number): number | undefined {
  if (header === undefined || header.trim() === '') return undefined
  const trimmed = header.trim()
  const milliseconds = /^\d+$/.test(trimmed)
    ? Number(trimmed) * 1000
    : Date.parse(trimmed) - now
  if (!Number.isFinite(milliseconds)) return undefined
  return Math.min(Math.max(milliseconds, 0), maxRetryAfterMs)
}
