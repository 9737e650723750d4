// A database of the chosen backend for the processes a test starts itself (`serve`, `worker`),
// where startTestServer would start a server of its own in the test's process.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import type { TestBackend } from './backends.ts'
import { createTestDatabase } from './postgres.ts'

export interface BackendDatabase {
  /** For `--database`: a `sqlite:` file in a temporary folder, or a `postgres://` URL. */
  url: string
  /** Removes the database (the folder, on SQLite). */
  drop(): Promise<void>
}

/** A new, empty database: on PostgreSQL, one of the run's (call it only when postgres is chosen). */
export async function createBackendDatabase(backend: TestBackend): Promise<BackendDatabase> {
  if (backend === 'postgres') return await createTestDatabase()
  const directory = mkdtempSync(join(tmpdir(), 'seam-events-processes-'))
  return {
    url: `sqlite:${join(directory, 'events.db')}`,
    async drop() {
      rmSync(directory, { recursive: true, force: true })
    },
  }
}
