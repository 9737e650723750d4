// The test suite's own rules, read from the test files: every suite that starts a test server
// runs on every backend of the run (describeEachBackend) unless its file says why it runs on one;
// a suite that needs a PostgreSQL of its own is skipped when the run leaves PostgreSQL out; the
// backend comes from TEST_BACKENDS through test/support/backends.ts only; and npm's scripts list
// no test file, so that a new one cannot be left out of a run.

import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { describe, it } from 'node:test'

import { parseTestBackends } from './support/backends.ts'

const folder = new URL('./', import.meta.url)
const files = readdirSync(folder)
  .filter((name) => name.endsWith('.test.ts') && name !== 'test-suite.test.ts')
  .map((name) => ({ name, source: readFileSync(new URL(name, folder), 'utf8') }))
/** The opt-out: a comment saying which backend and why, e.g. `// Single backend (any): ...`. */
const singleBackend = /^\/\/ Single backend( \((sqlite|postgres|any)\))?: \S/m

describe('the test files', () => {
  it('are found', () => {
    assert.ok(files.length >= 30, `${files.length} files`)
  })

  it('start test servers on every backend, or say why one', () => {
    const unlooped = files
      .filter(({ source }) => source.includes('startTestServer('))
      .filter(({ source }) => !source.includes('describeEachBackend(') && !singleBackend.test(source))
      .map(({ name }) => name)
    assert.deepEqual(unlooped, [], 'declare these suites with describeEachBackend, or add a "// Single backend (...): why" comment')
  })

  it('skip the suites that make PostgreSQL databases of their own when the run leaves PostgreSQL out', () => {
    const unskipped = files
      .filter(({ source }) => source.includes('createTestDatabase('))
      .filter(({ source }) => !source.includes("skipUnlessBackend('postgres')"))
      .map(({ name }) => name)
    assert.deepEqual(unskipped, [], "give these suites { skip: skipUnlessBackend('postgres') }")
  })

  it('take the backends from test/support/backends.ts, not from the environment', () => {
    const reading = files
      .filter(({ source }) => /process\.env(\[['"]|\.)TEST_BACKENDS?\b/.test(source))
      .map(({ name }) => name)
    assert.deepEqual(reading, [])
  })
})

describe("npm's test scripts", () => {
  const { scripts } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    scripts: Record<string, string>
  }

  it('run every file through test/run.ts and name none', () => {
    for (const name of ['test', 'test:sqlite', 'test:postgres']) {
      assert.match(scripts[name] ?? '', /node --import tsx test\/run\.ts$/, name)
    }
    const naming = Object.entries(scripts).filter(([, script]) => /\.test\.ts/.test(script))
    assert.deepEqual(naming, [])
  })
})

describe('TEST_BACKENDS', () => {
  it('is every backend when unset or empty, else the ones named, in one order', () => {
    assert.deepEqual(parseTestBackends(undefined), ['sqlite', 'postgres'])
    assert.deepEqual(parseTestBackends(''), ['sqlite', 'postgres'])
    assert.deepEqual(parseTestBackends('postgres'), ['postgres'])
    assert.deepEqual(parseTestBackends('postgres, sqlite,postgres'), ['sqlite', 'postgres'])
  })

  it('refuses a backend it does not know, naming the ones it does', () => {
    assert.throws(() => parseTestBackends('sqlite,mysql'), /unknown backend "mysql"; give sqlite, postgres or both/)
  })
})
