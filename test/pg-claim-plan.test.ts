// How PostgreSQL reads a claim's candidates from a backlog it has no statistics for: in the due
// index's order, stopping at the window, rather than every due row sorted (pg-deliveries.ts).
// Single backend (postgres): the plan is PostgreSQL's.

import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'

import pg from 'pg'

import { openStore } from '../src/store/open-store.ts'
import { claimTransaction, dueCandidatesSql } from '../src/store/postgres/pg-deliveries.ts'
import { createPool, PgExecutor, prepared, type PgTransactionOptions } from '../src/store/postgres/pg-executor.ts'
import { skipUnlessBackend } from './support/backends.ts'
import { createTestDatabase } from './support/postgres.ts'

interface PlanNode {
  'Node Type': string
  'Index Name'?: string
  Plans?: PlanNode[]
}

const nodes = (plan: PlanNode): PlanNode[] => [plan, ...(plan.Plans ?? []).flatMap(nodes)]

describe('a claim on PostgreSQL', { skip: skipUnlessBackend('postgres') }, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>
  let executor: PgExecutor

  before(async () => {
    database = await createTestDatabase()
    await (await openStore(database.url)).close()
    const setup = new pg.Client({ connectionString: database.url })
    await setup.connect()
    try {
      // A backlog of 5,000 due deliveries to one webhook, never analyzed, as after a burst.
      await setup.query(`
        INSERT INTO workspaces (workspace_id, name, created_at) VALUES ('ws', 'plan', '2026-01-01T00:00:00.000Z');
        INSERT INTO webhooks (webhook_id, workspace_id, url, event_types, secret, created_at, updated_at)
          VALUES ('wh', 'ws', 'http://127.0.0.1:9/', '[]', 'secret', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');
        INSERT INTO webhook_deliveries (delivery_id, workspace_id, webhook_id, event_id, event_type, status, next_attempt_at, created_at)
          SELECT 'd' || n, 'ws', 'wh', 'e' || n, 'lock.unlocked', 'pending', 1000 + n, '2026-01-01T00:00:00.000Z'
          FROM generate_series(1, 5000) AS n;`)
    } finally {
      await setup.end()
    }
    const pool = createPool(database.url, { plans: 'custom', max: 1 })
    executor = new PgExecutor(pool, pool, 10_000)
  })

  after(async () => {
    await executor?.pool.end()
    await database?.drop()
  })

  const candidatesPlan = async (options: PgTransactionOptions): Promise<PlanNode[]> =>
    await executor.transaction(async (tx) => {
      const explained = prepared(`EXPLAIN (FORMAT JSON) ${dueCandidatesSql}`, [Date.now(), [], 64])
      const { rows } = await tx.connection.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(explained)
      return nodes(rows[0]!['QUERY PLAN'][0].Plan)
    }, options)

  it('reads its candidates from the due index in order, without sorting the backlog', async () => {
    const plan = await candidatesPlan(claimTransaction)
    assert.deepEqual(
      plan.map((node) => [node['Node Type'], node['Index Name'] ?? null]),
      [
        ['Limit', null],
        ['Index Scan', 'webhook_deliveries_due'],
      ],
    )
  })

  it('would otherwise read every due row and sort them (what the claim settings prevent)', async () => {
    const plan = await candidatesPlan({ durable: false })
    assert.ok(
      plan.some((node) => node['Node Type'] === 'Sort'),
      `expected a sort in ${JSON.stringify(plan.map((node) => node['Node Type']))}`,
    )
  })

  it('keeps its planner settings inside the transaction', async () => {
    const inside = await executor.transaction(async (tx) => (await tx.connection.query('SHOW enable_sort')).rows[0], claimTransaction)
    const afterwards = (await executor.pool.query('SHOW enable_sort')).rows[0]
    assert.deepEqual([inside, afterwards], [{ enable_sort: 'off' }, { enable_sort: 'on' }])
  })
})
