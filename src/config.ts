// The only module that reads process.env. Each setting resolves as: explicit option (a CLI
// flag), then environment variable, then default. The result is validated once and frozen;
// a bad setting fails start-up with every problem listed.

import { homedir } from 'node:os'
import { isAbsolute, join } from 'node:path'

import { z } from 'zod'

import { parseDatabaseUrl, UnsupportedDatabaseUrlError } from './store/database-url.ts'

export const defaultDatabaseUrl = 'sqlite:./data/events.db'

/**
 * Less than the 30 s that Kubernetes (and most supervisors) wait after SIGTERM before SIGKILL,
 * and more than a webhook request may take (WEBHOOK_TIMEOUT_SECONDS, 15), so in-flight
 * deliveries finish and are recorded.
 */
export const defaultShutdownTimeoutSeconds = 25

export interface DatabaseConfig {
  databaseUrl: string
  /** A read of the store that runs longer is stopped and answered 503. */
  queryTimeoutSeconds: number
  /** SQLite: threads that answer reads (the writer has its own). */
  sqliteReaders: number
}

/**
 * Where `/metrics` is served: an address of its own, apart from the API's port, so that what it
 * shows of every workspace never reaches API clients. Unset (the default): not served at all.
 */
export interface MetricsListenConfig {
  host: string
  port: number
}

/** How webhooks are checked and delivered; read by both `serve` and `worker`. */
export interface DeliveryConfig {
  /** Delays in seconds before each retry, after the immediate first attempt. */
  retryScheduleSeconds: readonly number[]
  /** Bounds one delivery request, from connect to the end of the response headers. */
  timeoutSeconds: number
  /** How long a claimed delivery stays invisible to other workers. */
  leaseSeconds: number
  allowPrivateTargets: boolean
  /** Deliveries in flight at once in one worker. */
  concurrency: number
  /** Deliveries in flight at once to one webhook, in one worker. */
  concurrencyPerWebhook: number
  /** A webhook that has failed without a single success for this long is disabled. */
  disableAfterSeconds: number
  /** How often an idle worker looks for work written by other processes. */
  pollIntervalMs: number
  /** "host:port" resolvers for webhook host names; empty means the system resolver. */
  dnsServers: readonly string[]
}

/** The retention pass that `serve` and `worker` run in the background. */
export interface RetentionConfig {
  /** Where events are exported before they are removed; unset removes them without export. */
  exportDir?: string | undefined
  /** How often the pass runs; 0 never runs it in this process. */
  intervalSeconds: number
}

/** The live event stream, GET /events/stream. */
export interface StreamConfig {
  /** A comment line is sent this often on an idle stream, so that proxies keep it open. */
  heartbeatSeconds: number
  /**
   * How often a stream reads on without being woken: a backstop for a lost notification, and
   * on SQLite the only way another process's publishes reach a stream.
   */
  pollSeconds: number
}

/** What protects the API from slow, greedy or careless clients. */
export interface RequestLimitsConfig {
  /** A request not received whole within this long is answered 408 and its connection closed. */
  requestTimeoutSeconds: number
  /** An idle keep-alive connection is closed after this long. */
  keepAliveTimeoutSeconds: number
  /** Requests one API key may make per second on average; 0 turns the limit off. */
  rateLimitPerSecond: number
  /** Requests one API key may make at once. */
  rateLimitBurst: number
  maxWebhooksPerWorkspace: number
}

export interface ServerConfig extends DatabaseConfig {
  port: number
  host: string
  /**
   * The base URL clients reach this server at (behind a proxy, say), for the links it returns
   * (`next_page_url`); unset, the request's own Host header is used.
   */
  publicUrl?: string | undefined
  allowUnknownEventTypes: boolean
  logLevel: string
  /** Whether `serve` runs a delivery worker in its own process. */
  worker: boolean
  /** How long `serve` keeps retrying a database it cannot reach at start, before giving up. */
  databaseConnectTimeoutSeconds: number
  /** How long a stop may take to finish in-flight work before what is left is closed. */
  shutdownTimeoutSeconds: number
  limits: RequestLimitsConfig
  delivery: DeliveryConfig
  retention: RetentionConfig
  stream: StreamConfig
  metricsListen?: MetricsListenConfig | undefined
}

export interface WorkerConfig extends DatabaseConfig {
  logLevel: string
  databaseConnectTimeoutSeconds: number
  shutdownTimeoutSeconds: number
  delivery: DeliveryConfig
  retention: RetentionConfig
  metricsListen?: MetricsListenConfig | undefined
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    // One problem is one line; several are listed under one heading.
    super(
      problems.length === 1
        ? `invalid configuration: ${problems[0]}`
        : `invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`,
    )
    this.name = 'ConfigError'
  }
}

const booleanSetting = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])])
  .transform((value) => value === true || value === 'true' || value === '1' || value === 'yes')

/** Seam's (and Svix's) schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h after the first try. */
export const defaultRetryScheduleSeconds = [5, 300, 1800, 7200, 18000, 36000, 36000] as const

const retrySchedule = z
  .string()
  .transform((value, context) => {
    const delays = value.trim() === '' ? [] : value.split(',').map((item) => Number(item.trim()))
    if (delays.some((delay) => !Number.isFinite(delay) || delay < 0 || delay > 7 * 24 * 3600)) {
      context.addIssue({
        code: 'custom',
        message: 'must be comma-separated delays in seconds, each between 0 and 604800',
      })
      return z.NEVER
    }
    return delays
  })
  .refine((delays) => delays.length <= 50, 'at most 50 retries')

const deliveryConfigSchema = z
  .object({
    retryScheduleSeconds: retrySchedule,
    timeoutSeconds: z.coerce.number().positive().max(600),
    leaseSeconds: z.coerce.number().positive().max(3600),
    allowPrivateTargets: booleanSetting,
    concurrency: z.coerce.number().int().min(1).max(10_000),
    concurrencyPerWebhook: z.coerce.number().int().min(1).max(10_000),
    disableAfterSeconds: z.coerce.number().positive(),
    pollIntervalMs: z.coerce.number().int().min(10).max(60_000),
    dnsServers: z
      .string()
      .transform((value) => value.split(',').map((server) => server.trim()).filter(Boolean)),
  })
  // A lease that can end while its request is still running would let a second worker send
  // the same delivery at the same time.
  .refine((config) => config.leaseSeconds > config.timeoutSeconds + 5, {
    message: 'must be longer than WEBHOOK_TIMEOUT_SECONDS + 5',
    path: ['leaseSeconds'],
  })

const retentionConfigSchema = z.object({
  // Empty means unset, so that `RETENTION_EXPORT_DIR=` in an env file turns exports off.
  exportDir: z
    .union([z.string(), z.undefined()])
    .transform((value): string | undefined => (value === undefined || value.trim() === '' ? undefined : value)),
  intervalSeconds: z.coerce.number().int().min(0).max(7 * 24 * 3600),
})

const streamConfigSchema = z.object({
  // Fractions of a second are for tests; proxies commonly close connections idle for 60 s.
  heartbeatSeconds: z.coerce.number().positive().max(300),
  pollSeconds: z.coerce.number().positive().max(3600),
})

const requestLimitsSchema = z
  .object({
    // Fractions of a second are for tests.
    requestTimeoutSeconds: z.coerce.number().positive().max(3600),
    keepAliveTimeoutSeconds: z.coerce.number().positive().max(3600),
    rateLimitPerSecond: z.coerce.number().min(0).max(1_000_000),
    rateLimitBurst: z.coerce.number().int().min(1).max(10_000_000).optional(),
    maxWebhooksPerWorkspace: z.coerce.number().int().min(1).max(100_000),
  })
  .transform((limits) => ({
    ...limits,
    rateLimitBurst: limits.rateLimitBurst ?? Math.max(1, Math.ceil(limits.rateLimitPerSecond * 2)),
  }))

const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])

const queryTimeoutSeconds = z.coerce.number().positive().max(3600)
const sqliteReaders = z.coerce.number().int().min(1).max(64)
/**
 * Lists of a month over a million events take well under a second; ten times that is a query
 * gone wrong (or a machine overloaded), and no client waits that long for a page anyway.
 */
const defaultQueryTimeoutSeconds = 10
/** Two readers, the writer and the main thread: enough to keep 2 cores busy. */
const defaultSqliteReaders = 2

const databaseUrl = z
  .string()
  .min(1, 'must not be empty')
  .superRefine((url, context) => {
    try {
      parseDatabaseUrl(url)
    } catch (error) {
      if (!(error instanceof UnsupportedDatabaseUrlError)) throw error
      context.addIssue({ code: 'custom', message: error.message })
    }
  })

const publicUrl = z
  .string()
  .optional()
  .transform((value, context): string | undefined => {
    if (value === undefined || value.trim() === '') return undefined
    const url = URL.canParse(value) ? new URL(value) : undefined
    if (url === undefined || !/^https?:$/.test(url.protocol) || url.search !== '' || url.hash !== '') {
      context.addIssue({
        code: 'custom',
        message: `must be an http(s) URL without a query, such as https://events.example.com; got ${value}`,
      })
      return z.NEVER
    }
    // The routes' paths are appended to it: https://example.com/seam/ + events/list.
    return url.href.replace(/\/+$/, '')
  })

/** The loopback address a port given alone listens on: nothing off the machine can reach it. */
export const defaultMetricsHost = '127.0.0.1'

/** `host:port`, `[ipv6]:port`, or a port alone (on loopback); empty or unset is off. */
const metricsListen = z
  .union([z.string(), z.undefined()])
  .transform((value, context): MetricsListenConfig | undefined => {
    if (value === undefined || value.trim() === '') return undefined
    const text = value.trim()
    const match = /^(?:(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):)?(\d{1,5})$/.exec(text)
    const port = Number(match?.[3])
    if (match === null || port > 65535) {
      context.addIssue({
        code: 'custom',
        message: `must be host:port (such as 127.0.0.1:9464 or [::1]:9464), or a port alone for ${defaultMetricsHost}; got ${value}`,
      })
      return z.NEVER
    }
    return { host: match[1] ?? match[2] ?? defaultMetricsHost, port }
  })

const shutdownTimeoutSeconds = z.coerce.number().positive().max(3600)
const databaseConnectTimeoutSeconds = z.coerce.number().min(0).max(3600)
/** Long enough for a PostgreSQL container started beside this one to accept connections. */
const defaultDatabaseConnectTimeoutSeconds = 60

const serverConfigSchema = z
  .object({
    port: z.coerce.number().int().min(0).max(65535),
    host: z.string().min(1),
    publicUrl,
    databaseUrl,
    queryTimeoutSeconds,
    sqliteReaders,
    allowUnknownEventTypes: booleanSetting,
    logLevel,
    worker: z.boolean(),
    databaseConnectTimeoutSeconds,
    shutdownTimeoutSeconds,
    limits: requestLimitsSchema,
    delivery: deliveryConfigSchema,
    retention: retentionConfigSchema,
    stream: streamConfigSchema,
    metricsListen,
  })
  // The same address would only fail to listen; worse, a mistaken METRICS_LISTEN=3000 reads as
  // if metrics were meant to be on the API's port, which they never are.
  .refine(
    ({ port, host, metricsListen }) =>
      metricsListen === undefined || port === 0 || metricsListen.port !== port || !sameListenHost(host, metricsListen.host),
    { message: "must differ from the API's address (--host / HOST, --port / PORT): metrics are never served on the API's port", path: ['metricsListen'] },
  )

function sameListenHost(a: string, b: string): boolean {
  const wildcard = (host: string) => host === '0.0.0.0' || host === '::'
  return a === b || wildcard(a) || wildcard(b)
}

const workerConfigSchema = z.object({
  databaseUrl,
  queryTimeoutSeconds,
  sqliteReaders,
  logLevel,
  databaseConnectTimeoutSeconds,
  shutdownTimeoutSeconds,
  delivery: deliveryConfigSchema,
  retention: retentionConfigSchema,
  metricsListen,
})

const settingNames: Record<string, string> = {
  port: '--port / PORT',
  host: '--host / HOST',
  publicUrl: '--public-url / PUBLIC_URL',
  databaseConnectTimeoutSeconds: 'DATABASE_CONNECT_TIMEOUT_SECONDS',
  shutdownTimeoutSeconds: 'SHUTDOWN_TIMEOUT_SECONDS',
  requestTimeoutSeconds: 'REQUEST_TIMEOUT_SECONDS',
  keepAliveTimeoutSeconds: 'KEEP_ALIVE_TIMEOUT_SECONDS',
  rateLimitPerSecond: 'RATE_LIMIT_PER_SECOND',
  rateLimitBurst: 'RATE_LIMIT_BURST',
  maxWebhooksPerWorkspace: 'MAX_WEBHOOKS_PER_WORKSPACE',
  databaseUrl: '--database / DATABASE_URL',
  queryTimeoutSeconds: 'QUERY_TIMEOUT_SECONDS',
  sqliteReaders: 'SQLITE_READERS',
  allowUnknownEventTypes: '--allow-unknown-event-types / ALLOW_UNKNOWN_EVENT_TYPES',
  logLevel: 'LOG_LEVEL',
  worker: '--no-worker',
  retryScheduleSeconds: 'WEBHOOK_RETRY_SCHEDULE',
  timeoutSeconds: 'WEBHOOK_TIMEOUT_SECONDS',
  leaseSeconds: 'WEBHOOK_LEASE_SECONDS',
  allowPrivateTargets: 'WEBHOOK_ALLOW_PRIVATE_TARGETS',
  concurrency: 'WEBHOOK_CONCURRENCY',
  concurrencyPerWebhook: 'WEBHOOK_CONCURRENCY_PER_WEBHOOK',
  disableAfterSeconds: 'WEBHOOK_DISABLE_AFTER_SECONDS',
  pollIntervalMs: 'WEBHOOK_POLL_INTERVAL_MS',
  dnsServers: 'WEBHOOK_DNS_SERVERS',
  exportDir: '--export-dir / RETENTION_EXPORT_DIR',
  intervalSeconds: 'RETENTION_INTERVAL_SECONDS',
  heartbeatSeconds: 'STREAM_HEARTBEAT_SECONDS',
  pollSeconds: 'STREAM_POLL_SECONDS',
  metricsListen: '--metrics-listen / METRICS_LISTEN',
}

function databaseSettings(
  options: { database?: string | undefined },
  env: NodeJS.ProcessEnv,
): Record<keyof DatabaseConfig, unknown> {
  return {
    databaseUrl: options.database ?? env['DATABASE_URL'] ?? defaultDatabaseUrl,
    queryTimeoutSeconds: env['QUERY_TIMEOUT_SECONDS'] ?? defaultQueryTimeoutSeconds,
    sqliteReaders: env['SQLITE_READERS'] ?? defaultSqliteReaders,
  }
}

function retentionSettings(
  env: NodeJS.ProcessEnv,
  exportDir?: string | undefined,
): Record<keyof RetentionConfig, unknown> {
  return {
    exportDir: exportDir ?? env['RETENTION_EXPORT_DIR'],
    intervalSeconds: env['RETENTION_INTERVAL_SECONDS'] ?? 3600,
  }
}

function deliverySettings(env: NodeJS.ProcessEnv): Record<keyof DeliveryConfig, unknown> {
  return {
    retryScheduleSeconds: env['WEBHOOK_RETRY_SCHEDULE'] ?? defaultRetryScheduleSeconds.join(','),
    timeoutSeconds: env['WEBHOOK_TIMEOUT_SECONDS'] ?? 15,
    leaseSeconds: env['WEBHOOK_LEASE_SECONDS'] ?? 30,
    allowPrivateTargets: env['WEBHOOK_ALLOW_PRIVATE_TARGETS'] ?? false,
    concurrency: env['WEBHOOK_CONCURRENCY'] ?? 256,
    concurrencyPerWebhook: env['WEBHOOK_CONCURRENCY_PER_WEBHOOK'] ?? 16,
    disableAfterSeconds: env['WEBHOOK_DISABLE_AFTER_SECONDS'] ?? 5 * 24 * 3600,
    pollIntervalMs: env['WEBHOOK_POLL_INTERVAL_MS'] ?? 250,
    dnsServers: env['WEBHOOK_DNS_SERVERS'] ?? '',
  }
}

function parseConfig<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, input: unknown): Readonly<T> {
  const result = schema.safeParse(input)
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const key = String(issue.path.at(-1) ?? '')
        return `${settingNames[key] ?? key}: ${issue.message}`
      }),
    )
  }
  return deepFreeze(result.data)
}

function deepFreeze<T>(value: T): Readonly<T> {
  if (typeof value === 'object' && value !== null) {
    Object.values(value).forEach(deepFreeze)
    Object.freeze(value)
  }
  return value
}

export interface ServerOptions {
  port?: string | number | undefined
  host?: string | undefined
  publicUrl?: string | undefined
  database?: string | undefined
  allowUnknownEventTypes?: boolean | undefined
  logLevel?: string | undefined
  /** commander's `--no-worker` sets this to false. */
  worker?: boolean | undefined
  metricsListen?: string | undefined
}

export function resolveServerConfig(
  options: ServerOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): Readonly<ServerConfig> {
  return parseConfig(serverConfigSchema, {
    port: options.port ?? env['PORT'] ?? 3000,
    host: options.host ?? env['HOST'] ?? '127.0.0.1',
    publicUrl: options.publicUrl ?? env['PUBLIC_URL'],
    ...databaseSettings(options, env),
    allowUnknownEventTypes:
      options.allowUnknownEventTypes ?? env['ALLOW_UNKNOWN_EVENT_TYPES'] ?? false,
    logLevel: options.logLevel ?? env['LOG_LEVEL'] ?? 'info',
    worker: options.worker ?? true,
    databaseConnectTimeoutSeconds: env['DATABASE_CONNECT_TIMEOUT_SECONDS'] ?? defaultDatabaseConnectTimeoutSeconds,
    shutdownTimeoutSeconds: env['SHUTDOWN_TIMEOUT_SECONDS'] ?? defaultShutdownTimeoutSeconds,
    limits: {
      requestTimeoutSeconds: env['REQUEST_TIMEOUT_SECONDS'] ?? 30,
      keepAliveTimeoutSeconds: env['KEEP_ALIVE_TIMEOUT_SECONDS'] ?? 72,
      rateLimitPerSecond: env['RATE_LIMIT_PER_SECOND'] ?? 10_000,
      rateLimitBurst: env['RATE_LIMIT_BURST'],
      maxWebhooksPerWorkspace: env['MAX_WEBHOOKS_PER_WORKSPACE'] ?? 50,
    },
    delivery: deliverySettings(env),
    retention: retentionSettings(env),
    stream: {
      heartbeatSeconds: env['STREAM_HEARTBEAT_SECONDS'] ?? 15,
      pollSeconds: env['STREAM_POLL_SECONDS'] ?? 5,
    },
    metricsListen: options.metricsListen ?? env['METRICS_LISTEN'],
  })
}

export function resolveWorkerConfig(
  options: { database?: string | undefined; metricsListen?: string | undefined } = {},
  env: NodeJS.ProcessEnv = process.env,
): Readonly<WorkerConfig> {
  return parseConfig(workerConfigSchema, {
    ...databaseSettings(options, env),
    logLevel: env['LOG_LEVEL'] ?? 'info',
    databaseConnectTimeoutSeconds: env['DATABASE_CONNECT_TIMEOUT_SECONDS'] ?? defaultDatabaseConnectTimeoutSeconds,
    shutdownTimeoutSeconds: env['SHUTDOWN_TIMEOUT_SECONDS'] ?? defaultShutdownTimeoutSeconds,
    delivery: deliverySettings(env),
    retention: retentionSettings(env),
    metricsListen: options.metricsListen ?? env['METRICS_LISTEN'],
  })
}

/** For the one-off `seam-events retention` command. */
export function resolveRetentionConfig(
  options: { database?: string | undefined; exportDir?: string | undefined } = {},
  env: NodeJS.ProcessEnv = process.env,
): Readonly<DatabaseConfig & { retention: RetentionConfig }> {
  return parseConfig(
    z.object({ databaseUrl, queryTimeoutSeconds, sqliteReaders, retention: retentionConfigSchema }),
    {
      ...databaseSettings(options, env),
      retention: retentionSettings(env, options.exportDir),
    },
  )
}

export function resolveDatabaseConfig(
  options: { database?: string | undefined } = {},
  env: NodeJS.ProcessEnv = process.env,
): Readonly<DatabaseConfig> {
  return parseConfig(z.object({ databaseUrl, queryTimeoutSeconds, sqliteReaders }), databaseSettings(options, env))
}

/**
 * The commands that talk HTTP to a running server instead of opening its database: `tail`,
 * `listen`, `simulate` and `trigger`.
 */
export interface ClientConfig {
  /** The server's base URL, without a trailing slash. */
  endpoint: string
  apiKey: string
}

/** What the client's key must be able to do, for the message when none is given. */
export type ClientKeyUse = 'read' | 'publish'

export function resolveClientConfig(
  options: { endpoint?: string | undefined; apiKey?: string | undefined } = {},
  env: NodeJS.ProcessEnv = process.env,
  keyUse: ClientKeyUse = 'read',
): Readonly<ClientConfig> {
  const problems: string[] = []
  const endpoint = options.endpoint ?? env['SEAM_ENDPOINT'] ?? `http://127.0.0.1:${env['PORT'] ?? 3000}`
  if (!URL.canParse(endpoint) || !/^https?:$/.test(new URL(endpoint).protocol)) {
    problems.push(`--endpoint / SEAM_ENDPOINT: not an http(s) URL: ${endpoint}`)
  }
  const apiKey = options.apiKey ?? env['SEAM_API_KEY'] ?? ''
  if (apiKey.trim() === '') {
    problems.push(
      `--api-key / SEAM_API_KEY: required, a key that can ${keyUse} (see "seam-events api-keys create")`,
    )
  }
  if (problems.length > 0) throw new ConfigError(problems)
  return Object.freeze({ endpoint: endpoint.replace(/\/+$/, ''), apiKey: apiKey.trim() })
}

/**
 * Where the CLI keeps what it must remember on this machine (`listen`'s machine key):
 * `$XDG_CONFIG_HOME/seam-events`, or `~/.config/seam-events` when that is unset or not an
 * absolute path (as the XDG Base Directory specification says to treat it).
 */
export function resolveUserConfigDir(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  const xdg = env['XDG_CONFIG_HOME']
  return xdg !== undefined && isAbsolute(xdg) ? join(xdg, 'seam-events') : join(home, '.config', 'seam-events')
}
