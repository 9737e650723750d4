import pg from 'pg'

// BIGINT (seq, next_attempt_at in ms) comes back as a JS number: every value we store fits in
// 2^53, and the store's types are numbers on both backends.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value))

/** A client in a transaction, or the pool outside one: both run `query`. */
export type Queryable = Pick<pg.PoolClient, 'query'>

/** What the PostgreSQL tables need: a pool, and transactions that retry on serialization failures. */
export interface PgConnection {
  pool: pg.Pool
  /** Runs `work` in one transaction on one client; commits, or rolls back and rethrows. */
  transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T>
}

export function createPgConnection(connectionString: string): PgConnection {
  // A server that drops packets would otherwise hold a connect for the OS's TCP timeout (minutes).
  const pool = new pg.Pool({ connectionString, max: 10, connectionTimeoutMillis: 10_000 })
  // The hot statements are named prepared statements, to be planned once per connection. Left
  // to choose, PostgreSQL kept planning some of them anew on every call (a custom plan looked
  // cheaper than a generic one across the day partitions), which cost more than running them:
  // an event_types page 7.0 ms a call against 0.8 ms with the generic plan, a deep cursor page
  // 5.0 against 0.7 ms (200,000 events over 30 days). Generic plans prune partitions at run
  // time, and every query's indexes lead with the workspace, which no parameter value changes.
  // A SET rather than a startup option, which PgBouncer refuses; behind PgBouncer in transaction
  // mode, set it on the role instead (docs/scaling.md).
  pool.on('connect', (client) => {
    client.query('SET plan_cache_mode = force_generic_plan').catch(() => {})
  })
  // An idle client that loses its server (a restart, a failover) must not crash the process:
  // the next query gets a fresh client.
  pool.on('error', () => {})
  return {
    pool,
    async transaction(work) {
      const client = await pool.connect()
      try {
        await client.query('BEGIN')
        const result = await work(client)
        await client.query('COMMIT')
        return result
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {})
        throw error
      } finally {
        client.release()
      }
    },
  }
}
