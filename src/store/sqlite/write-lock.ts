// One write at a time on the SQLite writer connection. Most writes are synchronous and finish
// in one turn of the event loop, but a group commit that fans out many deliveries yields between
// steps inside its transaction, so that requests are answered meanwhile; any other write started
// then would land inside that open transaction. Every write takes its turn here.

export class WriteLock {
  #tail: Promise<unknown> = Promise.resolve()

  /** Runs `work` once every write queued before it has finished. */
  run<T>(work: () => T | Promise<T>): Promise<T> {
    const result = this.#tail.then(work)
    // The next write waits for this one to end, whether it succeeded or not.
    this.#tail = result.catch(() => {})
    return result
  }
}
