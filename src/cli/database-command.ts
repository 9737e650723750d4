import { resolveDatabaseConfig } from '../config.ts'
import { openStore } from '../store/open-store.ts'
import type { EventStore } from '../store/store.ts'

export interface DatabaseOption {
  database?: string
}

/** Opens (and creates or migrates) the database for one command, and always closes it. */
export async function withStore<T>(
  options: DatabaseOption,
  action: (store: EventStore) => Promise<T>,
): Promise<T> {
  const { databaseUrl } = resolveDatabaseConfig(options)
  const store = await openStore(databaseUrl)
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
