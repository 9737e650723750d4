// SQLite's writer commits claims and outcomes without waiting for the disk and everything else,
// publishes above all, with it (src/store/sqlite/sqlite-procedures.ts, withoutFlush): the
// setting is back to FULL after such a commit, whether it succeeded or failed.

import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'

import { openStore } from '../src/store/open-store.ts'
import { openConnection, StatementCache } from '../src/store/sqlite/sqlite-connection.ts'
import { withoutFlush } from '../src/store/sqlite/sqlite-procedures.ts'
import { SqliteThread } from '../src/store/sqlite/sqlite-threads.ts'

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

  it('commits a publish at FULL whatever the writer was left at', async () => {
    const path = join(directory, 'published.db')
    const store = await openStore(`sqlite:${path}`)
    const { workspace_id } = await store.workspaces.createWorkspace('Durable')
    await store.close()
    const writer = new SqliteThread(path, 'writer')
    try {
      const writerSynchronous = async () =>
        (await writer.request<{ synchronous: number }[]>({ op: 'all', sql: 'PRAGMA synchronous', parameters: [] }))[0]?.synchronous
      // As a write that failed between its NORMAL and its FULL would leave it.
      await writer.request({ op: 'exec', sql: 'PRAGMA synchronous = NORMAL' })
      assert.equal(await writerSynchronous(), normal)
      const draft = { event_id: crypto.randomUUID(), event_type: 'device.connected', occurred_at: undefined, fields: { device_id: crypto.randomUUID() } }
      const outcome = await writer.publish({ workspaceId: workspace_id, drafts: [draft], history: false }, Date.now())
      assert.ok('stored' in outcome, JSON.stringify(outcome))
      assert.equal(outcome.stored[0]?.event_id, draft.event_id)
      assert.equal(await writerSynchronous(), full)
    } finally {
      await writer.close()
    }
  })
})
