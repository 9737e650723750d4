// PostgreSQL's store commits publishes in groups (SQLite's writer thread groups its own, in
// sqlite-thread.ts): each publish waits in a queue for the next commit and is answered with its
// own outcome, since each is stored all-or-nothing in a savepoint.

import type { EventDraft, StoredEvent } from './store.ts'

export interface QueuedWrite {
  workspaceId: string
  drafts: readonly EventDraft[]
  /** InsertEventsOptions.history: the drafts keep their created_at and queue no deliveries. */
  history: boolean
  resolve(stored: StoredEvent[]): void
  reject(error: unknown): void
}

export type WriteOutcome = { stored: StoredEvent[] } | { error: unknown }

/** Answers each publish of a committed group: `outcomes` holds one per write, in order. */
export function settleWrites(writes: readonly QueuedWrite[], outcomes: readonly WriteOutcome[]): void {
  writes.forEach((write, index) => {
    const outcome = outcomes[index] as WriteOutcome
    if ('stored' in outcome) write.resolve(outcome.stored)
    else write.reject(outcome.error)
  })
}
