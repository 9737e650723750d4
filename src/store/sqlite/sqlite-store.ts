// The embedded backend: one database file in WAL mode, so that readers never wait for the writer
// and the CLI can manage keys while a server runs on the same file. Its statements run on threads
// of their own (sqlite-executor.ts).

import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'

import type { Clock } from '../../clock.ts'
import { RelationalInstallationRows } from '../relational/installation-rows.ts'
import { migrate } from '../relational/migrator.ts'
import { RelationalWebhooks } from '../relational/webhooks.ts'
import { RelationalWorkspaces } from '../relational/workspaces.ts'
import type { Store } from '../store.ts'
import { SqliteDeliveryQueue } from './sqlite-deliveries.ts'
import { SqliteEventLog } from './sqlite-events.ts'
import { SqliteExecutor, type SqliteExecutorOptions } from './sqlite-executor.ts'
import { sqliteMigrations } from './sqlite-migrations.ts'
import { SqliteRetention } from './sqlite-retention.ts'

export class SqliteStore implements Store {
  readonly #executor: SqliteExecutor
  readonly workspaces: RelationalWorkspaces
  readonly events: SqliteEventLog
  readonly webhooks: RelationalWebhooks
  readonly deliveries: SqliteDeliveryQueue
  readonly installation: RelationalInstallationRows
  readonly retention: SqliteRetention

  constructor(path: string, clock: Clock, options: SqliteExecutorOptions) {
    mkdirSync(dirname(path), { recursive: true })
    this.#executor = new SqliteExecutor(path, options)
    this.workspaces = new RelationalWorkspaces(this.#executor, clock)
    this.events = new SqliteEventLog(this.#executor, clock)
    this.deliveries = new SqliteDeliveryQueue(this.#executor, clock)
    this.webhooks = new RelationalWebhooks(this.#executor, clock, this.deliveries)
    this.installation = new RelationalInstallationRows(this.#executor)
    this.retention = new SqliteRetention(this.#executor, this.workspaces, clock)
  }

  /** BEGIN IMMEDIATE takes the write lock first: two processes starting at once take turns. */
  migrate(): Promise<void> {
    return migrate(this.#executor, sqliteMigrations, async () => {})
  }

  ping(): Promise<void> {
    return this.#executor.ping()
  }

  /** No pool: one writer connection that writes take turns on, and one reader. */
  databasePoolUse(): null {
    return null
  }

  close(): Promise<void> {
    return this.#executor.close()
  }
}
