// Who may make a request: the database is up, the caller's key may call the route, and the key
// is within its rate. The key is read from the database on every request, so that a key revoked
// by any process (`seam-events api-keys revoke`, another server on the same database) is refused
// from its next request on. A route that only reads does not wait for that read: it runs with the
// key its token had last while the key is read again beside it, and it is answered only if the
// key still is that one. On SQLite both reads then leave for a reader thread in one message,
// the key's answered first (sqlite-threads.ts): one message to a reader a request instead of two.

import type { FastifyRequest } from 'fastify'
import { performance } from 'node:perf_hooks'

import type { RequestLimitsConfig } from '../config.ts'
import { SeamApiError } from '../domain/errors.ts'
import { RequestRateLimiter } from '../domain/request-rate-limit.ts'
import type { ApiKey, WorkspaceStore } from '../store/store.ts'
import { bearerTokenHash, checkKey, keyAllows, type RequiredAccess } from './authenticate.ts'

/**
 * Keys remembered by their token's hash. Only the workspace and scope of the last answer are
 * used, and only to start a read that is answered once the key has been read again; a key past
 * this many is simply read first, as every key is on its first request.
 */
const rememberedKeys = 10_000

export interface AdmissionOptions {
  store: Pick<WorkspaceStore, 'findApiKeyByTokenHash'>
  limits: Pick<RequestLimitsConfig, 'rateLimitPerSecond' | 'rateLimitBurst'>
  databaseReady(): boolean
}

export class Admission {
  readonly #store: AdmissionOptions['store']
  readonly #limits: AdmissionOptions['limits']
  readonly #databaseReady: () => boolean
  readonly #rateLimiter: RequestRateLimiter | undefined
  readonly #lastKeys = new Map<string, ApiKey>()

  constructor({ store, limits, databaseReady }: AdmissionOptions) {
    this.#store = store
    this.#limits = limits
    this.#databaseReady = databaseReady
    this.#rateLimiter =
      limits.rateLimitPerSecond > 0
        ? new RequestRateLimiter({ perSecond: limits.rateLimitPerSecond, burst: limits.rateLimitBurst })
        : undefined
  }

  /** Lets a request in, or throws the Seam error that refuses it. */
  async admit(request: FastifyRequest, access: RequiredAccess): Promise<ApiKey> {
    this.#assertDatabaseReady()
    const tokenHash = bearerTokenHash(request)
    let apiKey: ApiKey
    try {
      apiKey = checkKey(await this.#store.findApiKeyByTokenHash(tokenHash), access)
    } catch (error) {
      // Refused, or not confirmed: no read runs for the key it had until a lookup confirms it.
      this.#forget(tokenHash)
      throw error
    }
    this.#remember(tokenHash, apiKey)
    const retryAfterMs = this.#takeRate(apiKey)
    if (retryAfterMs !== undefined) throw this.#rateLimited(retryAfterMs)
    return apiKey
  }

  /**
   * Runs a route that only reads (it changes nothing, so running it for a key that turns out
   * revoked costs work, never data), for the key its token had on its last request, while that
   * key is read again. Its answer, or its error, is given only if the key read now is the same
   * key with the same scope and not revoked; otherwise the request is admitted afresh, which
   * refuses it as `admit` would. A token not seen before is admitted first, as by `admit`.
   */
  async admitReading<T>(request: FastifyRequest, access: RequiredAccess, read: (apiKey: ApiKey) => Promise<T>): Promise<T> {
    this.#assertDatabaseReady()
    const tokenHash = bearerTokenHash(request)
    const last = this.#lastKeys.get(tokenHash)
    if (!keyAllows(last, access)) return await read(await this.admit(request, access))
    const retryAfterMs = this.#takeRate(last)
    if (retryAfterMs !== undefined) {
      // Refused either way; a revoked key learns that first, as from `admit`.
      this.#forget(tokenHash)
      this.#remember(tokenHash, checkKey(await this.#store.findApiKeyByTokenHash(tokenHash), access))
      throw this.#rateLimited(retryAfterMs)
    }
    // Both asked in this synchronous run, the key first: on SQLite they travel to one reader
    // together, and the key's answer comes back as soon as it is read.
    const current = this.#store.findApiKeyByTokenHash(tokenHash)
    let answer: Promise<T>
    try {
      answer = read(last)
    } catch (error) {
      answer = Promise.reject(error)
    }
    // Its error, if any, is the request's only once the key is known (awaited below, or dropped).
    answer.catch(() => {})
    let key: ApiKey | undefined
    try {
      key = await current
    } catch (error) {
      // Unconfirmed, the key is not used again before it is: a token whose lookup keeps failing
      // (a database down, a query past its timeout) gets no more reads run for its old key.
      this.#forget(tokenHash)
      throw error
    }
    if (sameGrant(key, last)) {
      this.#remember(tokenHash, key as ApiKey)
      return await answer
    }
    // The key changed since its last request: its answer is dropped, and the request is
    // refused as by `admit` (revoked, or gone) or, for a key that still may, run for it again.
    this.#forget(tokenHash)
    const apiKey = checkKey(key, access)
    this.#remember(tokenHash, apiKey)
    return await read(apiKey)
  }

  #assertDatabaseReady(): void {
    if (!this.#databaseReady()) {
      throw new SeamApiError(
        'service_unavailable',
        'The server is still connecting to its database; try again shortly',
        undefined,
        { 'retry-after': '1' },
      )
    }
  }

  /** Keeps the key a token has now, as the most recently used (the least recently used goes first). */
  #remember(tokenHash: string, apiKey: ApiKey): void {
    this.#lastKeys.delete(tokenHash)
    if (this.#lastKeys.size >= rememberedKeys) {
      // A Map iterates in insertion order, and each confirmed use re-inserts its key.
      this.#lastKeys.delete(this.#lastKeys.keys().next().value as string)
    }
    this.#lastKeys.set(tokenHash, apiKey)
  }

  #forget(tokenHash: string): void {
    this.#lastKeys.delete(tokenHash)
  }

  /** Takes a request's token from the key's bucket: undefined if there was one, else how long until there is. */
  #takeRate(apiKey: ApiKey): number | undefined {
    const decision = this.#rateLimiter?.take(apiKey.api_key_id, performance.now())
    return decision === undefined || decision.allowed ? undefined : decision.retryAfterMs
  }

  #rateLimited(retryAfterMs: number): SeamApiError {
    return new SeamApiError(
      'rate_limited',
      `This API key made more than ${this.#limits.rateLimitPerSecond} requests per second ` +
        `(bursts of ${this.#limits.rateLimitBurst}); retry after the time in the retry-after header`,
      undefined,
      { 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) },
    )
  }
}

/** The same key, not revoked, with the same scope and workspace: what a route's answer rests on. */
function sameGrant(current: ApiKey | undefined, last: ApiKey): boolean {
  return (
    current !== undefined &&
    current.revoked_at === null &&
    current.api_key_id === last.api_key_id &&
    current.workspace_id === last.workspace_id &&
    current.scope === last.scope
  )
}
