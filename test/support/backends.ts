// Which backends the tests run on: TEST_BACKENDS, comma-separated (default: every backend), as
// Kysely's tests take their dialects from the environment. A contract suite is declared once with
// describeEachBackend and runs once per chosen backend, in the same process; a suite that only
// means something on one backend is skipped, by name, when that backend is not chosen.

import { describe, type TestOptions } from 'node:test'

export const allBackends = ['sqlite', 'postgres'] as const
export type TestBackend = (typeof allBackends)[number]

/** Reads a TEST_BACKENDS value; unset or empty is every backend. */
export function parseTestBackends(value: string | undefined): TestBackend[] {
  if (value === undefined || value.trim() === '') return [...allBackends]
  const chosen = new Set<TestBackend>()
  for (const name of value.split(',').map((part) => part.trim())) {
    if (!(allBackends as readonly string[]).includes(name)) {
      throw new Error(`TEST_BACKENDS: unknown backend "${name}"; give ${allBackends.join(', ')} or both, comma-separated`)
    }
    chosen.add(name as TestBackend)
  }
  // Always in the same order, whatever order they were given in.
  return allBackends.filter((backend) => chosen.has(backend))
}

if (process.env['TEST_BACKEND'] !== undefined && process.env['TEST_BACKENDS'] === undefined) {
  // The one-backend variable of the old hand-kept PostgreSQL run; ignoring it would quietly run both.
  throw new Error(`TEST_BACKEND is no longer read: set TEST_BACKENDS=${process.env['TEST_BACKEND']} instead`)
}

/** The backends of this run, from TEST_BACKENDS. */
export const testBackends: readonly TestBackend[] = parseTestBackends(process.env['TEST_BACKENDS'])

/**
 * For the few suites that need a server but nothing of its store (static files, generated docs):
 * the first backend of the run, so that they run whichever backends are chosen.
 */
export const anyBackend: TestBackend = testBackends[0]!

/** `{ skip }` for a suite of one backend: skipped, with the reason, when it is not chosen. */
export function skipUnlessBackend(backend: TestBackend): false | string {
  return testBackends.includes(backend) ? false : `TEST_BACKENDS=${testBackends.join(',')} leaves out ${backend}`
}

type SuiteBody = (backend: TestBackend) => void

/**
 * Declares the suite once for each backend of the run, named `name (backend)`; the body gets the
 * backend to start its servers on (`startTestServer({ backend })`).
 */
export function describeEachBackend(name: string, body: SuiteBody): void
export function describeEachBackend(name: string, options: TestOptions, body: SuiteBody): void
export function describeEachBackend(name: string, ...rest: [SuiteBody] | [TestOptions, SuiteBody]): void {
  const [options, body] = rest.length === 1 ? [{}, rest[0]] : rest
  for (const backend of testBackends) {
    describe(`${name} (${backend})`, options, () => body(backend))
  }
}
