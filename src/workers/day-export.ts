import { createWriteStream } from 'node:fs'
import { mkdir, open, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { once } from 'node:events'

import type { EventRetentionStore, RetainedEvent } from '../store/store.ts'

/** Events read per query while exporting. */
const exportPageSize = 1000

export interface WorkspaceDayExport {
  /** The file written, or found complete from an earlier pass; undefined when it had no events. */
  file: string | undefined
  /** Events written by this call (0 when the file was already complete). */
  events: number
}

/**
 * Writes one workspace's events of one day to `<dir>/<day>/<workspace_id>.ndjson`, oldest
 * first, one event per line exactly as events/list returns it.
 *
 * The file appears only once complete and on disk (written aside, fsynced, renamed), so an
 * existing file is never rewritten: if a pass crashed after exporting but before removing,
 * the next pass finds the file and goes on to remove, and a day that was partly removed never
 * overwrites a complete export with its remainder.
 */
export async function exportWorkspaceDay(
  store: EventRetentionStore,
  dir: string,
  workspaceId: string,
  day: string,
): Promise<WorkspaceDayExport> {
  const dayDir = join(dir, day)
  const file = join(dayDir, `${workspaceId}.ndjson`)
  if (await exists(file)) return { file, events: 0 }

  let page = await store.readEventsOfDay(workspaceId, day, null, exportPageSize)
  if (page.length === 0) return { file: undefined, events: 0 }

  await mkdir(dayDir, { recursive: true })
  const partial = `${file}.partial`
  const out = createWriteStream(partial)
  let events = 0
  try {
    while (page.length > 0) {
      const chunk = page.map((event) => `${event.json}\n`).join('')
      if (!out.write(chunk)) await once(out, 'drain')
      events += page.length
      const last: RetainedEvent | undefined = page.at(-1)
      page = page.length < exportPageSize ? [] : await store.readEventsOfDay(workspaceId, day, last ?? null, exportPageSize)
    }
    out.end()
    await once(out, 'finish')
  } catch (error) {
    out.destroy()
    await rm(partial, { force: true })
    throw error
  }
  await fsync(partial)
  await rename(partial, file)
  await fsync(dayDir)
  return { file, events }
}

async function fsync(path: string): Promise<void> {
  const handle = await open(path, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

async function exists(path: string): Promise<boolean> {
  return await stat(path).then(
    () => true,
    () => false,
  )
}
