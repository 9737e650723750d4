// When a failed delivery is tried again (src/domain/retry-schedule.ts).

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import { defaultRetryScheduleSeconds } from '../src/config.ts'
import { nextRetryDelayMs, parseRetryAfterMs } from '../src/domain/retry-schedule.ts'

describe('retry schedule', () => {
  it("follows Seam's schedule after the first attempt, then ends the round", () => {
    const delays = defaultRetryScheduleSeconds.map((_, index) =>
      nextRetryDelayMs(defaultRetryScheduleSeconds, { roundAttempts: index + 1, manualRetry: false }, () => 0.5),
    )
    assert.deepEqual(delays, [5, 300, 1800, 7200, 18000, 36000, 36000].map((seconds) => seconds * 1000))
    assert.equal(nextRetryDelayMs(defaultRetryScheduleSeconds, { roundAttempts: 8, manualRetry: false }), null)
  })

  it('jitters each delay by at most 10 % either way', () => {
    const [low, high] = [0, 0.999999].map((random) => nextRetryDelayMs([100], { roundAttempts: 1, manualRetry: false }, () => random))
    assert.deepEqual([low, high], [90_000, 110_000])
  })

  it('gives a manual retry one attempt', () => {
    assert.equal(nextRetryDelayMs(defaultRetryScheduleSeconds, { roundAttempts: 1, manualRetry: true }), null)
  })

  it('reads Retry-After as seconds or an HTTP date, up to a day', () => {
    const now = Date.parse('2026-12-02T12:00:00.000Z')
    assert.equal(parseRetryAfterMs('120', now), 120_000)
    assert.equal(parseRetryAfterMs('Wed, 02 Dec 2026 12:01:00 GMT', now), 60_000)
    assert.equal(parseRetryAfterMs('999999', now), 24 * 3600 * 1000)
    assert.equal(parseRetryAfterMs('Wed, 02 Dec 2026 11:00:00 GMT', now), 0)
    for (const bad of [undefined, '', '  ', 'soon']) assert.equal(parseRetryAfterMs(bad, now), undefined, String(bad))
  })
})
