// SQLite's writer commits claims and outcomes without waiting for the disk and everything else,
// publishes above all, with it (src/store/sqlite/sqlite-procedures.ts, withoutFlush): the
// setting is back to FULL after such a commit, whether it succeeded or failed.

import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'

import { openConnection, StatementCache } from '../src/store/sqlite/sqlite-connection.ts'
import { withoutFlush } from '../src/store/sqlite/sqlite-procedures.ts'

const full = 2
const normal = 1

describe('SQLite commits without a flush', () => {
  const directory = mkdtempSync(join(tmpdir(), 'seam-events-flush-'))
  const statements = new StatementCache(openConnection(join(directory, 'events.db'), 'writer'))
  const synchronous = () => statements.db.pragma('synchronous', { simple: true })
  after(() => {
    statements.db.close()
    rmSync(directory, { recursive: true, force: true })
  })

  it('runs the work at NORMAL and leaves the writer at FULL', () => {
    assert.equal(synchronous(), full)
    assert.equal(withoutFlush(statements, synchronous), normal)
    assert.equal(synchronous(), full)
  })

  it('leaves the writer at FULL when the work fails', () => {
    assert.throws(() =>
      withoutFlush(statements, () => {
        throw new Error('the claim failed')
      }),
    /the claim failed/)
    assert.equal(synchronous(), full)
  })
})
