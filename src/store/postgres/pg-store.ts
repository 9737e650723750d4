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
  readonly workspaces: RelationalWorkspaces
  readonly events: PgEventLog
  readonly webhooks: RelationalWebhooks
  readonly deliveries: PgDeliveryQueue
  readonly installation: RelationalInstallationRows
  readonly retention: PgRetention

  /** Connects on first use. */
  constructor(connectionString: string, clock: Clock, { queryTimeoutMs }: { queryTimeoutMs: number }) {
    this.#executor = new PgExecutor(createPool(connectionString), createPool(connectionString, queryTimeoutMs), queryTimeoutMs)
    this.workspaces = new RelationalWorkspaces(this.#executor, clock)
    this.events = new PgEventLog(this.#executor, connectionString, clock)
    this.deliveries = new PgDeliveryQueue(this.#executor, connectionString, clock)
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
    const { pool } = this.#executor
    // The LISTEN connections (pg-notifications.ts) are outside the pool and not counted.
    return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: pool.options.max }
  }

  async close(): Promise<void> {
    await this.events.stopListening()
    await this.#executor.pool.end().catch(() => {})
    await this.#executor.readPool.end().catch(() => {})
  }
}
