// The only module that reads process.env. Each setting resolves as: explicit option (a CLI
// flag), then environment variable, then default. The result is validated once and frozen;
// a bad setting fails start-up with every problem listed.

import { z } from 'zod'

export const defaultDatabaseUrl = 'sqlite:./data/events.db'

export interface DatabaseConfig {
  databaseUrl: string
}

export interface ServerConfig extends DatabaseConfig {
  port: number
  host: string
  allowUnknownEventTypes: boolean
  logLevel: string
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

const booleanSetting = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])])
  .transform((value) => value === true || value === 'true' || value === '1' || value === 'yes')

const serverConfigSchema = z.object({
  port: z.coerce.number().int().min(0).max(65535),
  host: z.string().min(1),
  databaseUrl: z.string().min(1),
  allowUnknownEventTypes: booleanSetting,
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
})

const settingNames: Record<keyof ServerConfig, string> = {
  port: '--port / PORT',
  host: '--host / HOST',
  databaseUrl: '--database / DATABASE_URL',
  allowUnknownEventTypes: '--allow-unknown-event-types / ALLOW_UNKNOWN_EVENT_TYPES',
  logLevel: 'LOG_LEVEL',
}

export interface ServerOptions {
  port?: string | number | undefined
  host?: string | undefined
  database?: string | undefined
  allowUnknownEventTypes?: boolean | undefined
  logLevel?: string | undefined
}

export function resolveServerConfig(
  options: ServerOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): Readonly<ServerConfig> {
  const result = serverConfigSchema.safeParse({
    port: options.port ?? env['PORT'] ?? 3000,
    host: options.host ?? env['HOST'] ?? '127.0.0.1',
    databaseUrl: options.database ?? env['DATABASE_URL'] ?? defaultDatabaseUrl,
    allowUnknownEventTypes:
      options.allowUnknownEventTypes ?? env['ALLOW_UNKNOWN_EVENT_TYPES'] ?? false,
    logLevel: options.logLevel ?? env['LOG_LEVEL'] ?? 'info',
  })
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const key = issue.path[0] as keyof ServerConfig
        return `${settingNames[key] ?? key}: ${issue.message}`
      }),
    )
  }
  return Object.freeze(result.data)
}

export function resolveDatabaseConfig(
  options: { database?: string | undefined } = {},
  env: NodeJS.ProcessEnv = process.env,
): Readonly<DatabaseConfig> {
  const databaseUrl = options.database ?? env['DATABASE_URL'] ?? defaultDatabaseUrl
  if (databaseUrl === '') throw new ConfigError(['--database / DATABASE_URL: must not be empty'])
  return Object.freeze({ databaseUrl })
}
