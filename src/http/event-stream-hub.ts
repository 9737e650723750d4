// The streams one API process holds open, and what wakes them: one watch on the store for the
// whole process (on PostgreSQL, one LISTEN connection), fanned out to the streams of the
// workspace that published.

import type { Logger } from 'pino'

import type { EventStore } from '../store/store.ts'

/** What the hub needs of an open stream. */
export interface OpenStream {
  /** Events of its workspace may have been committed: read on. */
  wake(): void
  /** The server is shutting down: end the response now. */
  end(): void
}

export class EventStreamHub {
  readonly #store: EventStore
  readonly #logger: Logger
  readonly #streamsByWorkspace = new Map<string, Set<OpenStream>>()
  /** Resolves to the function that stops the watch, or undefined when it could not start. */
  #watching: Promise<(() => Promise<void>) | undefined> | undefined

  constructor(store: EventStore, logger: Logger) {
    this.#store = store
    this.#logger = logger
  }

  /**
   * Registers a stream and resolves once wakeups for it are live, so that a caller who reads
   * its start position after this hears of every commit after that read. Returns the function
   * that unregisters it.
   */
  async open(workspaceId: string, stream: OpenStream): Promise<() => void> {
    let streams = this.#streamsByWorkspace.get(workspaceId)
    if (streams === undefined) {
      streams = new Set()
      this.#streamsByWorkspace.set(workspaceId, streams)
    }
    streams.add(stream)
    await this.#watch()
    return () => {
      const current = this.#streamsByWorkspace.get(workspaceId)
      current?.delete(stream)
      if (current?.size === 0) this.#streamsByWorkspace.delete(workspaceId)
    }
  }

  /** Ends every open stream, so that a graceful shutdown is not held up by them. */
  endAll(): void {
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
    this.#watching ??= this.#store
      .watchEvents((workspaceId) => this.#wake(workspaceId))
      .catch((error: unknown) => {
        // Streams still see new events through their own poll; the next stream tries again.
        this.#logger.warn({ err: error }, 'cannot watch for published events; streams fall back to polling')
        this.#watching = undefined
        return undefined
      })
    return this.#watching
  }

  #wake(workspaceId: string | null): void {
    const groups =
      workspaceId === null
        ? [...this.#streamsByWorkspace.values()]
        : [this.#streamsByWorkspace.get(workspaceId) ?? []]
    for (const streams of groups) {
      for (const stream of streams) stream.wake()
    }
  }
}
