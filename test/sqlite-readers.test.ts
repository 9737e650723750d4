// SQLite's reader threads (src/store/sqlite/sqlite-executor.ts, sqlite-threads.ts): reads asked
// together go to one reader in one message, each answered as soon as it is done, and a read that
// waited behind another's runaway query is asked again of a fresh reader rather than failed
// with it. One reader, so that every read meets the others; real threads on a real file.

import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { sql } from 'kysely'

import { QueryTimeoutError } from '../src/store/store.ts'
import { SqliteExecutor } from '../src/store/sqlite/sqlite-executor.ts'

const queryTimeoutMs = 300

describe('SQLite reader threads', { timeout: 60_000 }, () => {
  let directory: string
  let executor: SqliteExecutor

  before(() => {
    directory = mkdtempSync(join(tmpdir(), 'seam-events-readers-'))
    executor = new SqliteExecutor(join(directory, 'events.db'), { readers: 1, queryTimeoutMs })
  })
  after(async () => {
    await executor?.close()
    rmSync(directory, { recursive: true, force: true })
  })

  /**
   * A read that counts to `upTo`: ten million takes seconds (1.8 s here), past the timeout, and
   * ends a bounded time after it: SQLite's statement cannot be interrupted, and the process's
   * exit waits for a thread still inside one.
   */
  const counting = (upTo: number) =>
    executor.rows(
      executor.db
        .selectFrom(
          sql<{ n: number }>`(WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${upTo}) SELECT count(*) AS n FROM c)`.as('counted'),
        )
        .selectAll(),
    ) as Promise<{ n: number }[]>

  it('answers a quick read asked beside a slow one without waiting for it', async () => {
    // Asked in one synchronous run: one message to the one reader, the quick read first.
    const quick = counting(1)
    const slow = counting(10_000_000)
    let slowSettled = false
    slow.then(
      () => (slowSettled = true),
      () => (slowSettled = true),
    )
    assert.deepEqual(await quick, [{ n: 1 }])
    assert.equal(slowSettled, false, 'the quick answer came only with the slow one')
    await assert.rejects(slow, QueryTimeoutError)
  })

  it('asks a read that waited behind a runaway query again, instead of failing it with that query', async () => {
    // The slow read first: the quick one waits behind it on the one reader, which is given up.
    const slow = counting(10_000_000)
    const waiting = counting(1)
    await assert.rejects(slow, QueryTimeoutError)
    assert.deepEqual(await waiting, [{ n: 1 }])
    // And the fresh reader goes on answering.
    assert.deepEqual(await counting(2), [{ n: 2 }])
  })
})
