// A token bucket per API key: a key may send `burst` requests at once, and `perSecond` on
// average after that. Written here rather than taken from @fastify/rate-limit or
// rate-limiter-flexible: both count fixed windows, which let a client send twice the rate
// across a window's edge and know no burst apart from the rate, while a bucket is the usual
// contract of an API's limit (Stripe's, AWS's) and is these few lines.

export interface RateLimit {
  /** Requests a key may make per second, on average. */
  perSecond: number
  /** Requests a key may make at once, after being idle. */
  burst: number
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterMs: number }

interface Bucket {
  tokens: number
  updatedAt: number
}

/** Buckets kept before idle (full) ones are dropped; a full bucket is the same as none. */
const bucketsBeforeSweep = 10_000

export class RequestRateLimiter {
  readonly #limit: RateLimit
  readonly #buckets = new Map<string, Bucket>()

  constructor(limit: RateLimit) {
    if (!(limit.perSecond > 0) || !(limit.burst >= 1)) {
      throw new RangeError('a rate limit needs perSecond > 0 and burst >= 1')
    }
    this.#limit = limit
  }

  /** Takes one request's token from `key`'s bucket at time `nowMs` (milliseconds). */
  take(key: string, nowMs: number): RateDecision {
    const bucket = this.#buckets.get(key) ?? { tokens: this.#limit.burst, updatedAt: nowMs }
    bucket.tokens = this.#refilled(bucket, nowMs)
    bucket.updatedAt = Math.max(bucket.updatedAt, nowMs)
    if (!this.#buckets.has(key)) {
      if (this.#buckets.size >= bucketsBeforeSweep) this.#dropFullBuckets(nowMs)
      this.#buckets.set(key, bucket)
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1
      return { allowed: true }
    }
    return { allowed: false, retryAfterMs: Math.ceil(((1 - bucket.tokens) * 1000) / this.#limit.perSecond) }
  }

  #refilled(bucket: Bucket, nowMs: number): number {
    const elapsedMs = Math.max(0, nowMs - bucket.updatedAt)
    return Math.min(this.#limit.burst, bucket.tokens + (elapsedMs * this.#limit.perSecond) / 1000)
  }

  #dropFullBuckets(nowMs: number): void {
    for (const [key, bucket] of this.#buckets) {
      if (this.#refilled(bucket, nowMs) >= this.#limit.burst) this.#buckets.delete(key)
    }
  }
}
