// The `seam-events` command run as an operator runs it: a real child process.

import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { promisify } from 'node:util'

const bin = new URL('../../bin/seam-events.js', import.meta.url).pathname
const run = promisify(execFile)

export interface CommandOptions {
  /** The folder the command runs in; default the test's own. */
  cwd?: string
}

/** Runs one command to completion; rejects (with `code`, `stdout`, `stderr`) when it fails. */
export async function cli(args: string[], env: Record<string, string> = {}, options: CommandOptions = {}) {
  return await run(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, ...options })
}

export async function cliJson(args: string[], env: Record<string, string> = {}): Promise<any> {
  const { stdout } = await cli([...args, '--json'], env)
  return JSON.parse(stdout)
}

export interface RunningCommand {
  process: ChildProcessWithoutNullStreams
  /** Everything printed so far, stdout and stderr together. */
  output: () => string
  exited: Promise<number | null>
  /** Resolves once a printed log line satisfies `predicate`, with that line parsed. */
  waitForLog(predicate: (line: Record<string, any>) => boolean, deadlineMs?: number): Promise<Record<string, any>>
}

/** Starts a long-running command (`serve`, `worker`) in the background. */
export function startCommand(
  args: string[],
  env: Record<string, string> = {},
  options: CommandOptions = {},
): RunningCommand {
  const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, ...options })
  let output = ''
  const listeners = new Set<() => void>()
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const collect = (chunk: Buffer) => {
    output += chunk.toString()
    for (const listener of [...listeners]) listener()
  }
  child.stdout.on('data', collect)
  child.stderr.on('data', collect)
  const logLines = () =>
    output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => {
        try {
          return JSON.parse(line) as Record<string, any>
        } catch {
          return {}
        }
      })
  return {
    process: child,
    output: () => output,
    exited,
    waitForLog(predicate, deadlineMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const line = logLines().find(predicate)
          if (line === undefined) return
          listeners.delete(check)
          clearTimeout(timer)
          resolve(line)
        }
        const timer = setTimeout(() => {
          listeners.delete(check)
          reject(new Error(`no such log line within ${deadlineMs} ms; output:\n${output}`))
        }, deadlineMs)
        void exited.then((code) => {
          if (!listeners.has(check)) return
          listeners.delete(check)
          clearTimeout(timer)
          reject(new Error(`${args[0]} exited with ${code}: ${output}`))
        })
        listeners.add(check)
        check()
      })
    },
  }
}

export interface RunningServer extends RunningCommand {
  endpoint: string
}

/** Starts `seam-events serve` on a free loopback port and waits for its "ready" log line. */
export async function startServe(args: string[], env: Record<string, string> = {}): Promise<RunningServer> {
  const command = startCommand(['serve', '--port', '0', '--host', '127.0.0.1', ...args], env)
  const ready = await command.waitForLog((line) => line['msg'] === 'ready')
  return { ...command, endpoint: ready['endpoint'] }
}
