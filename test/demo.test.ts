// `seam-events demo` as a new user runs it: one process that serves a fresh database with a
// week of a fleet's history and live events, and prints the console's URL and a key. On SQLite
// with the default (a new file in a temporary folder) and on a new PostgreSQL database.

import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import { dirname } from 'node:path'
import { after, describe, it } from 'node:test'

import { skipUnlessBackend } from './support/backends.ts'
import { startCommand, type RunningCommand } from './support/cli-process.ts'
import { collectStdout } from './support/command-output.ts'
import { listEveryEvent } from './support/event-pages.ts'
import { rawRequest } from './support/http.ts'
import { createTestDatabase } from './support/postgres.ts'

const dayMs = 24 * 60 * 60 * 1000

function demoSuite(backend: 'sqlite' | 'postgres', skip: false | string): void {
  describe(`seam-events demo (${backend})`, { skip, timeout: 180_000 }, () => {
    const running: RunningCommand[] = []
    const databases: { drop(): Promise<void> }[] = []
    const folders: string[] = []
    after(async () => {
      for (const command of running) command.process.kill('SIGKILL')
      for (const database of databases) await database.drop()
      for (const folder of folders) rmSync(folder, { recursive: true, force: true })
    })

    it('serves a week of history and live events, and prints the console URL and a key', async () => {
      const database = backend === 'postgres' ? await createTestDatabase() : undefined
      if (database !== undefined) databases.push(database)
      const startedAt = Date.now()
      const demo = startCommand([
        'demo', '--port', '0', '--events', '2000', '--rate', '20', '--seed', '5', '--json',
        ...(database === undefined ? [] : ['--database', database.url]),
      ])
      running.push(demo)
      const [line] = await collectStdout(demo).lines(1, 120_000)
      const ready = JSON.parse(line as string)
      const readyAt = new Date().toISOString()
      if (database === undefined) folders.push(dirname(String(ready.database).replace(/^sqlite:/, '')))
      assert.equal(ready.console_url, `${ready.endpoint}/console`)
      assert.match(ready.api_key, /^seam_/)
      assert.equal(ready.history_events, 2000)
      if (database === undefined) assert.match(ready.database, /^sqlite:.*seam-events-demo-.*events\.db$/)

      const consolePage = await rawRequest(ready.console_url)
      assert.equal(consolePage.status, 200)
      assert.match(consolePage.text, /<html/i)
      const target = { endpoint: ready.endpoint, apiKey: ready.api_key }
      const { events } = await listEveryEvent(target)
      const createdAt = events.map((text) => Date.parse(JSON.parse(text).created_at))
      assert.ok(Math.min(...createdAt) < startedAt - 6 * dayMs, 'a week of history')
      // The fleet goes on live: events published after the history (whose newest is before the demo was ready).
      for (;;) {
        const live = await rawRequest(`${ready.endpoint}/events/list?since=${readyAt}`, { apiKey: ready.api_key })
        if (live.json.events.length > 0) break
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
      demo.process.kill('SIGINT')
      assert.equal(await demo.exited, 0, demo.output())
      assert.match(demo.output(), /The database is kept: seam-events serve --database/)
    })
  })
}

demoSuite('sqlite', skipUnlessBackend('sqlite'))
demoSuite('postgres', skipUnlessBackend('postgres'))
