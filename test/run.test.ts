// test/run.ts, the runner of `npm test`, on small test files of its own: a PostgreSQL that stops
// during the run ends it at once with the server's log; every test and hook has a timeout; and at
// its deadline or on SIGTERM the run stops with nothing it started left running.

import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath, pathToFileURL } from 'node:url'

import { skipUnlessBackend } from './support/backends.ts'

const root = fileURLToPath(new URL('..', import.meta.url))
const pgUrl = pathToFileURL(createRequire(import.meta.url).resolve('pg')).href
// The fake tests' waits hold a timer, as a real hang holds a socket: with nothing pending, Node
// would end the file's process instead of waiting.

interface Run {
  code: number | null
  output: string
}

function startRun(files: string[], env: Record<string, string>) {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env }
  for (const name of ['TEST_POSTGRES_URL', 'NODE_TEST_CONTEXT']) delete childEnv[name]
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/run.ts', ...files], { cwd: root, env: childEnv })
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  child.stderr.on('data', (chunk) => (output += chunk))
  const done = new Promise<Run>((resolve) => child.on('close', (code) => resolve({ code, output })))
  return { child, done, output: () => output }
}

/** Whether the process is gone (a zombie waiting for its parent counts as gone). */
function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return true
  }
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return true
  }
}

async function waitUntil(condition: () => boolean, what: string): Promise<void> {
  for (let tries = 0; tries < 200; tries += 1) {
    if (condition()) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  assert.fail(`still waiting for ${what}`)
}

describe('test/run.ts', { timeout: 180_000 }, () => {
  let directory: string
  const file = (name: string, source: string) => {
    const path = join(directory, name)
    writeFileSync(path, source)
    return path
  }
  before(() => {
    directory = mkdtempSync(join(tmpdir(), 'seam-events-run-'))
  })
  after(() => rmSync(directory, { recursive: true, force: true }))

  it('ends the run at once, with the log, when PostgreSQL stops during it', { skip: skipUnlessBackend('postgres') }, async () => {
    const stopper = file(
      'stops-postgres.test.mjs',
      `import { it } from 'node:test'
import pg from '${pgUrl}'
it('stops the run\\'s PostgreSQL, then waits for it forever', async () => {
  const client = new pg.Client({ connectionString: process.env.TEST_POSTGRES_URL })
  await client.connect()
  const { rows } = await client.query("SELECT split_part(pg_read_file('postmaster.pid'), E'\\\\n', 1) AS pid")
  await client.end()
  process.kill(Number(rows[0].pid), 'SIGKILL')
  await new Promise(() => setInterval(() => {}, 60_000))
})
`,
    )
    // Nothing else would end this run for ten minutes.
    const run = await startRun([stopper], { TEST_BACKENDS: 'postgres', TEST_TIMEOUT_SECONDS: '600', TEST_DEADLINE_SECONDS: '600' }).done
    assert.equal(run.code, 1, run.output)
    assert.match(run.output, /test\/run\.ts: PostgreSQL stopped during the run \(signal SIGKILL\); stopping the tests/)
    assert.match(run.output, /--- PostgreSQL log[^]*database system is ready to accept connections[^]*--- end of PostgreSQL log ---/)
  })

  it('times every test and hook, with the suite\'s timeout where it has one', async () => {
    const hanging = file(
      'hangs.test.mjs',
      `import { before, describe, it } from 'node:test'
describe('a suite whose before hook hangs', () => {
  before(() => new Promise(() => setInterval(() => {}, 60_000)))
  it('never runs', () => {})
})
describe('a suite with a longer timeout of its own', { timeout: 30_000 }, () => {
  it('takes longer than the default', () => new Promise((resolve) => setTimeout(resolve, 1_500)))
})
it('a test that hangs', () => new Promise(() => setInterval(() => {}, 60_000)))
`,
    )
    const run = await startRun([hanging], { TEST_BACKENDS: 'sqlite', TEST_TIMEOUT_SECONDS: '1' }).done
    assert.equal(run.code, 1, run.output)
    assert.match(run.output, /^# pass 1$/m, run.output)
    assert.match(run.output, /^ok \d+ - a suite with a longer timeout of its own$/m)
    assert.match(run.output, /^not ok \d+ - a suite whose before hook hangs\n[^]*?failureType: 'hookFailed'[^]*?timed out after 1000ms/m)
    assert.match(run.output, /^not ok \d+ - a test that hangs\n[^]*?location: '[^']*hangs\.test\.mjs:[^]*?timed out after 1000ms/m)
  })

  for (const [how, env, stop, expected] of [
    ['at its deadline', { TEST_DEADLINE_SECONDS: '3' }, undefined, /the run passed its deadline of 3 s/],
    ['on SIGTERM', {}, 'SIGTERM', /stopped by SIGTERM/],
  ] as const) {
    it(`stops ${how}, leaving nothing the tests started`, async () => {
      const pidFile = join(directory, `pid-${stop ?? 'deadline'}`)
      const starter = file(
        `starts-a-process-${stop ?? 'deadline'}.test.mjs`,
        `import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { it } from 'node:test'
it('starts a process and waits forever', async () => {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 600_000)'])
  writeFileSync(${JSON.stringify(pidFile)}, String(child.pid))
  await new Promise(() => setInterval(() => {}, 60_000))
})
`,
      )
      const run = startRun([starter], { TEST_BACKENDS: 'sqlite', TEST_TIMEOUT_SECONDS: '600', ...env })
      let pid = 0
      await waitUntil(() => {
        try {
          pid = Number(readFileSync(pidFile, 'utf8'))
        } catch {}
        return pid > 0
      }, 'the test to start its process')
      if (stop !== undefined) run.child.kill(stop)
      const { code, output } = await run.done
      assert.equal(code, stop === undefined ? 1 : 128 + 15, output)
      assert.match(output, expected)
      await waitUntil(() => isGone(pid), `process ${pid} to be gone`)
    })
  }
})
