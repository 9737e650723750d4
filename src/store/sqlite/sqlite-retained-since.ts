import { retainedSinceAt } from '../utc-days.ts'
import type { SqliteConnection } from './sqlite-webhooks.ts'

/** Sorts after every stored created_at: an unknown workspace shows nothing. */
const afterEveryEvent = '9999-12-31T23:59:59.999Z'

/**
 * The oldest created_at the workspace still shows (see RetainedSince). Read on every query (a
 * primary-key lookup), so that a change by the CLI applies at once.
 */
export function retainedSince(connection: Pick<SqliteConnection, 'statement'>, workspaceId: string): string {
  const row = connection
    .statement('SELECT event_retention_days FROM workspaces WHERE workspace_id = ?')
    .get(workspaceId) as { event_retention_days: number } | undefined
  if (row === undefined) return afterEveryEvent
  return retainedSinceAt(Date.now(), row.event_retention_days)
}
