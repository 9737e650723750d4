// A clock that moves only when the test says so: what a worker, the stream hub or the retention
// job waits for on it happens when the test advances past it, not after a real wait.

import type { Clock, ClockTimer } from '../../src/clock.ts'

interface Pending {
  at: number
  order: number
  callback: () => void
}

export class ManualClock implements Clock {
  #now: number
  #order = 0
  readonly #pending = new Set<Pending>()

  constructor(start: number | string = Date.now()) {
    this.#now = typeof start === 'string' ? Date.parse(start) : start
  }

  now(): number {
    return this.#now
  }

  setTimeout(callback: () => void, ms: number): ClockTimer {
    const pending: Pending = { at: this.#now + Math.max(0, ms), order: this.#order++, callback }
    this.#pending.add(pending)
    const handle: ClockTimer = { cancel: () => void this.#pending.delete(pending), unref: () => handle }
    return handle
  }

  /**
   * Moves time forward by `ms` in one step, then fires every timer due by then, oldest first, with
   * a turn of the event loop after each so that what it starts can run. A timer a callback sets
   * again lands after the new time: a poll every 250 ms runs once over a jump of hours, not
   * thousands of times, which is all a poll is for.
   */
  async advance(ms: number): Promise<void> {
    this.#now += Math.max(0, ms)
    for (;;) {
      const next = [...this.#pending]
        .filter((pending) => pending.at <= this.#now)
        .sort((a, b) => a.at - b.at || a.order - b.order)[0]
      if (next === undefined) return
      this.#pending.delete(next)
      next.callback()
      await new Promise((resolve) => setImmediate(resolve))
    }
  }
}
