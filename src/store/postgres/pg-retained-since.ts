// The oldest created_at a workspace still shows (see RetainedSince), computed by the database
// in the statement that uses it, so that every process agrees at once. One expression, written
// around the workspace id, in the two forms the store's SQL takes: Kysely-built (events/list,
// events/get) and hand-written (a recovery's scan).

import { sql } from 'kysely'

import type { RetainedSince } from '../event-list-sql.ts'

const beforeWorkspaceId = `to_char((now() at time zone 'UTC') - make_interval(days => (select event_retention_days from workspaces where workspace_id = `
const afterWorkspaceId = `)), 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`

export const retainedSince: RetainedSince = (workspaceId) =>
  sql<string>`${sql.raw(beforeWorkspaceId)}${workspaceId}${sql.raw(afterWorkspaceId)}`

/** `workspaceIdSql` is SQL for the workspace id: a parameter such as `$1`, or a column. */
export function retainedSinceSql(workspaceIdSql: string): string {
  return `${beforeWorkspaceId}${workspaceIdSql}${afterWorkspaceId}`
}
