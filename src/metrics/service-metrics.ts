// What one process exports at /metrics, in Prometheus' text format, through prom-client: one
// registry per service (not prom-client's global one), so that several services in one process
// (the tests' servers) keep their figures apart. The figures are kept by the parts that know
// them (the HTTP server, the delivery worker, the stream hub, the store) and read from here;
// nothing in those parts knows of Prometheus.

import type { Logger } from 'pino'
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'

import type { Clock } from '../clock.ts'
import type { DatabasePoolUse, DueDeliveries } from '../store/store.ts'
import type { AttemptOutcomeKind, OutcomesRecordedListener } from '../workers/delivery-worker.ts'

export const metricsPrefix = 'seam_events_'

/** The route label of a request no route matched (a 404, or a method a path does not take). */
export const unmatchedRoute = 'unmatched'

/** A gauge that reads `read()` at each scrape. */
function readingGauge(name: string, help: string, read: () => number): Gauge {
  const gauge: Gauge = new Gauge({ name: `${metricsPrefix}${name}`, help, registers: [], collect: () => gauge.set(read()) })
  return gauge
}

const attemptOutcomes: readonly AttemptOutcomeKind[] = ['succeeded', 'retry', 'failed']

/** What a delivery worker lets /metrics read (DeliveryWorker). */
export interface ObservedDeliveryWorker {
  readonly attemptsInFlight: number
  readonly deliveriesWaiting: number
  onOutcomesRecorded(listener: OutcomesRecordedListener): () => void
}

/** What the HTTP server tells /metrics (buildServer's `metrics`). */
export interface HttpMetrics {
  /** `route` is the route's pattern (`/events/list`, `/console/*`), or unmatchedRoute. */
  requestFinished(method: string, route: string, statusCode: number, seconds: number): void
  eventsPublished(count: number): void
  /** How the open streams are counted at each scrape. */
  observeOpenStreams(count: () => number): void
}

export interface ServiceMetricsOptions {
  /** `serve` exports its HTTP figures; a `worker` process has none. */
  process: 'serve' | 'worker'
  logger: Logger
  clock: Clock
}

export class ServiceMetrics implements HttpMetrics {
  readonly registry = new Registry()
  readonly #logger: Logger
  readonly #clock: Clock

  readonly #requestDuration = new Histogram({
    name: `${metricsPrefix}http_request_duration_seconds`,
    help: 'HTTP requests to the API by method, route pattern and status code, and how long each took (for a stream, how long it was open); _count is the number of requests',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [],
  })

  readonly #eventsPublished = new Counter({
    name: `${metricsPrefix}events_published_total`,
    help: 'Events in publishes this process acknowledged (a publish that repeats an event_id counts it again)',
    registers: [],
  })

  readonly #attemptsRecorded = new Counter({
    name: `${metricsPrefix}delivery_attempts_total`,
    help: "Webhook delivery attempts this process's worker recorded, by what each did to its delivery: succeeded, retry (failed; another attempt is scheduled), failed (failed; no attempt is left)",
    labelNames: ['outcome'] as const,
    registers: [],
  })

  #dueDeliveries: (() => Promise<DueDeliveries[] | undefined>) | undefined
  #webhookDue: Gauge<'workspace_id' | 'webhook_id'> | undefined
  #webhookLag: Gauge<'workspace_id' | 'webhook_id'> | undefined
  #totalDue: Gauge | undefined
  #totalLag: Gauge | undefined

  #poolUse: (() => DatabasePoolUse | null) | undefined

  constructor({ process, logger, clock }: ServiceMetricsOptions) {
    this.#logger = logger
    this.#clock = clock
    collectDefaultMetrics({ register: this.registry })
    if (process === 'serve') {
      this.registry.registerMetric(this.#requestDuration)
      this.registry.registerMetric(this.#eventsPublished)
    }
  }

  requestFinished(method: string, route: string, statusCode: number, seconds: number): void {
    this.#requestDuration.observe({ method, route, status_code: String(statusCode) }, seconds)
  }

  eventsPublished(count: number): void {
    this.#eventsPublished.inc(count)
  }

  observeOpenStreams(count: () => number): void {
    this.registry.registerMetric(readingGauge('event_streams_open', 'Event streams (/events/stream) open on this process', count))
  }

  /**
   * Counts the worker's recorded attempts, and reads its requests in flight and its claims waiting at each scrape; a
   * process without a worker (`serve --no-worker`) exports neither.
   */
  observeDeliveryWorker(worker: ObservedDeliveryWorker): void {
    this.registry.registerMetric(this.#attemptsRecorded)
    this.registry.registerMetric(readingGauge('delivery_attempts_in_flight', "Webhook requests this process's worker has in flight", () => worker.attemptsInFlight))
    this.registry.registerMetric(
      readingGauge(
        'delivery_claims_waiting',
        "Deliveries this process's worker has claimed and waits to send until their webhook has a slot",
        () => worker.deliveriesWaiting,
      ),
    )
    // Every outcome is there from the start at 0, so that rate() sees the first one.
    for (const outcome of attemptOutcomes) this.#attemptsRecorded.inc({ outcome }, 0)
    worker.onOutcomesRecorded((kinds) => {
      for (const outcome of kinds) this.#attemptsRecorded.inc({ outcome })
    })
  }

  /**
   * The backlog of every workspace, read from the database at each scrape: one process (serve)
   * exports it, so that summing over processes does not count it twice. Before the database is
   * reached (`dueDeliveries` resolves to undefined), and while it cannot answer, the totals are
   * NaN and no webhook has a series.
   */
  observeDeliveryBacklog(dueDeliveries: () => Promise<DueDeliveries[] | undefined>): void {
    this.#dueDeliveries = dueDeliveries
    const labelNames = ['workspace_id', 'webhook_id'] as const
    this.#webhookDue = new Gauge({
      name: `${metricsPrefix}webhook_deliveries_due`,
      help: 'Deliveries due now and not yet claimed, per webhook with any (across every workspace)',
      labelNames,
      registers: [this.registry],
    })
    this.#webhookLag = new Gauge({
      name: `${metricsPrefix}webhook_delivery_lag_seconds`,
      help: 'How long ago the oldest delivery due now fell due, per webhook with any (across every workspace)',
      labelNames,
      registers: [this.registry],
    })
    this.#totalDue = new Gauge({
      name: `${metricsPrefix}deliveries_due`,
      help: 'Deliveries due now and not yet claimed, of every webhook',
      registers: [this.registry],
    })
    this.#totalLag = new Gauge({
      name: `${metricsPrefix}delivery_lag_seconds`,
      help: 'How long ago the oldest delivery due now fell due, of every webhook (0 when none is due)',
      registers: [this.registry],
    })
  }

  /** The pool's state at each scrape; a store without a pool (SQLite) exports none of these. */
  observeDatabasePool(poolUse: () => DatabasePoolUse | null): void {
    if (poolUse() === null) return
    this.#poolUse = poolUse
    const read = (pick: (use: DatabasePoolUse) => number) => () => {
      const use = this.#poolUse?.()
      return use === null || use === undefined ? Number.NaN : pick(use)
    }
    const connections = read((use) => use.total)
    const idle = read((use) => use.idle)
    const waiting = read((use) => use.waiting)
    const max = read((use) => use.max)
    const inUse = () => connections() - idle()
    const pool: Gauge<'state'> = new Gauge({
      name: `${metricsPrefix}database_pool_connections`,
      help: 'PostgreSQL connections of the pool, by state (idle, in_use); LISTEN connections are not counted',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect: (): void => {
        pool.set({ state: 'idle' }, idle())
        pool.set({ state: 'in_use' }, inUse())
      },
    })
    const poolWaiting: Gauge = new Gauge({
      name: `${metricsPrefix}database_pool_waiting`,
      help: 'Queries waiting for a PostgreSQL connection, every connection of the pool being in use',
      registers: [this.registry],
      collect: (): void => poolWaiting.set(waiting()),
    })
    const poolMax: Gauge = new Gauge({
      name: `${metricsPrefix}database_pool_max`,
      help: 'The most connections the PostgreSQL pool opens',
      registers: [this.registry],
      collect: (): void => poolMax.set(max()),
    })
  }

  /** The text of a scrape: reads what needs the database first, then renders every metric. */
  async render(): Promise<string> {
    await this.#readBacklog()
    return await this.registry.metrics()
  }

  get contentType(): string {
    return this.registry.contentType
  }

  async #readBacklog(): Promise<void> {
    if (this.#dueDeliveries === undefined) return
    const now = this.#clock.now()
    let rows: DueDeliveries[] | undefined
    try {
      rows = await this.#dueDeliveries()
    } catch (error) {
      this.#logger.warn({ err: error }, 'metrics: cannot read the delivery backlog')
    }
    this.#webhookDue?.reset()
    this.#webhookLag?.reset()
    if (rows === undefined) {
      this.#totalDue?.set(Number.NaN)
      this.#totalLag?.set(Number.NaN)
      return
    }
    let total = 0
    let oldest = now
    for (const row of rows) {
      const labels = { workspace_id: row.workspace_id, webhook_id: row.webhook_id }
      this.#webhookDue?.set(labels, row.due)
      this.#webhookLag?.set(labels, Math.max(0, now - row.oldest_due_at) / 1000)
      total += row.due
      oldest = Math.min(oldest, row.oldest_due_at)
    }
    this.#totalDue?.set(total)
    this.#totalLag?.set(Math.max(0, now - oldest) / 1000)
  }
}
