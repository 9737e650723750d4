// The SQLite store commits the publishes that arrive together in one transaction. Each is
// still all-or-nothing on its own: one that fails leaves the others of its group stored.

import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { SqliteStore } from '../src/store/sqlite/sqlite-store.ts'
import type { EventDraft } from '../src/store/store.ts'

function draft(n: number): EventDraft {
  return {
    event_id: crypto.randomUUID(),
    event_type: 'device.connected',
    occurred_at: undefined,
    fields: { device_id: crypto.randomUUID(), event_description: `draft ${n}` },
  }
}

describe('SQLite group commit', () => {
  let directory: string
  let store: SqliteStore

  before(async () => {
    directory = mkdtempSync(join(tmpdir(), 'seam-events-group-'))
    store = new SqliteStore({ path: join(directory, 'events.db') })
    await store.migrate()
  })
  after(async () => {
    await store.close()
    rmSync(directory, { recursive: true, force: true })
  })

  it('stores every publish of a group, in order, and fails only the one that cannot be stored', async () => {
    const workspace = await store.createWorkspace('Group')
    const drafts = Array.from({ length: 20 }, (_, n) => draft(n))
    // Issued in one tick, so they share a commit; the unknown workspace breaks a foreign key.
    const results = await Promise.allSettled([
      ...drafts.slice(0, 10).map((one) => store.insertEvents(workspace.workspace_id, [one])),
      store.insertEvents('00000000-0000-4000-8000-000000000000', [draft(99)]),
      ...drafts.slice(10).map((one) => store.insertEvents(workspace.workspace_id, [one])),
    ])
    assert.deepEqual(
      results.map((result) => result.status),
      [...Array(10).fill('fulfilled'), 'rejected', ...Array(10).fill('fulfilled')],
    )
    const page = await store.listEvents(workspace.workspace_id, {
      created_at_min: '2000-01-01T00:00:00.000Z',
      offset: 0,
      limit: 100,
    })
    assert.deepEqual(
      new Set(page.events.map((event) => event.event_id)),
      new Set(drafts.map((one) => one.event_id)),
    )
  })
})
