import { resolveDatabaseConfig } from '../config.ts'
import { describeDatabase, parseDatabaseUrl } from '../store/database-url.ts'
import { openStore, type OpenStoreOptions } from '../store/open-store.ts'
import type { Store } from '../store/store.ts'

export interface DatabaseOption {
  database?: string
}

/** The `--database` help of every command that opens one. */
export const databaseOptionHelp =
  'postgres://user:password@host/db for PostgreSQL, or sqlite:PATH (a plain path too) for SQLite (DATABASE_URL, default sqlite:./data/events.db)'

/**
 * Opens (and creates or migrates) a command's database, saying on stderr which one it is: a
 * command run from the wrong folder, or with the wrong DATABASE_URL, shows it at once.
 */
export async function openCommandStore(databaseUrl: string, options: OpenStoreOptions): Promise<Store> {
  process.stderr.write(`seam-events: using the ${describeDatabase(parseDatabaseUrl(databaseUrl))}\n`)
  return await openStore(databaseUrl, options)
}

/**
 * Opens the database for one command, and always closes it. Only the commands that set up an
 * installation (`migrate`, `workspaces create`) create a SQLite file that is not there yet.
 */
export async function withStore<T>(
  options: DatabaseOption & OpenStoreOptions,
  action: (store: Store) => Promise<T>,
): Promise<T> {
  const { databaseUrl, queryTimeoutSeconds, sqliteReaders } = resolveDatabaseConfig(options)
  const store = await openCommandStore(databaseUrl, { createIfMissing: options.createIfMissing ?? false, queryTimeoutSeconds, sqliteReaders })
  try {
    return await action(store)
  } finally {
    await store.close()
  }
}

/** `--json` prints one JSON object on stdout; otherwise readable lines. */
export function printResult(json: boolean, value: object, lines: readonly string[]): void {
  process.stdout.write(json ? `${JSON.stringify(value)}\n` : `${lines.join('\n')}\n`)
}

/** An operator error: printed as one line on stderr, exit code 1, no stack trace. */
export class CliError extends Error {}
