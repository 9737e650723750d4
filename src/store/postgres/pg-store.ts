// The scale-out backend: any number of API and worker processes on one PostgreSQL database, with
// the same tables and text formats as SQLite, so both answer alike.

import type { Clock } from '../../clock.ts'
import { RelationalInstallationRows } from '../relational/installation-rows.ts'
import { migrate } from '../relational/migrator.ts'
import { RelationalWebhooks } from '../relational/webhooks.ts'
import { RelationalWorkspaces } from '../relational/workspaces.ts'
import type { DatabasePoolUse, Store } from '../store.ts'
import { PgDeliveryQueue } from './pg-deliveries.ts'
import { PgEventLog } from './pg-events.ts'
import { createPool, PgExecutor } from './pg-executor.ts'
import { pgMigrations } from './pg-migrations.ts'
import { PgRetention } from './pg-retention.ts'

/** Lets processes that start at once take turns: the second finds the migrations applied. */
const migrationLockId = 0x5ea4e7

export class PgStore implements Store {
  readonly #executor: PgExecutor
  readonly #queueExecutor: PgExecutor
  readonly workspaces: RelationalWorkspaces
  readonly events: PgEventLog
  readonly webhooks: RelationalWebhooks
  readonly deliveries: PgDeliveryQueue
  readonly installation: RelationalInstallationRows
  readonly retention: PgRetention

  /** Connects on first use. */
  constructor(connectionString: string, clock: Clock, { queryTimeoutMs }: { queryTimeoutMs: number }) {
    this.#executor = new PgExecutor(createPool(connectionString), createPool(connectionString, { statementTimeoutMs: queryTimeoutMs }), queryTimeoutMs)
    // The delivery queue's tables grow from nothing and churn faster than autovacuum's ANALYZE
    // follows them, so a generic plan made at a statement's first use stays as the table
    // grows: a claim, a lease or an outcome planned when the table held 800 rows scanned all
    // of it when it held 20,000 (auto_explain), and that capped delivery on PostgreSQL. On
    // their own connections its statements are planned on every call instead, for their
    // parameters and the tables' size then (the planner reads a table's current size even
    // without statistics); none of them spans the day partitions, where planning is costly.
    const queuePool = createPool(connectionString, { plans: 'custom', max: 5 })
    this.#queueExecutor = new PgExecutor(queuePool, queuePool, queryTimeoutMs)
    this.workspaces = new RelationalWorkspaces(this.#executor, clock)
    this.events = new PgEventLog(this.#executor, connectionString, clock)
    this.deliveries = new PgDeliveryQueue(this.#queueExecutor, connectionString, clock)
    this.webhooks = new RelationalWebhooks(this.#executor, clock, this.deliveries)
    this.installation = new RelationalInstallationRows(this.#executor)
    this.retention = new PgRetention(this.#executor, this.events)
  }

  async migrate(): Promise<void> {
    await migrate(this.#executor, pgMigrations, async (tx) => {
      await tx.script(`SELECT pg_advisory_xact_lock(${migrationLockId})`)
    })
    await this.events.prepareEventDays(this.events.upcomingDays())
  }

  async ping(): Promise<void> {
    await this.#executor.pool.query('SELECT 1')
  }

  databasePoolUse(): DatabasePoolUse {
    // The write pool and the delivery queue's, together. The LISTEN connections
    // (pg-notifications.ts) are outside the pools and not counted, nor are the reads'.
    const pools = [this.#executor.pool, this.#queueExecutor.pool]
    const sum = (count: (pool: (typeof pools)[number]) => number) => pools.reduce((total, pool) => total + count(pool), 0)
    return {
      total: sum((pool) => pool.totalCount),
      idle: sum((pool) => pool.idleCount),
      waiting: sum((pool) => pool.waitingCount),
      max: sum((pool) => pool.options.max),
    }
  }

  async close(): Promise<void> {
    await this.events.stopListening()
    await this.#executor.pool.end().catch(() => {})
    await this.#executor.readPool.end().catch(() => {})
    await this.#queueExecutor.pool.end().catch(() => {})
  }
}
