// A timeout for every test and hook that has none, so that nothing can wait forever. test/run.ts
// loads this into each test process (`--import`) before the test file.
//
// Node 20 has no setting for it: `--test-timeout` bounds each test file as a whole (measured on
// 20.20: the file is cancelled as one, its tests are not timed), and a hook has no timeout
// unless it is given one, even inside a suite that has one. So this wraps node:test's functions
// and updates the bindings test files import (module.syncBuiltinESMExports). A test inside a
// suite that sets a timeout inherits the suite's, as Node does; a hook gets the suite's too.
// Drop this file once the tests run on a Node.js whose --test-timeout times each test.

import { createRequire, syncBuiltinESMExports } from 'node:module'
import { compileFunction } from 'node:vm'

const defaultTimeoutMs = Number(process.env['TEST_TIMEOUT_SECONDS'] ?? 120) * 1000

const require = createRequire(import.meta.url)
const nodeTest = require('node:test') as Record<string, unknown>

type Options = { timeout?: number } & Record<string, unknown>
const isOptions = (value: unknown): value is Options => typeof value === 'object' && value !== null

/** The timeouts set by the suites being declared, innermost last (suite bodies run synchronously). */
const suiteTimeouts: number[] = []
const enclosingTimeout = () => suiteTimeouts.at(-1)

/**
 * Node records where each test and hook was declared from the frame that called it, which would
 * be the wrappers below, so they make the call through a function compiled under the name of the
 * file that called them: reports keep naming the test file (where tsx leaves the line at 1).
 */
const relays = new Map<string, (target: Function, self: unknown, args: unknown[]) => unknown>()
function callFromCaller(wrapper: Function, target: Function, self: unknown, args: unknown[]): unknown {
  const file = callerFile(wrapper)
  if (file === undefined) return target.apply(self, args)
  let relay = relays.get(file)
  if (relay === undefined) {
    relay = compileFunction('return target.apply(self, args)', ['target', 'self', 'args'], { filename: file }) as never
    relays.set(file, relay!)
  }
  return relay!(target, self, args)
}

function callerFile(wrapper: Function): string | undefined {
  const prepare = Error.prepareStackTrace
  try {
    Error.prepareStackTrace = (_, sites) => sites
    const holder: { stack?: NodeJS.CallSite[] } = {}
    Error.captureStackTrace(holder, wrapper)
    // describeEachBackend declares its suites for the file that called it.
    return holder.stack?.map((site) => site.getFileName()).find((name) => !name?.endsWith('/test/support/backends.ts')) ?? undefined
  } finally {
    Error.prepareStackTrace = prepare
  }
}

/** test(name?, options?, fn?) with `timeout` in its options unless it has one. */
function withTimeout(args: unknown[], timeout: number): unknown[] {
  const [first, second, third] = args
  if (typeof first === 'function') return [{ timeout }, first]
  if (isOptions(first)) return [{ timeout, ...first }, second]
  if (isOptions(second)) return [first, { timeout, ...second }, third]
  return [first, { timeout }, ...args.slice(1)]
}

function optionsOf(args: unknown[]): Options | undefined {
  return args.slice(0, 2).find(isOptions)
}

function wrapTest(name: 'test' | 'it') {
  const original = nodeTest[name] as (...args: unknown[]) => unknown
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    // Inside a suite with its own timeout, Node gives the test that one.
    const given = enclosingTimeout() !== undefined || optionsOf(args)?.timeout !== undefined
    return callFromCaller(wrapped, original, this, given ? args : withTimeout(args, defaultTimeoutMs))
  }
  Object.assign(wrapped, original) // .skip, .todo, .only
  nodeTest[name] = wrapped
}

function wrapSuite(name: 'describe' | 'suite') {
  const original = nodeTest[name] as ((...args: unknown[]) => unknown) | undefined
  if (original === undefined) return
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    const timeout = optionsOf(args)?.timeout ?? enclosingTimeout()
    const bodyAt = args.findIndex((arg) => typeof arg === 'function')
    if (timeout === undefined || bodyAt === -1) return callFromCaller(wrapped, original, this, args)
    const body = args[bodyAt] as (...bodyArgs: unknown[]) => unknown
    const copy = [...args]
    copy[bodyAt] = function (this: unknown, ...bodyArgs: unknown[]) {
      suiteTimeouts.push(timeout)
      try {
        return body.apply(this, bodyArgs)
      } finally {
        suiteTimeouts.pop()
      }
    }
    return callFromCaller(wrapped, original, this, copy)
  }
  Object.assign(wrapped, original)
  nodeTest[name] = wrapped
}

function wrapHook(name: 'before' | 'after' | 'beforeEach' | 'afterEach') {
  const original = nodeTest[name] as (fn: unknown, options?: Options) => unknown
  const wrapped = (fn: unknown, options?: Options): unknown =>
    callFromCaller(wrapped, original, undefined, [fn, { timeout: enclosingTimeout() ?? defaultTimeoutMs, ...options }])
  nodeTest[name] = wrapped
}

wrapTest('test')
wrapTest('it')
wrapSuite('describe')
wrapSuite('suite')
for (const hook of ['before', 'after', 'beforeEach', 'afterEach'] as const) wrapHook(hook)
syncBuiltinESMExports()
