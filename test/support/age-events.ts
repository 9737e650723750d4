// Retention is about days gone by, and tests cannot wait for them: this rewrites stored events
// in the database as if they had been published `days` ago (created_at, in the column and in
// the event's JSON), the one thing the API never lets a client choose.

import pg from 'pg'

import { storedId, storedTime } from '../../src/store/sqlite/sqlite-event-layout.ts'
import { writeBesideServer } from './sqlite-beside-server.ts'
import type { TestServer } from './test-server.ts'

const dayMs = 24 * 60 * 60 * 1000

/** Returns each aged event's JSON as now stored: what events/list would show. */
export async function ageEvents(
  server: TestServer,
  workspaceId: string,
  eventIds: readonly string[],
  days: number,
): Promise<Map<string, string>> {
  const aged = new Map<string, string>()
  const rewrite = (json: string) => {
    const event = JSON.parse(json) as { created_at: string }
    const created_at = new Date(Date.parse(event.created_at) - days * dayMs).toISOString()
    return { created_at, json: JSON.stringify({ ...event, created_at }) }
  }
  if (server.backend === 'sqlite') {
    await writeBesideServer(server.databaseUrl, (db) => {
      // The lean layout (sqlite-event-layout.ts): the workspace's key, 16-byte ids, times in ms.
      const inWorkspace = 'workspace_key = (SELECT workspace_key FROM workspaces WHERE workspace_id = ?)'
      const find = db.prepare(`SELECT json FROM events WHERE ${inWorkspace} AND event_id = ?`)
      const update = db.prepare(`UPDATE events SET created_at = ?, json = ? WHERE ${inWorkspace} AND event_id = ?`)
      aged.clear()
      for (const eventId of eventIds) {
        const { json } = find.get(workspaceId, storedId(eventId)) as { json: string }
        const next = rewrite(json)
        update.run(storedTime(next.created_at), next.json, workspaceId, storedId(eventId))
        aged.set(eventId, next.json)
      }
    })
    return aged
  }
  const client = new pg.Client({ connectionString: server.databaseUrl })
  await client.connect()
  try {
    for (const eventId of eventIds) {
      const { rows } = await client.query<{ json: string }>(
        'SELECT json FROM events WHERE workspace_id = $1 AND event_id = $2',
        [workspaceId, eventId],
      )
      const next = rewrite(rows[0]!.json)
      // The row moves to the partition of its new day, which must exist.
      await server.store.retention.prepareEventDays([next.created_at.slice(0, 10)])
      await client.query(
        'UPDATE events SET created_at = $1, json = $2 WHERE workspace_id = $3 AND event_id = $4',
        [next.created_at, next.json, workspaceId, eventId],
      )
      aged.set(eventId, next.json)
    }
  } finally {
    await client.end()
  }
  return aged
}

/** On PostgreSQL, whether the partition of `day` exists. */
export async function partitionExists(server: TestServer, day: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: server.databaseUrl })
  await client.connect()
  try {
    const { rows } = await client.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [
      `events_${day.replaceAll('-', '')}`,
    ])
    return rows[0]!.exists
  } finally {
    await client.end()
  }
}
