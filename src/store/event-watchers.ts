import type { EventsPublishedListener } from './store.ts'

/** The in-process side of a store's watchEvents: told by the store after each commit. */
export class EventWatchers {
  readonly #listeners = new Set<EventsPublishedListener>()

  get size(): number {
    return this.#listeners.size
  }

  /** Returns the function that removes it again. */
  add(listener: EventsPublishedListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  notify(workspaceId: string | null): void {
    for (const listener of [...this.#listeners]) {
      // A listener's failure is its own: the commit it hears about has happened regardless.
      try {
        listener(workspaceId)
      } catch {}
    }
  }
}
