// Which backend a database URL selects, and how to name it to an operator without its password.

import { resolve } from 'node:path'

export type DatabaseLocation =
  | { kind: 'sqlite'; /** Absolute, or ':memory:'. */ path: string }
  | { kind: 'postgres'; url: string }

export class UnsupportedDatabaseUrlError extends Error {}

const supported = 'use sqlite:PATH (or a plain path) for SQLite, or postgres://user:password@host:5432/database for PostgreSQL'

/**
 * `postgres://...` (or `postgresql://`) selects PostgreSQL; `sqlite:PATH`, `sqlite://PATH` or a
 * plain path selects the embedded SQLite backend. Any other `scheme://` is refused rather than
 * taken for a file name (`mysql://host/db` would otherwise become a folder named `mysql:`).
 */
export function parseDatabaseUrl(databaseUrl: string): DatabaseLocation {
  if (/^postgres(ql)?:\/\//i.test(databaseUrl)) {
    if (!URL.canParse(databaseUrl)) {
      throw new UnsupportedDatabaseUrlError('the PostgreSQL URL is malformed; expected postgres://user:password@host:5432/database')
    }
    return { kind: 'postgres', url: databaseUrl }
  }
  const scheme = /^([a-z][a-z0-9+.-]+):\/\//i.exec(databaseUrl)?.[1]
  if (scheme !== undefined && scheme.toLowerCase() !== 'sqlite') {
    throw new UnsupportedDatabaseUrlError(`unsupported database URL scheme "${scheme}:"; ${supported}`)
  }
  const path = databaseUrl.replace(/^sqlite:(\/\/)?/i, '')
  if (path.trim() === '') throw new UnsupportedDatabaseUrlError(`the SQLite path is empty; ${supported}`)
  return { kind: 'sqlite', path: path === ':memory:' ? path : resolve(path) }
}

/** "SQLite database /srv/data/events.db", "PostgreSQL database seam_events on db.internal:5432 as seam". */
export function describeDatabase(location: DatabaseLocation): string {
  if (location.kind === 'sqlite') return `SQLite database ${location.path}`
  const url = new URL(location.url)
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || '(the user\'s default)'
  const user = url.username === '' ? '' : ` as ${decodeURIComponent(url.username)}`
  return `PostgreSQL database ${database} on ${postgresAddress(location)}${user}`
}

/** host:port as the driver will connect to it. */
export function postgresAddress(location: Extract<DatabaseLocation, { kind: 'postgres' }>): string {
  const url = new URL(location.url)
  const host = url.hostname === '' ? (url.searchParams.get('host') ?? 'localhost') : url.hostname
  return `${host}:${url.port === '' ? '5432' : url.port}`
}
