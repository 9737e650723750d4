import { sql, type SqlBool } from 'kysely'
import { jsonArrayFrom } from 'kysely/helpers/postgres'

import { rawQuery, refOf, type Dialect } from '../relational/executor.ts'

/** PostgreSQL: row locks, seq columns, and lists as one array parameter. */
export const postgresDialect: Dialect = {
  rowLocks: true,
  insertionOrder: 'seq',
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
  async insertDeliveries(tx, deliveries) {
    if (deliveries.length === 0) return
    const column = <K extends keyof (typeof deliveries)[number]>(key: K) => deliveries.map((d) => d[key])
    // One statement for the whole batch: a round trip per delivery would hold the locks longer.
    await tx.run(
      rawQuery(
        tx.db,
        sql`INSERT INTO webhook_deliveries (delivery_id, workspace_id, webhook_id, event_id, event_type,
              event_created_at, status, next_attempt_at, recovery_id, created_at)
            SELECT d.delivery_id, d.workspace_id, d.webhook_id, d.event_id, d.event_type, d.event_created_at,
              'pending', d.next_attempt_at, d.recovery_id, d.created_at
            FROM unnest(${column('delivery_id')}::text[], ${column('workspace_id')}::text[],
              ${column('webhook_id')}::text[], ${column('event_id')}::text[], ${column('event_type')}::text[],
              ${column('event_created_at')}::text[], ${column('next_attempt_at')}::bigint[],
              ${column('recovery_id')}::text[], ${column('created_at')}::text[])
              WITH ORDINALITY AS d (delivery_id, workspace_id, webhook_id, event_id, event_type,
                event_created_at, next_attempt_at, recovery_id, created_at, position)
            ORDER BY d.position`,
      ),
    )
  },
}
