// Admission (src/http/admission.ts): when a read route may run beside its key's lookup, and when
// it must wait for it. The key table here is a Map of the test's own, whose lookups the test
// answers, delays or fails when it chooses, so that what ran before the key was known is seen.
// The same rules end to end, on a real server: test/http-raw.test.ts and test/request-limits.test.ts.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import type { FastifyRequest } from 'fastify'

import { hashApiKeyToken } from '../src/domain/api-key-token.ts'
import { SeamApiError } from '../src/domain/errors.ts'
import { Admission } from '../src/http/admission.ts'
import type { ApiKey } from '../src/store/store.ts'

/** A key table whose next lookups can be held back or made to fail. */
class KeyTable {
  readonly keys = new Map<string, ApiKey>()
  lookups = 0
  #held: Promise<void> | undefined
  #failNext = 0

  add(token: string, scope: ApiKey['scope'] = 'read'): ApiKey {
    const key: ApiKey = {
      api_key_id: `key-${token}`,
      workspace_id: `workspace-${token}`,
      name: token,
      scope,
      short_token: token.slice(0, 4),
      created_at: '2026-01-01T00:00:00.000Z',
      revoked_at: null,
    }
    this.keys.set(hashApiKeyToken(token), key)
    return key
  }

  revoke(token: string): void {
    const key = this.keys.get(hashApiKeyToken(token)) as ApiKey
    this.keys.set(hashApiKeyToken(token), { ...key, revoked_at: '2026-01-02T00:00:00.000Z' })
  }

  /** Lookups wait until the returned function is called. */
  hold(): () => void {
    let release = () => {}
    this.#held = new Promise((resolve) => (release = resolve))
    return () => {
      this.#held = undefined
      release()
    }
  }

  failNext(count: number): void {
    this.#failNext = count
  }

  readonly store = {
    findApiKeyByTokenHash: async (tokenHash: string): Promise<ApiKey | undefined> => {
      this.lookups += 1
      await this.#held
      if (this.#failNext > 0) {
        this.#failNext -= 1
        throw new Error('the database is unreachable')
      }
      return this.keys.get(tokenHash)
    },
  }
}

const requestWith = (token: string) => ({ headers: { authorization: `Bearer ${token}` } }) as FastifyRequest

function admission(table: KeyTable, rateLimitPerSecond = 0): Admission {
  return new Admission({ store: table.store, limits: { rateLimitPerSecond, rateLimitBurst: 2 }, databaseReady: () => true })
}

/** A read that records which key it ran for, and whether the key had been confirmed by then. */
function recordingRead(table: KeyTable, runs: { key: string; lookupsSoFar: number }[]) {
  return async (apiKey: ApiKey) => {
    runs.push({ key: apiKey.api_key_id, lookupsSoFar: table.lookups })
    return `data of ${apiKey.workspace_id}`
  }
}

/** A gate that has admitted one read for `token`'s new key, and the runs its read records from then on. */
async function usedOnce(token: string, scope: ApiKey['scope'] = 'read') {
  const table = new KeyTable()
  table.add(token, scope)
  const gate = admission(table)
  const runs: { key: string; lookupsSoFar: number }[] = []
  const read = recordingRead(table, runs)
  await gate.admitReading(requestWith(token), 'read', read)
  return { table, gate, runs, read }
}

async function refusal(promise: Promise<unknown>): Promise<SeamApiError> {
  const error = await promise.then(
    () => assert.fail('expected a refusal'),
    (error: unknown) => error,
  )
  assert.ok(error instanceof SeamApiError, String(error))
  return error
}

describe('admission of read routes', { timeout: 30_000 }, () => {
  it('reads first for a token it has not seen, then runs beside the lookup with the key it had', async () => {
    const table = new KeyTable()
    table.add('alpha')
    const gate = admission(table)
    const runs: { key: string; lookupsSoFar: number }[] = []
    const read = recordingRead(table, runs)

    assert.equal(await gate.admitReading(requestWith('alpha'), 'read', read), 'data of workspace-alpha')
    // First request: the lookup was answered before the route ran.
    assert.deepEqual(runs, [{ key: 'key-alpha', lookupsSoFar: 1 }])

    const release = table.hold()
    const answer = gate.admitReading(requestWith('alpha'), 'read', read)
    await new Promise((resolve) => setImmediate(resolve))
    // Second request: the route ran while the held lookup had not answered...
    assert.equal(runs.length, 2)
    let settled = false
    void answer.finally(() => (settled = true))
    await new Promise((resolve) => setImmediate(resolve))
    // ...and nothing was answered until the key was confirmed.
    assert.equal(settled, false)
    release()
    assert.equal(await answer, 'data of workspace-alpha')
  })

  it('drops what a revoked key read and refuses it, then reads its key first again', async () => {
    const { table, gate, runs, read } = await usedOnce('alpha')

    table.revoke('alpha')
    const error = await refusal(gate.admitReading(requestWith('alpha'), 'read', read))
    assert.equal(error.type, 'unauthorized')
    assert.match(error.message, /revoked/)

    runs.length = 0
    await refusal(gate.admitReading(requestWith('alpha'), 'read', read))
    // Forgotten after its refusal: nothing more ran for it.
    assert.deepEqual(runs, [])
  })

  it('after a failed lookup, runs nothing for the key until a lookup has confirmed it', async () => {
    const { table, gate, runs, read } = await usedOnce('alpha')

    table.failNext(1)
    await assert.rejects(gate.admitReading(requestWith('alpha'), 'read', read), /unreachable/)

    // Revoked meanwhile: the next request learns it from its lookup, with nothing run for the old key.
    table.revoke('alpha')
    runs.length = 0
    const error = await refusal(gate.admitReading(requestWith('alpha'), 'read', read))
    assert.match(error.message, /revoked/)
    assert.deepEqual(runs, [])
  })

  it('forgets a key refused on a route that waits for its lookup, before any read runs for it', async () => {
    const { table, gate, runs, read } = await usedOnce('alpha', 'all')

    table.revoke('alpha')
    // A route that changes something is admitted before it runs (a publish, a webhook's edit).
    const error = await refusal(gate.admit(requestWith('alpha'), 'all'))
    assert.match(error.message, /revoked/)
    runs.length = 0
    await refusal(gate.admitReading(requestWith('alpha'), 'read', read))
    assert.deepEqual(runs, [])
  })

  it('refuses a narrower key as forbidden, whatever the route found', async () => {
    const table = new KeyTable()
    table.add('alpha')
    const gate = admission(table)
    await gate.admitReading(requestWith('alpha'), 'read', async () => 'first')
    // The same token's row now says publish-only (as if edited in the database by hand).
    const key = table.keys.get(hashApiKeyToken('alpha')) as ApiKey
    table.keys.set(hashApiKeyToken('alpha'), { ...key, scope: 'publish' })
    const error = await refusal(gate.admitReading(requestWith('alpha'), 'read', async () => 'secret data'))
    assert.equal(error.type, 'forbidden')
  })

  it('keeps the keys used most recently when it has to forget some', async () => {
    const table = new KeyTable()
    const gate = admission(table)
    const read = async (apiKey: ApiKey) => apiKey.api_key_id
    for (const token of ['kept', 'dropped']) {
      table.add(token)
      await gate.admitReading(requestWith(token), 'read', read)
    }
    // 9,998 more tokens fill it to its 10,000, 'kept' is used again, then one more token comes.
    for (let index = 0; index < 9_998; index += 1) {
      table.add(`filler-${index}`)
      await gate.admitReading(requestWith(`filler-${index}`), 'read', read)
    }
    await gate.admitReading(requestWith('kept'), 'read', read)
    table.add('newest')
    await gate.admitReading(requestWith('newest'), 'read', read)

    // 'kept' still runs beside its lookup; 'dropped', the least recently used, was forgotten.
    assert.equal(await ranBeforeItsLookupAnswered(table, gate, 'kept'), true)
    assert.equal(await ranBeforeItsLookupAnswered(table, gate, 'dropped'), false)
  })
})

/** Whether a read for `token` started while its key's lookup was held back. */
async function ranBeforeItsLookupAnswered(table: KeyTable, gate: Admission, token: string): Promise<boolean> {
  let ran = false
  const release = table.hold()
  const answer = gate.admitReading(requestWith(token), 'read', async () => {
    ran = true
  })
  await new Promise((resolve) => setImmediate(resolve))
  const early = ran
  release()
  await answer
  assert.equal(ran, true)
  return early
}
