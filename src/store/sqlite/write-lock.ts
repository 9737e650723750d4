// The order of writes on the SQLite writer connection. The writer thread runs its messages one at
// a time, in the order they were sent, so a write of one message (a statement, a procedure, a
// publish) is whole by itself: it only has to be sent after every transaction begun before it has
// ended. A transaction of many messages yields between them, and any write sent meanwhile would
// land inside it; so it begins once every write before it has been sent and every transaction
// before it has ended, and nothing else is sent until it ends.

export class WriteLock {
  /** Settles once the last transaction queued so far has ended. */
  #transactionsEnded: Promise<unknown> = Promise.resolve()

  /** Sends a write of one message: `send` is called once no transaction is open or queued before it. */
  send<T>(send: () => Promise<T>): Promise<T> {
    return this.#transactionsEnded.then(send)
  }

  /** Runs `work` alone: once every write before it has been sent and every transaction before it has ended. */
  run<T>(work: () => T | Promise<T>): Promise<T> {
    const result = this.#transactionsEnded.then(work)
    // The next write waits for this one to end, whether it succeeded or not.
    this.#transactionsEnded = result.catch(() => {})
    return result
  }
}
