// The token bucket behind RATE_LIMIT_PER_SECOND (src/domain/request-rate-limit.ts), on a clock of
// the test's own.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import { RequestRateLimiter } from '../src/domain/request-rate-limit.ts'

describe('request rate limit', () => {
  it('lets a burst through at once, then the rate, and says when to try again', () => {
    const limiter = new RequestRateLimiter({ perSecond: 10, burst: 3 })
    const at = (ms: number) => limiter.take('key', ms)
    assert.deepEqual([at(0), at(0), at(0)], [{ allowed: true }, { allowed: true }, { allowed: true }])
    assert.deepEqual(at(0), { allowed: false, retryAfterMs: 100 })
    assert.deepEqual(at(50), { allowed: false, retryAfterMs: 50 })
    assert.deepEqual(at(100), { allowed: true })
    // Idle long enough, the bucket is full again, and no fuller.
    assert.deepEqual([at(10_000), at(10_000), at(10_000), at(10_000)].map((decision) => decision.allowed), [true, true, true, false])
  })

  it('counts each key apart', () => {
    const limiter = new RequestRateLimiter({ perSecond: 1, burst: 1 })
    assert.equal(limiter.take('a', 0).allowed, true)
    assert.equal(limiter.take('a', 0).allowed, false)
    assert.equal(limiter.take('b', 0).allowed, true)
  })
})
