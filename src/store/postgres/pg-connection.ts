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
  const pool = new pg.Pool({ connectionString, max: 10 })
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
