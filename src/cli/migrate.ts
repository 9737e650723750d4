import type { Command } from 'commander'

import { databaseOptionHelp, printResult, withStore, type DatabaseOption } from './database-command.ts'

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('Create or upgrade the database schema, then exit (serve and worker also do it on start)')
    .option('--database <url>', databaseOptionHelp)
    .option('--json', 'print one JSON object')
    .action(async (options: DatabaseOption & { json?: boolean }) => {
      // Opening the store runs the pending migrations, under a lock that lets concurrent
      // starts take turns.
      await withStore({ ...options, createIfMissing: true }, async () => {})
      printResult(options.json === true, { migrated: true }, ['The database schema is up to date.'])
    })
}
