// The streams one API process holds open, and what wakes them: one watch on the store for the
// whole process (on PostgreSQL, one LISTEN connection), fanned out to the streams of the
// workspace that published.

import type { Logger } from 'pino'

import { repeat, type Clock, type ClockTimer } from '../clock.ts'
import { SeamApiError } from '../domain/errors.ts'
import type { EventLog, StoredEvent } from '../store/store.ts'

/** What the hub needs of an open stream. */
export interface OpenStream {
  /** Events of its workspace may have been committed: read on. */
  wake(): void
  /** The server is shutting down: end the response now. */
  end(): void
}

export class EventStreamHub {
  readonly #events: EventLog
  readonly #clock: Clock
  readonly #logger: Logger
  readonly #streamsByWorkspace = new Map<string, Set<OpenStream>>()
  /** Resolves to the function that stops the watch, or undefined when it could not start. */
  #watching: Promise<(() => Promise<void>) | undefined> | undefined
  /** Counts each workspace's wakeups: a read begun after wakeup n sees what woke it. */
  #wakeups = new Map<string, number>()
  /** Reads in flight, by sharedReadKey: streams that want the same events share one query. */
  #readsInFlight = new Map<string, Promise<StoredEvent[]>>()

  /** Per workspace with streams: the timer that reads on in case a wakeup was lost. */
  readonly #polls = new Map<string, ClockTimer>()
  readonly #pollMs: number
  /** Set by endAll: the server is closing, and a stream that arrives late must not stay open. */
  #closed = false

  /**
   * `pollMs`: how often the streams of a workspace read on unwoken, in case a notification was
   * lost (a LISTEN connection that dropped; on SQLite, another process's publishes). One timer a
   * workspace rather than one a stream, so that its streams share those reads too.
   */
  constructor(events: EventLog, logger: Logger, pollMs: number, clock: Clock) {
    this.#events = events
    this.#clock = clock
    this.#logger = logger
    this.#pollMs = pollMs
  }

  /**
   * Registers a stream and resolves once wakeups for it are live, so that a caller who reads
   * its start position after this hears of every commit after that read. Returns the function
   * that unregisters it.
   */
  async open(workspaceId: string, stream: OpenStream): Promise<() => void> {
    // A request authenticated while the server began to close would otherwise open a stream
    // nothing ends, and hold the close up until its client left.
    if (this.#closed) throw new SeamApiError('service_unavailable', 'The server is shutting down; reconnect')
    let streams = this.#streamsByWorkspace.get(workspaceId)
    if (streams === undefined) {
      streams = new Set()
      this.#streamsByWorkspace.set(workspaceId, streams)
      this.#polls.set(workspaceId, repeat(this.#clock, this.#pollMs, () => this.#wake(workspaceId)))
    }
    streams.add(stream)
    await this.#watch()
    return () => {
      const current = this.#streamsByWorkspace.get(workspaceId)
      current?.delete(stream)
      if (current?.size === 0) {
        this.#streamsByWorkspace.delete(workspaceId)
        this.#polls.get(workspaceId)?.cancel()
        this.#polls.delete(workspaceId)
        // No stream of it is left to be reading, so its count can start again.
        this.#wakeups.delete(workspaceId)
      }
    }
  }

  /** Streams open now, of every workspace. */
  get openStreams(): number {
    let count = 0
    for (const streams of this.#streamsByWorkspace.values()) count += streams.size
    return count
  }

  /** Ends every open stream, so that a graceful shutdown is not held up by them. */
  endAll(): void {
    this.#closed = true
    for (const streams of this.#streamsByWorkspace.values()) {
      for (const stream of [...streams]) stream.end()
    }
  }

  /** Stops watching the store; after endAll, when the server has closed. */
  async stop(): Promise<void> {
    const watching = this.#watching
    this.#watching = undefined
    const stop = await watching
    await stop?.()
  }

  #watch(): Promise<unknown> {
    if (this.#closed) return Promise.resolve()
    this.#watching ??= this.#events
      .watchEvents((workspaceId) => this.#wake(workspaceId))
      .catch((error: unknown) => {
        // Streams still see new events through the poll; the next stream tries again.
        this.#logger.warn({ err: error }, 'cannot watch for published events; streams fall back to polling')
        this.#watching = undefined
        return undefined
      })
    return this.#watching
  }

  /**
   * Reads what `load` reads, sharing it with every stream that asks for the same `query`
   * (workspace, filters, position) while it is in flight: a thousand streams of one workspace
   * woken by one publish make one query, not a thousand. A read is shared only among streams
   * asking after the same wakeup, so none gets an answer that began before its wakeup and
   * misses the commit that caused it.
   */
  readShared(workspaceId: string, query: string, load: () => Promise<StoredEvent[]>): Promise<StoredEvent[]> {
    const key = `${workspaceId}\n${this.#wakeups.get(workspaceId) ?? 0}\n${query}`
    let read = this.#readsInFlight.get(key)
    if (read === undefined) {
      read = load().finally(() => this.#readsInFlight.delete(key))
      this.#readsInFlight.set(key, read)
    }
    return read
  }

  #wake(workspaceId: string | null): void {
    for (const woken of workspaceId === null ? [...this.#streamsByWorkspace.keys()] : [workspaceId]) {
      this.#wakeups.set(woken, (this.#wakeups.get(woken) ?? 0) + 1)
    }
    const groups =
      workspaceId === null
        ? [...this.#streamsByWorkspace.values()]
        : [this.#streamsByWorkspace.get(workspaceId) ?? []]
    for (const streams of groups) {
      for (const stream of streams) stream.wake()
    }
  }
}
