// Writing history into a database (`seam-events seed`, `import`, `copy`): batches through the
// store's publish path with the history option (each event keeps its created_at and occurred_at,
// a repeated event_id stores nothing, no webhook delivery is queued), one batch in flight while
// the next is made, so that parsing or generating overlaps the database's work.

import type { EventDraft, EventLog } from '../store/store.ts'

export interface HistoryWriteCounts {
  /** Events newly stored. */
  stored: number
  /** Events whose event_id the workspace already had: nothing was stored for them. */
  already_stored: number
}

/** Writes one batch of one workspace, all or nothing; what it stored. */
export async function writeHistoryBatch(events: EventLog, workspaceId: string, drafts: readonly EventDraft[]): Promise<HistoryWriteCounts> {
  const stored = await events.insertEvents(workspaceId, drafts, { history: true })
  // A batch that repeats an id within itself returns the first one's event for both.
  const fresh = new Set(stored.filter((event) => event.already_stored !== true).map((event) => event.event_id))
  return { stored: fresh.size, already_stored: drafts.length - fresh.size }
}

/**
 * At most one batch written at a time, and the next one made meanwhile: `write` waits for the
 * batch before and then starts its own; a failure is thrown by the next `write` or by `finish`,
 * and no batch after a failed one is started.
 */
export class HistoryWriter {
  #inFlight: Promise<void> = Promise.resolve()
  readonly counts: HistoryWriteCounts = { stored: 0, already_stored: 0 }

  constructor(
    private readonly events: EventLog,
    /** Told after each committed batch. */
    private readonly onBatch: (counts: HistoryWriteCounts, batchSize: number) => void = () => {},
  ) {}

  /** `describeFailure` turns this batch's failure into the error thrown (naming the batch). */
  async write(workspaceId: string, drafts: readonly EventDraft[], describeFailure: (error: unknown) => unknown = (error) => error): Promise<void> {
    await this.#inFlight
    this.#inFlight = writeHistoryBatch(this.events, workspaceId, drafts).then(
      (counts) => {
        this.counts.stored += counts.stored
        this.counts.already_stored += counts.already_stored
        this.onBatch(this.counts, drafts.length)
      },
      (error: unknown) => {
        throw describeFailure(error)
      },
    )
    // Handled by the next write or by finish; not an unhandled rejection meanwhile.
    this.#inFlight.catch(() => {})
  }

  async finish(): Promise<HistoryWriteCounts> {
    await this.#inFlight
    return this.counts
  }

  /** Waits for the batch in flight, whatever its outcome: before the store is closed after a failure. */
  async settle(): Promise<void> {
    await this.#inFlight.catch(() => {})
  }
}
