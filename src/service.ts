// Starts the API service from its configuration: the store, the HTTP server, and, in the same
// process, the delivery worker and the retention job. `seam-events serve` and the tests' server
// both start it here, so that tests run what operators run.

import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

import type { FastifyInstance, RouteOptions } from 'fastify'
import type { Logger } from 'pino'

import { systemClock, type Clock } from './clock.ts'
import type { ServerConfig, WorkerConfig } from './config.ts'
import { buildServer } from './http/server.ts'
import { MetricsListenError, startMetricsServer, type MetricsServer } from './metrics/metrics-server.ts'
import { ServiceMetrics } from './metrics/service-metrics.ts'
import { parseDatabaseUrl, type DatabaseLocation } from './store/database-url.ts'
import { createStore, DatabaseOpenError, migrateStore } from './store/open-store.ts'
import type { Store } from './store/store.ts'
import type { DeliveryWorker } from './workers/delivery-worker.ts'
import { startRetentionJob, type RetentionJob } from './workers/retention-job.ts'
import { createTargetGuard, startDeliveryWorker } from './workers/start-delivery.ts'

/** The server cannot listen where it was told to; the message is one line naming the fix. */
export class ListenError extends Error {
  override name = 'ListenError'
}

export interface ApiService {
  app: FastifyInstance
  store: Store
  /** `http://host:port` the server listens on. */
  endpoint: string
  port: number
  /** `http://host:port` of the metrics listener (its path is /metrics); undefined when off. */
  metricsEndpoint: string | undefined
  /**
   * Stops accepting requests, lets in-flight ones finish, ends open streams, lets the worker
   * finish and record its in-flight deliveries, and closes the database.
   */
  stop(): Promise<void>
  /** After a stop that ran out of time: drops every connection at once. */
  dropConnections(): void
}

export interface ApiServiceOptions {
  /** Sees each route as Fastify registers it. */
  onRoute?: (route: RouteOptions) => void
  /** The time the service runs on (default the system's); tests move it. */
  clock?: Clock
}

/**
 * Listens first, then reaches the database: a PostgreSQL that is not up yet is retried with
 * backoff for `databaseConnectTimeoutSeconds`, while /health answers and /ready (like every
 * route that needs the database) answers 503. Throws DatabaseOpenError or ListenError, with
 * nothing left running, when it cannot start.
 */
export async function startApiService(
  config: ServerConfig,
  logger: Logger,
  options: ApiServiceOptions = {},
): Promise<ApiService> {
  const clock = options.clock ?? systemClock
  const location = parseDatabaseUrl(config.databaseUrl)
  const store = createStore(location, { clock, queryTimeoutSeconds: config.queryTimeoutSeconds, sqliteReaders: config.sqliteReaders })
  const targetGuard = createTargetGuard(config.delivery, logger)
  let databaseReady = false
  let worker: DeliveryWorker | undefined
  const metrics = config.metricsListen === undefined ? undefined : new ServiceMetrics({ process: 'serve', logger, clock })
  // The backlog is every workspace's: exported by serve alone, so that a worker beside it does
  // not double it in a sum over processes.
  metrics?.observeDeliveryBacklog(async () =>
    databaseReady ? await store.deliveries.countDueDeliveriesByWebhook(clock.now()) : undefined,
  )
  let metricsServer: MetricsServer | undefined
  const app = buildServer({
    store,
    clock,
    logger,
    allowUnknownEventTypes: config.allowUnknownEventTypes,
    limits: config.limits,
    publicUrl: config.publicUrl,
    databaseReady: () => databaseReady,
    targetGuard,
    deliveriesQueued: () => worker?.wake(),
    ...(options.onRoute === undefined ? {} : { onRoute: options.onRoute }),
    stream: { heartbeatMs: config.stream.heartbeatSeconds * 1000, pollMs: config.stream.pollSeconds * 1000 },
    metrics,
  })

  const closeAll = async (): Promise<void> => {
    await app.close().catch(() => {})
    await metricsServer?.close().catch(() => {})
    await targetGuard.close().catch(() => {})
    await store.close().catch(() => {})
  }

  try {
    await app.listen({ port: config.port, host: config.host })
  } catch (error) {
    await closeAll()
    throw listenError(error, config)
  }
  const { port } = app.server.address() as AddressInfo
  const endpoint = `http://${displayHost(config.host)}:${port}`
  if (metrics !== undefined && config.metricsListen !== undefined) {
    try {
      metricsServer = await startMetricsListener(metrics, config.metricsListen, logger)
    } catch (error) {
      await closeAll()
      throw error
    }
  }
  logger.info({ endpoint }, 'listening; reaching the database')

  try {
    await connectWithRetry(store, location, config.databaseConnectTimeoutSeconds, logger)
  } catch (error) {
    await closeAll()
    throw error
  }
  databaseReady = true
  if (config.worker) worker = startDeliveryWorker(store.deliveries, targetGuard, config.delivery, logger, clock)
  if (worker !== undefined) metrics?.observeDeliveryWorker(worker)
  metrics?.observeDatabasePool(() => store.databasePoolUse())
  const retention: RetentionJob = startRetentionJob(store, config.retention, logger, clock)

  return {
    app,
    store,
    endpoint,
    port,
    metricsEndpoint: metricsServer?.endpoint,
    async stop() {
      // app.close() ends open streams (preClose), stops accepting and waits for in-flight
      // requests; the worker then finishes and records its in-flight deliveries. Metrics are
      // served until then, so that a scrape sees the shutdown.
      await app.close()
      await retention.stop()
      await worker?.stop()
      await metricsServer?.close()
      await targetGuard.close()
      await store.close()
    },
    dropConnections() {
      app.server.closeAllConnections()
    },
  }
}

export interface WorkerService {
  store: Store
  /** `http://host:port` of the metrics listener (its path is /metrics); undefined when off. */
  metricsEndpoint: string | undefined
  /** Lets in-flight deliveries finish and be recorded, then closes the database. */
  stop(): Promise<void>
}

/**
 * `seam-events worker`: webhook delivery and the retention job, without the API. It reaches its
 * database as `serve` does (retrying one that is starting up), but never creates a SQLite file:
 * a worker belongs beside a server that already made it.
 */
export async function startWorkerService(config: WorkerConfig, logger: Logger): Promise<WorkerService> {
  const location = parseDatabaseUrl(config.databaseUrl)
  const store = createStore(location, {
    createIfMissing: false,
    queryTimeoutSeconds: config.queryTimeoutSeconds,
    sqliteReaders: config.sqliteReaders,
  })
  try {
    await connectWithRetry(store, location, config.databaseConnectTimeoutSeconds, logger)
  } catch (error) {
    await store.close().catch(() => {})
    throw error
  }
  // Its own process's figures only (attempts, requests in flight, its pool); the backlog of the
  // database is serve's to export.
  const metrics = config.metricsListen === undefined ? undefined : new ServiceMetrics({ process: 'worker', logger, clock: systemClock })
  let metricsServer: MetricsServer | undefined
  if (metrics !== undefined && config.metricsListen !== undefined) {
    try {
      metricsServer = await startMetricsListener(metrics, config.metricsListen, logger)
    } catch (error) {
      await store.close().catch(() => {})
      throw error
    }
  }
  const guard = createTargetGuard(config.delivery, logger)
  const worker = startDeliveryWorker(store.deliveries, guard, config.delivery, logger)
  metrics?.observeDeliveryWorker(worker)
  metrics?.observeDatabasePool(() => store.databasePoolUse())
  const retention = startRetentionJob(store, config.retention, logger)
  return {
    store,
    metricsEndpoint: metricsServer?.endpoint,
    async stop() {
      await retention.stop()
      await worker.stop()
      await metricsServer?.close()
      await guard.close()
      await store.close()
    },
  }
}

/** The metrics listener, its failures to listen as ListenErrors (one line, exit 1). */
async function startMetricsListener(
  metrics: ServiceMetrics,
  listen: NonNullable<ServerConfig['metricsListen']>,
  logger: Logger,
): Promise<MetricsServer> {
  try {
    return await startMetricsServer(metrics, listen, logger)
  } catch (error) {
    throw error instanceof MetricsListenError ? new ListenError(error.message) : error
  }
}

const firstRetryDelayMs = 250
const longestRetryDelayMs = 5000

/** Migrates the store, retrying what a database that is starting up would answer. */
async function connectWithRetry(
  store: Store,
  location: DatabaseLocation,
  timeoutSeconds: number,
  logger: Logger,
): Promise<void> {
  const deadline = Date.now() + timeoutSeconds * 1000
  for (let attempt = 1, delayMs = firstRetryDelayMs; ; attempt += 1, delayMs = Math.min(delayMs * 2, longestRetryDelayMs)) {
    try {
      await migrateStore(store, location)
      if (attempt > 1) logger.info({ attempts: attempt }, 'database reached')
      return
    } catch (error) {
      const retryable = error instanceof DatabaseOpenError && error.retryable
      if (!retryable || Date.now() + delayMs > deadline) {
        if (retryable && attempt > 1) {
          throw new DatabaseOpenError(
            `${(error as Error).message} (gave up after ${timeoutSeconds} s, DATABASE_CONNECT_TIMEOUT_SECONDS)`,
          )
        }
        throw error
      }
      logger.warn({ attempt, retry_in_ms: delayMs, reason: (error as Error).message }, 'database not reachable yet; retrying')
      await sleep(delayMs)
    }
  }
}

function listenError(error: unknown, config: ServerConfig): Error {
  const code = (error as { code?: unknown } | null)?.code
  const where = `${config.host}:${config.port}`
  switch (code) {
    case 'EADDRINUSE':
      return new ListenError(
        `port ${config.port} on ${config.host} is already in use: stop what listens there, or choose ` +
          'another port with --port or PORT (PORT=0 picks a free one)',
      )
    case 'EACCES':
      return new ListenError(
        `not allowed to listen on ${where}: ports below 1024 need privileges; choose another with --port or PORT`,
      )
    case 'EADDRNOTAVAIL':
      return new ListenError(
        `cannot listen on ${where}: ${config.host} is not an address of this machine; set --host or HOST ` +
          '(127.0.0.1, or 0.0.0.0 for every interface)',
      )
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ListenError(`cannot listen on ${where}: the host name ${config.host} does not resolve; set --host or HOST`)
    default:
      return error instanceof Error ? error : new Error(String(error))
  }
}

function displayHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1'
  return host.includes(':') ? `[${host}]` : host
}
