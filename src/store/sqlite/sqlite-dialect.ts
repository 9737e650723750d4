import { sql, type SqlBool } from 'kysely'
import { jsonArrayFrom } from 'kysely/helpers/sqlite'

import { rawQuery, refOf, type Dialect } from '../relational/executor.ts'
import { sqliteEventLayout } from './sqlite-event-layout.ts'

/** SQLite: one writer at a time (no row locks), rowid, lean event keys, and lists as JSON (json_each). */
export const sqliteDialect: Dialect = {
  rowLocks: false,
  insertionOrder: 'rowid',
  events: sqliteEventLayout,
  isAnyOf: (ref, values) => sql<SqlBool>`${refOf(ref)} IN (SELECT value FROM json_each(${JSON.stringify(values)}))`,
  locked: (query) => query,
  jsonArrayFrom: (subquery) => jsonArrayFrom(subquery as never) as never,
  async insertRows(tx, table, rows) {
    if (rows.length === 0) return
    const columns = Object.keys(rows[0] as object)
    await tx.run(
      rawQuery(
        tx.db,
        sql`INSERT INTO ${sql.table(table)} (${sql.join(columns.map((column) => sql.ref(column)))})
            SELECT ${sql.join(columns.map((column) => sql`value ->> ${`$.${column}`}`))}
            FROM json_each(${JSON.stringify(rows)}) ORDER BY key`,
      ),
    )
  },
}
