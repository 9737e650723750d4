import { sql, type SqlBool } from 'kysely'
import { jsonArrayFrom } from 'kysely/helpers/sqlite'

import { rawQuery, refOf, type Dialect } from '../relational/executor.ts'

/** SQLite: one writer at a time (no row locks), rowid, and lists as JSON (json_each). */
export const sqliteDialect: Dialect = {
  rowLocks: false,
  insertionOrder: 'rowid',
  isAnyOf: (ref, values) => sql<SqlBool>`${refOf(ref)} IN (SELECT value FROM json_each(${JSON.stringify(values)}))`,
  locked: (query) => query,
  jsonArrayFrom: (subquery) => jsonArrayFrom(subquery as never) as never,
  async insertDeliveries(tx, deliveries) {
    if (deliveries.length === 0) return
    const rows = deliveries.map((d) => [
      d.delivery_id, d.workspace_id, d.webhook_id, d.event_id, d.event_type, d.event_created_at,
      d.next_attempt_at, d.recovery_id, d.created_at,
    ])
    await tx.run(
      rawQuery(
        tx.db,
        sql`INSERT INTO webhook_deliveries (delivery_id, workspace_id, webhook_id, event_id, event_type,
              event_created_at, status, next_attempt_at, recovery_id, created_at)
            SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, 'pending',
              value ->> 6, value ->> 7, value ->> 8
            FROM json_each(${JSON.stringify(rows)}) ORDER BY key`,
      ),
    )
  },
}
