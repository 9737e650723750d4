// Creates or upgrades the schema: each backend's list of migrations (append only), applied in
// order in one transaction, under a lock that lets processes starting at once take turns.
// Kysely's Migrator is not used: databases made by earlier releases record their migrations in
// schema_migrations (a version per script) where it keeps tables of its own, and SQLite's
// scripts are several statements each, which its driver's prepare() refuses.

import type { Executor } from './executor.ts'

export async function migrate(
  executor: Executor,
  migrations: readonly string[],
  /** Takes the lock in the migrating transaction (SQLite's BEGIN IMMEDIATE is one already). */
  lock: (tx: Executor) => Promise<void>,
): Promise<void> {
  await executor.transaction(async (tx) => {
    await lock(tx)
    await tx.script('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)')
    const row = await tx.first(tx.db.selectFrom('schema_migrations').select((eb) => eb.fn.max('version').as('version')))
    const applied = Number(row?.version ?? 0)
    for (const [index, migration] of migrations.slice(applied).entries()) {
      await tx.script(migration)
      await tx.run(tx.db.insertInto('schema_migrations').values({ version: applied + index + 1 }))
    }
  })
}
