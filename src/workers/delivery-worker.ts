// The delivery loop: claims due deliveries from the outbox under a lease, sends each one signed,
// and records every attempt. At least once: a delivery is marked done only after its receiver
// answered 2xx, so a crash at any point leads to another attempt, never to a lost one.

import { performance } from 'node:perf_hooks'
import { setImmediate as yieldToEventLoop } from 'node:timers/promises'

import type { Logger } from 'pino'
import { request } from 'undici'

import { sleep, systemClock, type Clock, type ClockTimer } from '../clock.ts'
import type { DeliveryConfig } from '../config.ts'
import { decideOutcome } from '../domain/delivery-outcome.ts'
import { parseRetryAfterMs } from '../domain/retry-schedule.ts'
import { webhookUserAgent as userAgent } from '../domain/delivery-request.ts'
import { webhookHeaders } from '../domain/webhook-signature.ts'
import type {
  AttemptFacts,
  ClaimedDelivery,
  DeliveryAttempt,
  DeliveryOutcome,
  DeliveryQueue,
  OutcomeDecision,
} from '../store/store.ts'
import { findTargetError, type TargetGuard } from '../domain/webhook-target-guard.ts'
import { saturatedWebhookIds } from '../store/webhook-rows.ts'

/** Attempt logs keep this much of each response body. */
const responseExcerptBytes = 4096
/** Events a recovery turns into deliveries per step, between claims of due deliveries. */
const recoveryBatchSize = 1000
/**
 * While claims keep finding work, how often the worker still looks for a recovery to advance.
 * Looking after every claim cost a transaction per claim, a quarter of a busy claim loop's time
 * on PostgreSQL (5 of 21 ms, steady 1,000 events/s); a worker whose claim found nothing looks
 * every time, as before.
 */
const recoveryCheckIntervalMs = 250
/** How long a freed slot waits for others before the worker claims: the latency it may add. */
const freedSlotWakeDelayMs = 2
/**
 * A claim takes, beside the deliveries it can start now, three times as many again to wait for
 * a slot of their webhook, so that a finished request is followed by the next at once rather
 * than after a claim's round trips: with a webhook's 16 requests in flight, the claim in every
 * request's cycle capped delivery to one webhook at 16 per cycle (about 1,500 a second on
 * SQLite, 850 on PostgreSQL). With as many again waiting, the 16 ran out while the next claim
 * (10 ms on a busy process) was under way; three times as many drained backlogs 1.1-1.3x as
 * fast on both backends, to 1 and to 10 webhooks. Each webhook's requests in flight stay
 * within its limit.
 */
const waitingPerSlot = 3
/** A waiting delivery is sent only with this much of its lease left beyond the request's timeout. */
const leaseMarginMs = 5000

/** What a recorded attempt did to its delivery: done, another attempt to come, or given up. */
export type AttemptOutcomeKind = OutcomeDecision['delivery']['kind']

/** Hears of each batch of attempts once it is recorded (for /metrics). */
export type OutcomesRecordedListener = (kinds: readonly AttemptOutcomeKind[]) => void

interface WaitingDelivery {
  delivery: ClaimedDelivery
  /** By this worker's clock, from before the claim was asked for. */
  leaseEndsAt: number
}

export interface DeliveryWorkerOptions {
  queue: DeliveryQueue
  guard: TargetGuard
  config: DeliveryConfig
  logger: Logger
  /** The time it schedules and waits on; default the system's. */
  clock?: Clock
}

export class DeliveryWorker {
  readonly #queue: DeliveryQueue
  readonly #guard: TargetGuard
  readonly #config: DeliveryConfig
  readonly #logger: Logger
  readonly #clock: Clock

  readonly #inFlightByWebhook = new Map<string, number>()
  #inFlight = 0
  /** Claimed deliveries waiting for a slot, per webhook, in the order claimed. */
  readonly #waiting = new Map<string, WaitingDelivery[]>()
  #waitingCount = 0
  #outcomes: DeliveryOutcome[] = []
  #flushing: Promise<void> | null = null
  #wakeUp: (() => void) | null = null
  #woken = false
  #slotWake: ClockTimer | null = null
  #stopping = false
  #loop: Promise<void> | null = null
  /** performance.now() after which a busy worker looks for a recovery again. */
  #nextRecoveryCheck = 0
  #idle: (() => void) | null = null
  #unwatch: Promise<() => Promise<void>> | null = null
  readonly #outcomeListeners = new Set<OutcomesRecordedListener>()

  constructor({ queue, guard, config, logger, clock = systemClock }: DeliveryWorkerOptions) {
    this.#queue = queue
    this.#guard = guard
    this.#config = config
    this.#logger = logger
    this.#clock = clock
  }

  start(): void {
    if (this.#loop !== null) return
    this.#loop = this.#run()
    // Deliveries queued by other processes wake this worker at once where the store can say
    // so (PostgreSQL); without it, the poll interval still finds them.
    this.#unwatch = this.#queue.watchDeliveries(() => this.wake()).catch((error: unknown) => {
      this.#logger.warn({ err: error }, 'delivery worker: cannot listen for new deliveries; polling only')
      return async () => {}
    })
  }

  /** Requests this worker has in flight now. */
  get attemptsInFlight(): number {
    return this.#inFlight
  }

  /** Deliveries claimed and waiting for a slot of their webhook. */
  get deliveriesWaiting(): number {
    return this.#waitingCount
  }

  /** Calls `listener` with what each recorded batch of attempts decided; returns the unsubscribe. */
  onOutcomesRecorded(listener: OutcomesRecordedListener): () => void {
    this.#outcomeListeners.add(listener)
    return () => this.#outcomeListeners.delete(listener)
  }

  /** New work may be due: stop waiting and look now. */
  wake(): void {
    this.#woken = true
    this.#wakeUp?.()
  }

  /**
   * A slot has freed up: look for work shortly, together with the slots that free up meanwhile.
   * Waking for each one made every claim a transaction for a single delivery, and claims, not
   * requests, then bounded delivery: about 1,000 a second to one webhook on either backend.
   */
  #wakeForFreedSlot(): void {
    if (this.#slotWake !== null || this.#woken) return
    this.#slotWake = this.#clock
      .setTimeout(() => {
        this.#slotWake = null
        this.wake()
      }, freedSlotWakeDelayMs)
      .unref()
  }

  /**
   * Stops claiming, gives back the claimed deliveries not yet sent, lets in-flight requests
   * finish (each is bounded by the timeout) and records them.
   */
  async stop(): Promise<void> {
    this.#stopping = true
    this.wake()
    await (await this.#unwatch)?.()
    await this.#loop
    const unsent = [...this.#waiting.values()].flat().map(({ delivery }) => delivery)
    this.#waiting.clear()
    this.#waitingCount = 0
    await this.#release(unsent)
    if (this.#inFlight > 0) await new Promise<void>((resolve) => (this.#idle = resolve))
    await this.#flushOutcomes()
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      this.#woken = false
      let busy = false
      // Every database call of the loop is in here: one that fails (a lost connection, a query
      // past QUERY_TIMEOUT_SECONDS) is logged and tried again, never left to end the loop.
      try {
        busy = (await this.#claimAndSend()) > 0
        if (this.#inFlight < this.#config.concurrency && (!busy || performance.now() >= this.#nextRecoveryCheck)) {
          const advanced = await this.#queue.advanceRecovery(recoveryBatchSize)
          // A recovery under way goes on at once, batch after batch.
          this.#nextRecoveryCheck = advanced ? 0 : performance.now() + recoveryCheckIntervalMs
          busy = advanced || busy
        }
        if (busy && this.#inFlight < this.#config.concurrency) {
          // Between batches of a long recovery, let requests and responses through.
          await yieldToEventLoop()
          continue
        }
        await this.#waitForWork()
      } catch (error) {
        this.#logger.error({ err: error }, 'delivery worker: reading the queue failed; retrying in 1 s')
        await sleep(this.#clock, 1000)
      }
    }
  }

  /**
   * Sleeps until woken, a slot frees up, the next delivery falls due, or the poll interval.
   * The next due time is asked only with nothing in flight: otherwise each finished request
   * wakes the worker soon (and the poll bounds the wait), and the question costs a read of the
   * due index past every delivery of the webhooks it excludes, which is the whole backlog of a
   * webhook at its limit.
   */
  async #waitForWork(): Promise<void> {
    if (this.#woken || this.#stopping) return
    let waitMs = this.#config.pollIntervalMs
    if (this.#inFlight === 0) {
      const nextDueAt = await this.#queue.nextDeliveryDueAt(saturatedWebhookIds(this.#heldByWebhook(), this.#heldPerWebhookLimit))
      if (nextDueAt !== null) waitMs = Math.max(0, Math.min(waitMs, nextDueAt - this.#clock.now()))
    }
    if (this.#woken || waitMs === 0) {
      // The SQLite store answers synchronously: without a turn of the event loop here, a loop
      // that finds work it cannot start would starve every request and timer of the process.
      await yieldToEventLoop()
      return
    }
    const controller = new AbortController()
    await Promise.race([new Promise<void>((resolve) => (this.#wakeUp = resolve)), sleep(this.#clock, waitMs, controller.signal)])
    controller.abort()
    this.#wakeUp = null
  }

  /** Deliveries a worker may hold per webhook: in flight, and three times as many waiting. */
  get #heldPerWebhookLimit(): number {
    return this.#config.concurrencyPerWebhook * (1 + waitingPerSlot)
  }

  /** Deliveries this worker holds per webhook, in flight or waiting. */
  #heldByWebhook(): Map<string, number> {
    const held = new Map(this.#inFlightByWebhook)
    for (const [webhookId, waiting] of this.#waiting) held.set(webhookId, (held.get(webhookId) ?? 0) + waiting.length)
    return held
  }

  /** Claims what this worker can hold, and starts what its slots allow; the number claimed. */
  async #claimAndSend(): Promise<number> {
    const room = this.#config.concurrency * (1 + waitingPerSlot) - this.#inFlight - this.#waitingCount
    if (room <= 0) return 0
    const leaseMs = this.#config.leaseSeconds * 1000
    const claimedAt = this.#clock.now()
    const claimed = await this.#queue.claimDueDeliveries({
      limit: room,
      leaseMs,
      inFlightByWebhook: this.#heldByWebhook(),
      perWebhookLimit: this.#heldPerWebhookLimit,
    })
    for (const delivery of claimed) {
      const waiting = this.#waiting.get(delivery.webhook_id) ?? []
      waiting.push({ delivery, leaseEndsAt: claimedAt + leaseMs })
      this.#waiting.set(delivery.webhook_id, waiting)
      this.#waitingCount += 1
    }
    this.#startWaiting()
    return claimed.length
  }

  /**
   * Starts waiting deliveries while their webhooks and the worker have slots. One whose lease
   * would end before its request could finish and be recorded is given back instead (a worker
   * configured with a lease not much longer than the timeout, behind a slow endpoint).
   */
  #startWaiting(webhookIds: Iterable<string> = [...this.#waiting.keys()]): void {
    const expiring: ClaimedDelivery[] = []
    const now = this.#clock.now()
    const timeoutMs = this.#config.timeoutSeconds * 1000
    for (const webhookId of webhookIds) {
      const waiting = this.#waiting.get(webhookId)
      while (
        waiting !== undefined &&
        waiting.length > 0 &&
        this.#inFlight < this.#config.concurrency &&
        (this.#inFlightByWebhook.get(webhookId) ?? 0) < this.#config.concurrencyPerWebhook
      ) {
        const { delivery, leaseEndsAt } = waiting.shift() as WaitingDelivery
        this.#waitingCount -= 1
        if (leaseEndsAt - now < timeoutMs + leaseMarginMs) {
          expiring.push(delivery)
          continue
        }
        this.#inFlightByWebhook.set(webhookId, (this.#inFlightByWebhook.get(webhookId) ?? 0) + 1)
        this.#inFlight += 1
        void this.#deliver(delivery)
      }
      if (waiting?.length === 0) this.#waiting.delete(webhookId)
    }
    if (expiring.length > 0) void this.#release(expiring)
  }

  async #release(deliveries: readonly ClaimedDelivery[]): Promise<void> {
    if (deliveries.length === 0) return
    try {
      await this.#queue.releaseDeliveries(deliveries)
    } catch (error) {
      // Their leases end by themselves: they come back then.
      this.#logger.warn({ err: error, count: deliveries.length }, 'delivery worker: giving back unsent deliveries failed')
    }
  }

  async #deliver(delivery: ClaimedDelivery): Promise<void> {
    try {
      const outcome = await this.#attempt(delivery)
      this.#outcomes.push(outcome)
      void this.#flushOutcomes()
    } catch (error) {
      // Not expected (#attempt catches request failures); the lease brings it back.
      this.#logger.error({ err: error, delivery_id: delivery.delivery_id }, 'delivery failed unexpectedly')
    } finally {
      const count = (this.#inFlightByWebhook.get(delivery.webhook_id) ?? 1) - 1
      if (count === 0) this.#inFlightByWebhook.delete(delivery.webhook_id)
      else this.#inFlightByWebhook.set(delivery.webhook_id, count)
      this.#inFlight -= 1
      if (!this.#stopping) {
        // The worker's slot may be what another webhook's waiting deliveries wait for.
        this.#startWaiting(this.#inFlight === this.#config.concurrency - 1 ? undefined : [delivery.webhook_id])
      }
      if (this.#inFlight === 0) this.#idle?.()
      this.#wakeForFreedSlot()
    }
  }

  async #attempt(delivery: ClaimedDelivery): Promise<DeliveryOutcome> {
    const attemptedAt = new Date(this.#clock.now())
    const started = performance.now()
    const outcome = (
      attempt: Omit<DeliveryAttempt, 'attempted_at' | 'duration_ms'>,
      facts: Partial<AttemptFacts> = {},
    ): DeliveryOutcome => ({
      delivery_id: delivery.delivery_id,
      workspace_id: delivery.workspace_id,
      webhook_id: delivery.webhook_id,
      claim_token: delivery.claim_token,
      attempt: { attempted_at: attemptedAt.toISOString(), duration_ms: Math.round(performance.now() - started), ...attempt },
      facts: {
        round_attempts: delivery.round_attempts + 1,
        manual_retry: delivery.manual_retry,
        retry_after_ms: null,
        retriable: true,
        ...facts,
      },
    })
    if (delivery.event_json === null) {
      return outcome({ status_code: null, error: 'the event is no longer stored', response_body: null }, { retriable: false })
    }
    const timeoutMs = this.#config.timeoutSeconds * 1000
    let statusCode: number
    let retryAfter: string | undefined
    let responseBody: string | null = null
    try {
      const response = await request(delivery.url, {
        method: 'POST',
        headers: {
          ...webhookHeaders(delivery.secrets, delivery.delivery_id, delivery.event_json, attemptedAt),
          'user-agent': userAgent,
        },
        body: delivery.event_json,
        dispatcher: this.#guard.dispatcher,
        signal: AbortSignal.timeout(timeoutMs),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      })
      statusCode = response.statusCode
      const header = response.headers['retry-after']
      retryAfter = Array.isArray(header) ? header[0] : header
      responseBody = await readExcerpt(response.body)
    } catch (error) {
      return outcome({ status_code: null, error: describeRequestError(error, this.#config.timeoutSeconds), response_body: null })
    }
    if (statusCode === 410) {
      this.#logger.warn({ webhook_id: delivery.webhook_id, url: delivery.url }, 'webhook endpoint answered 410 Gone')
    }
    const retryAfterMs = statusCode === 429 || statusCode === 503 ? parseRetryAfterMs(retryAfter, this.#clock.now()) : undefined
    return outcome({ status_code: statusCode, error: null, response_body: responseBody }, { retry_after_ms: retryAfterMs ?? null })
  }

  /** Writes finished attempts in batches: one transaction for every outcome that is ready. */
  async #flushOutcomes(): Promise<void> {
    while (this.#flushing !== null) await this.#flushing
    if (this.#outcomes.length === 0) return
    const batch = this.#outcomes
    this.#outcomes = []
    this.#flushing = (async () => {
      // Yield once so that outcomes finishing in the same turn share the transaction.
      await new Promise((resolve) => setImmediate(resolve))
      batch.push(...this.#outcomes.splice(0))
      try {
        const policy = {
          now: this.#clock.now(),
          retryScheduleSeconds: this.#config.retryScheduleSeconds,
          disableAfterMs: this.#config.disableAfterSeconds * 1000,
        }
        // The last decision for each delivery is the one the store applied.
        const kinds = new Map<string, AttemptOutcomeKind>()
        await this.#queue.recordDeliveryOutcomes(batch, (outcome, webhook) => {
          const decision = decideOutcome(outcome, webhook, policy)
          kinds.set(outcome.delivery_id, decision.delivery.kind)
          return decision
        })
        for (const listener of this.#outcomeListeners) listener([...kinds.values()])
      } catch (error) {
        // The attempts are lost from the log, not the deliveries: their leases run out and
        // they are sent again.
        this.#logger.error({ err: error, count: batch.length }, 'recording delivery outcomes failed')
      }
    })()
    await this.#flushing
    this.#flushing = null
  }
}

async function readExcerpt(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  try {
    for await (const chunk of body) {
      chunks.push(chunk)
      size += chunk.length
      // Leaving the loop early destroys the stream: the rest of a large body is not read.
      if (size >= responseExcerptBytes) break
    }
  } catch {
    // A body cut short (timeout, reset) still leaves its status code as the answer.
  }
  // PostgreSQL text cannot hold NUL: one such body would fail its whole batch of outcomes, and
  // every delivery of the batch would be sent again, and again. Both backends store U+FFFD.
  return Buffer.concat(chunks).subarray(0, responseExcerptBytes).toString('utf8').replaceAll('\u0000', '\uFFFD')
}

function describeRequestError(error: unknown, timeoutSeconds: number): string {
  const targetError = findTargetError(error)
  if (targetError !== undefined) return `refused: ${targetError.message}`
  const name = (error as { name?: string }).name
  const code = (error as { code?: string }).code
  if (
    name === 'TimeoutError' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT'
  ) {
    return `timed out after ${timeoutSeconds} s`
  }
  const cause = (error as { cause?: { code?: string; message?: string } }).cause
  const detail = cause?.code ?? code
  const message = (error as Error).message ?? String(error)
  return detail === undefined ? message : `${message} (${detail})`
}
