import { accessSync, closeSync, constants, existsSync, openSync, statSync, unlinkSync } from 'node:fs'
import { dirname } from 'node:path'

import { describeDatabase, parseDatabaseUrl, postgresAddress, type DatabaseLocation } from './database-url.ts'
import { PgStore } from './postgres/pg-store.ts'
import { SqliteStore } from './sqlite/sqlite-store.ts'
import { systemClock, type Clock } from '../clock.ts'
import type { Store } from './store.ts'

export { UnsupportedDatabaseUrlError } from './database-url.ts'

/** The database cannot be opened; the message is one line an operator can act on. */
export class DatabaseOpenError extends Error {
  constructor(
    message: string,
    /** Worth trying again: the server is not up yet, or not reachable yet. */
    readonly retryable = false,
  ) {
    super(message)
    this.name = 'DatabaseOpenError'
  }
}

export interface OpenStoreOptions {
  /**
   * Whether a SQLite file that does not exist yet is created (default true). Commands that only
   * read or change what a server keeps refuse to, so that one run from the wrong folder says so
   * instead of showing a new, empty database.
   */
  createIfMissing?: boolean
  /** The time the store runs on; tests move it. */
  clock?: Clock
  /** A read that runs longer is stopped and fails with QueryTimeoutError (default 10 s). */
  queryTimeoutSeconds?: number
  /** SQLite: threads that answer reads (default 2). */
  sqliteReaders?: number
}

/**
 * Opens the database and creates or upgrades its schema before the store is returned, so every
 * command works on a new, empty database. Failures are DatabaseOpenErrors.
 */
export async function openStore(databaseUrl: string, options: OpenStoreOptions = {}): Promise<Store> {
  const location = parseDatabaseUrl(databaseUrl)
  const store = createStore(location, options)
  try {
    await migrateStore(store, location)
  } catch (error) {
    await store.close().catch(() => {})
    throw error
  }
  return store
}

/**
 * The store, without touching a PostgreSQL server yet (its pool connects on first use); a
 * SQLite file is opened at once.
 */
export function createStore(location: DatabaseLocation, options: OpenStoreOptions = {}): Store {
  const clock = options.clock ?? systemClock
  const queryTimeoutMs = (options.queryTimeoutSeconds ?? 10) * 1000
  if (location.kind === 'postgres') return new PgStore(location.url, clock, { queryTimeoutMs })
  const { path } = location
  if (path !== ':memory:' && options.createIfMissing === false && !existsSync(path)) {
    throw new DatabaseOpenError(
      `there is no SQLite database at ${path}, and this command does not create one: run it in ` +
        'the folder the server runs in, or point --database (or DATABASE_URL) at the database',
    )
  }
  try {
    return new SqliteStore(path, clock, { readers: options.sqliteReaders ?? 2, queryTimeoutMs })
  } catch (error) {
    throw new DatabaseOpenError(`cannot open the ${describeDatabase(location)}: ${sqliteOpenReason(path, error)}`)
  }
}

/** Runs the store's migrations; a database that cannot answer becomes a DatabaseOpenError. */
export async function migrateStore(store: Store, location: DatabaseLocation): Promise<void> {
  try {
    await store.migrate()
  } catch (error) {
    throw location.kind === 'postgres'
      ? postgresOpenError(location, error)
      : new DatabaseOpenError(`cannot use the ${describeDatabase(location)}: ${sqliteOpenReason(location.path, error)}`)
  }
}

const osReasons: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOENT: 'a folder on the path does not exist',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder, not a file',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
  EEXIST: 'a part of the path is a file, not a folder',
}

const sqliteReasons: Record<string, string> = {
  SQLITE_NOTADB: 'the file is not a SQLite database',
  SQLITE_CORRUPT: 'the database file is corrupt',
  SQLITE_READONLY: 'the database is read-only',
  SQLITE_FULL: 'no space left on the device',
  SQLITE_BUSY: 'another process holds a lock on it',
}

/** Why a SQLite path cannot be used, in the operating system's terms where it has some. */
function sqliteOpenReason(path: string, error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code === 'string' && osReasons[code] !== undefined) return `${osReasons[code]} (${code})`
  if (typeof code === 'string' && sqliteReasons[code] !== undefined) return `${sqliteReasons[code]} (${code})`
  const osCode = probeFile(path)
  if (osCode !== undefined) return `${osReasons[osCode] ?? osCode} (${osCode})`
  return typeof code === 'string' ? `${(error as Error).message} (${code})` : String((error as Error)?.message ?? error)
}

/** The error code that opening the file for writing gives, if any; creates nothing it keeps. */
function probeFile(path: string): string | undefined {
  try {
    if (existsSync(path)) {
      if (statSync(path).isDirectory()) return 'EISDIR'
      closeSync(openSync(path, 'r+'))
    } else {
      accessSync(dirname(path), constants.W_OK)
      closeSync(openSync(path, 'wx'))
      unlinkSync(path)
    }
    return undefined
  } catch (error) {
    const code = (error as { code?: unknown }).code
    return typeof code === 'string' ? code : undefined
  }
}

/** Connection failures worth retrying while a database starts: it may simply not be up yet. */
const retryableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  // PostgreSQL's "the database system is starting up" and "cannot connect now".
  '57P03',
])

function errorCode(error: unknown): string | undefined {
  const { code, errors } = (error ?? {}) as { code?: unknown; errors?: unknown }
  if (typeof code === 'string') return code
  // Node tries each address of a name (IPv6 and IPv4) and reports every failure together.
  if (Array.isArray(errors)) return errorCode(errors[0])
  return undefined
}

function postgresOpenError(location: Extract<DatabaseLocation, { kind: 'postgres' }>, error: unknown): DatabaseOpenError {
  const address = postgresAddress(location)
  const code = errorCode(error)
  const message = (error as Error | null)?.message ?? String(error)
  const retryable = code !== undefined && retryableCodes.has(code)
  switch (code) {
    case 'ECONNREFUSED':
      return new DatabaseOpenError(`PostgreSQL at ${address} refused the connection: is it running and listening there?`, true)
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new DatabaseOpenError(`cannot resolve the PostgreSQL host of ${address} (${code})`, true)
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new DatabaseOpenError(`cannot reach PostgreSQL at ${address} (${code})`, true)
    case '28P01':
    case '28000':
      return new DatabaseOpenError(`PostgreSQL at ${address} refused the login: ${message}`)
    case '3D000':
      return new DatabaseOpenError(`PostgreSQL at ${address}: ${message}; create it first (createdb)`)
    default:
      // pg's own messages name no internals; the timeout one is pg's, for connectionTimeoutMillis.
      if (/timeout|terminated/i.test(message)) {
        return new DatabaseOpenError(`cannot reach PostgreSQL at ${address}: ${message}`, true)
      }
      return new DatabaseOpenError(`PostgreSQL at ${address}: ${message}${code === undefined ? '' : ` (${code})`}`, retryable)
  }
}
