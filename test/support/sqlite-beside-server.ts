// A second writer on a test server's SQLite file, for what no route or store method may do.
//
// The test server runs in this process, and its transactions span turns of this event loop
// (BEGIN IMMEDIATE on the writer thread, the steps decided here, then COMMIT). A connection that
// waited for the lock with better-sqlite3's busy timeout would block this loop, so the server's
// transaction could never reach its COMMIT: both would wait until the timeout and fail with
// SQLITE_BUSY. Instead, each try takes the lock at once or gives up, and the next try comes after
// the loop has turned, so the server finishes what it holds.

import { setTimeout as sleep } from 'node:timers/promises'

import Database from 'better-sqlite3'

const giveUpAfterMs = 30_000
const retryEveryMs = 20

/** Runs `work` in one immediate transaction on the file, retrying while the server holds the lock. */
export async function writeBesideServer<T>(databaseUrl: string, work: (db: Database.Database) => T): Promise<T> {
  const db = new Database(databaseUrl.replace(/^sqlite:/, ''), { timeout: 0 })
  const deadline = Date.now() + giveUpAfterMs
  try {
    for (;;) {
      try {
        return db.transaction(() => work(db)).immediate()
      } catch (error) {
        if ((error as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw error
        await sleep(retryEveryMs)
      }
    }
  } finally {
    db.close()
  }
}
