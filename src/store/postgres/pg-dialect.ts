import { sql, type SqlBool } from 'kysely'
import { jsonArrayFrom } from 'kysely/helpers/postgres'

import { textEventLayout } from '../event-layout.ts'
import { rawQuery, refOf, type Dialect } from '../relational/executor.ts'

/** PostgreSQL: row locks, seq columns, and lists as one array parameter. */
export const postgresDialect: Dialect = {
  rowLocks: true,
  insertionOrder: 'seq',
  events: textEventLayout,
  isAnyOf: (ref, values, type = 'text') =>
    type === 'bigint'
      ? sql<SqlBool>`${refOf(ref)} = ANY(${values}::bigint[])`
      : sql<SqlBool>`${refOf(ref)} = ANY(${values}::text[])`,
  locked(query, strength, { skipLocked = false } = {}) {
    const locked =
      strength === 'update'
        ? query.forUpdate()
        : strength === 'no key update'
          ? query.forNoKeyUpdate()
          : strength === 'share'
            ? query.forShare()
            : query.forKeyShare()
    return skipLocked ? locked.skipLocked() : locked
  },
  jsonArrayFrom: (subquery) => jsonArrayFrom(subquery) as never,
  async insertRows(tx, table, rows) {
    if (rows.length === 0) return
    const names = Object.keys(rows[0] as object)
    const columns = sql.join(names.map((column) => sql.ref(column)))
    // The table's own row type gives each column its type; the ordinality keeps the order.
    await tx.run(
      rawQuery(
        tx.db,
        sql`INSERT INTO ${sql.table(table)} (${columns})
            SELECT ${sql.join(names.map((column) => sql.ref(`r.${column}`)))}
            FROM json_populate_recordset(NULL::${sql.table(table)}, ${JSON.stringify(rows)}::json) WITH ORDINALITY AS r
            ORDER BY r.ordinality`,
      ),
    )
  },
}
