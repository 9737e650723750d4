// `serve` stops on SIGTERM even when whoever read its stdout and stderr has gone away: its last
// log lines then meet a broken pipe (EPIPE). pino's asynchronous stdout stream used to hold
// them and retry them every 100 ms, forever, as the process exited.
// Single backend (sqlite): a `serve` process on a database file; the store plays no part.

import assert from 'node:assert/strict'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { skipUnlessBackend } from './support/backends.ts'
import { startServe } from './support/cli-process.ts'

describe('serve shutdown', { timeout: 60_000, skip: skipUnlessBackend('sqlite') }, () => {
  let directory: string

  before(() => {
    directory = mkdtempSync(join(tmpdir(), 'seam-events-shutdown-'))
  })
  after(() => rmSync(directory, { recursive: true, force: true }))

  it('exits on SIGTERM after the reader of its output has gone', async () => {
    const server = await startServe(['--database', join(directory, 'events.db')])
    const { stdout, stderr } = server.process
    // Close our ends of its stdout and stderr, as a parent that exits does. The server logs
    // nothing until the signal, so the shutdown's own lines are the first to meet EPIPE.
    stdout.destroy()
    stderr.destroy()
    await Promise.all([once(stdout, 'close'), once(stderr, 'close')])

    server.process.kill('SIGTERM')
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<'still running'>((resolve) => {
      timer = setTimeout(() => resolve('still running'), 5000)
    })
    const outcome = await Promise.race([server.exited, deadline])
    clearTimeout(timer)
    if (outcome === 'still running') server.process.kill('SIGKILL')
    assert.equal(outcome, 0, 'serve exits 0 within 5 s of SIGTERM')
  })
})
