// The time the service runs on. Stores, the delivery worker, the stream hub and the retention job
// read it and wait on it through this, never through Date.now or setTimeout directly, so that a
// test can move time (a retry five minutes away, a workspace's 30 days of retention) instead of
// rewriting rows or sleeping.

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number
  /** Calls `callback` once `ms` have passed on this clock; the handle cancels it. */
  setTimeout(callback: () => void, ms: number): ClockTimer
}

export interface ClockTimer {
  cancel(): void
  /** The timer alone does not keep the process running. */
  unref(): ClockTimer
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, ms) {
    const timer = setTimeout(callback, ms)
    const handle: ClockTimer = {
      cancel: () => clearTimeout(timer),
      unref: () => {
        timer.unref()
        return handle
      },
    }
    return handle
  },
}

/** Resolves after `ms` on `clock`, or at once when `signal` aborts. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) return resolve()
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = (): void => {
      timer.cancel()
      resolve()
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** Calls `callback` every `ms` on `clock` until the handle cancels it; never keeps a process alive. */
export function repeat(clock: Clock, ms: number, callback: () => void): ClockTimer {
  let timer: ClockTimer
  let cancelled = false
  const schedule = (): void => {
    timer = clock
      .setTimeout(() => {
        if (cancelled) return
        schedule()
        callback()
      }, ms)
      .unref()
  }
  schedule()
  const handle: ClockTimer = {
    cancel: () => {
      cancelled = true
      timer.cancel()
    },
    unref: () => handle,
  }
  return handle
}
