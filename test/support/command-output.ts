// Waiting on what a running command (test/support/cli-process.ts) prints.

import type { RunningCommand } from './cli-process.ts'

/** Resolves once stdout and stderr together match `pattern`; rejects after `deadlineMs` or on exit. */
export function waitForOutput(command: RunningCommand, pattern: RegExp, deadlineMs = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error): void => {
      clearTimeout(timer)
      command.process.stdout.off('data', check)
      command.process.stderr.off('data', check)
      if (error === undefined) resolve()
      else reject(error)
    }
    const check = (): void => {
      if (pattern.test(command.output())) done()
    }
    const timer = setTimeout(() => done(new Error(`no ${pattern} in output:\n${command.output()}`)), deadlineMs)
    command.process.stdout.on('data', check)
    command.process.stderr.on('data', check)
    void command.exited.then(() => {
      if (pattern.test(command.output())) done()
      else done(new Error(`exited before ${pattern}; output:\n${command.output()}`))
    })
    check()
  })
}

/** Collects stdout; `lines(count)` resolves once it has printed that many whole lines. */
export function collectStdout(command: RunningCommand): { lines(count: number, deadlineMs?: number): Promise<string[]>; text(): string } {
  let stdout = ''
  const waiters = new Set<() => void>()
  command.process.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
    for (const waiter of [...waiters]) waiter()
  })
  return {
    text: () => stdout,
    lines: (count, deadlineMs = 20_000) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const lines = stdout.split('\n').slice(0, -1)
          if (lines.length < count) return
          waiters.delete(check)
          clearTimeout(timer)
          resolve(lines.slice(0, count))
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`fewer than ${count} lines; output:\n${command.output()}`))
        }, deadlineMs)
        waiters.add(check)
        void command.exited.then(() => {
          if (!waiters.has(check)) return
          check()
          if (waiters.has(check)) {
            waiters.delete(check)
            clearTimeout(timer)
            reject(new Error(`exited with fewer than ${count} lines; output:\n${command.output()}`))
          }
        })
        check()
      }),
  }
}
