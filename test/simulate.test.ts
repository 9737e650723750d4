// `seam-events simulate` as a developer runs it: a real process publishing to a real server, read
// back through Seam's SDK. Runs on every backend of the run.

import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, it } from 'node:test'

import { takeFleetEvents } from '../src/domain/fleet/fleet-events.ts'
import { createFleet } from '../src/domain/fleet/fleet.ts'
import { describeEachBackend } from './support/backends.ts'
import { cli, startCommand, type RunningCommand } from './support/cli-process.ts'
import { waitForOutput } from './support/command-output.ts'
import { newestSeamSdks, seamClient } from './support/seam-sdks.ts'
import { startTestServer, type TestServer, type TestWorkspace } from './support/test-server.ts'
import { freePort } from './support/webhook-receiver.ts'

const serverSetFields = ['event_id', 'workspace_id', 'created_at', 'occurred_at', 'event_description']

/** What the fleet chose of an event: everything but what the server and the command set. */
function chosenFields(event: Record<string, unknown>): string {
  const fields = { ...event }
  for (const field of serverSetFields) delete fields[field]
  return JSON.stringify(Object.fromEntries(Object.entries(fields).sort(([a], [b]) => a.localeCompare(b))))
}

async function listAll(server: { endpoint: string }, workspace: TestWorkspace): Promise<Record<string, unknown>[]> {
  const [sdk] = newestSeamSdks
  return await seamClient(sdk!, server.endpoint, workspace.apiKey).events.list({ since: new Date(0).toISOString(), limit: 10_000 })
}

/** A proxy that answers the first `failures` publishes 503 itself, then passes everything on. */
async function startFailingProxy(target: string, failures: number): Promise<{ endpoint: string; refused: () => number; close(): Promise<void> }> {
  let refused = 0
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      if (request.url === '/events/publish' && refused < failures) {
        refused += 1
        response.writeHead(503, { 'content-type': 'application/json' })
        response.end(JSON.stringify({ error: { type: 'service_unavailable', message: 'down for a moment' }, ok: false }))
        return
      }
      void fetch(`${target}${request.url}`, {
        method: request.method ?? 'GET',
        headers: {
          authorization: request.headers.authorization ?? '',
          'content-type': request.headers['content-type'] ?? 'application/json',
        },
        body: chunks.length === 0 ? null : Buffer.concat(chunks),
      }).then(async (answer) => {
        response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' })
        response.end(Buffer.from(await answer.arrayBuffer()))
      })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    refused: () => refused,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

describeEachBackend('seam-events simulate', { timeout: 180_000 }, (backend) => {
  let server: TestServer
  const running: RunningCommand[] = []
  const env = (workspace: TestWorkspace, endpoint = server.endpoint) => ({ SEAM_ENDPOINT: endpoint, SEAM_API_KEY: workspace.apiKey })

  before(async () => {
    server = await startTestServer({ backend, worker: false })
  })
  after(async () => {
    for (const command of running) command.process.kill('SIGKILL')
    await server.close()
  })

  it('publishes the fleet of its seed at its rate for its duration, every event stored, the same again for the same seed', async () => {
    const first = await server.createWorkspace('simulated 1')
    const second = await server.createWorkspace('simulated 2')
    const args = ['simulate', '--devices', '12', '--rate', '100', '--duration', '2', '--seed', '9']
    const { stdout, stderr } = await cli([...args, '--json'], env(first))
    const summary = JSON.parse(stdout)
    assert.equal(summary.published, 200)
    assert.equal(summary.seed, 9)
    assert.equal(summary.devices, 12)
    assert.equal(Object.values(summary.families as Record<string, number>).reduce((a, b) => a + b, 0), 200)
    assert.match(stderr, /seam-events simulate: a fleet of 12 devices \(seed 9\) publishing 100 events\/s to .* for 2 s/)
    // The progress bar's last state, printed when it stops (stderr is not a terminal here).
    assert.match(stderr, /200\/200 events/)

    const stored = await listAll(server, first)
    assert.equal(stored.length, 200)
    const expected = takeFleetEvents(createFleet({ seed: 9, devices: 12 }), { start: 0, intervalMs: 10 }, 200)
    assert.deepEqual(stored.map(chosenFields).sort(), expected.map(({ event }) => chosenFields(event)).sort())
    // occurred_at is when the event happened in the simulation: at most the time it was stored.
    for (const event of stored) assert.ok((event['occurred_at'] as string) <= (event['created_at'] as string))

    const { stdout: again } = await cli(args, env(second))
    assert.match(again, /^Published 200 events in [\d.]+ s \(seed 9, 12 devices; again with --seed 9\)\.\n  lock \d+/)
    assert.deepEqual((await listAll(server, second)).map(chosenFields).sort(), stored.map(chosenFields).sort())
  })

  it('runs until SIGINT, then exits 0, and what it says it published is what is stored', async () => {
    const workspace = await server.createWorkspace('simulated until stopped')
    const command = startCommand(['simulate', '--rate', '40', '--json'], env(workspace))
    running.push(command)
    await waitForOutput(command, /Ctrl-C to stop/)
    // Stop once some events are in: the summary must count the batch in flight, no more, no less.
    for (let tries = 0; (await listAll(server, workspace)).length < 10 && tries < 200; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    command.process.kill('SIGINT')
    assert.equal(await command.exited, 0, command.output())
    const summary = JSON.parse(command.output().split('\n').find((line) => line.startsWith('{"seed"')) ?? '{}')
    assert.ok(summary.published >= 10)
    assert.equal((await listAll(server, workspace)).length, summary.published)
  })

  it("waits out the server's rate limit as its retry-after says, and stores each event once", async () => {
    const limited = await startTestServer({ backend, worker: false, env: { RATE_LIMIT_PER_SECOND: '2', RATE_LIMIT_BURST: '1' } })
    try {
      const { stdout, stderr } = await cli(['simulate', '--rate', '100', '--duration', '1.5', '--seed', '3', '--json'], env(limited, limited.endpoint))
      const summary = JSON.parse(stdout)
      assert.equal(summary.published, 150)
      assert.ok(summary.rate_limited > 0, stderr)
      assert.match(stderr, /rate limited \(429\); waiting 1 s as the server asks/)
      // Waiting for the limit to refill before reading, so the read is not the one limited.
      await new Promise((resolve) => setTimeout(resolve, 1100))
      const stored = await listAll(limited, limited)
      assert.equal(stored.length, 150)
      assert.equal(new Set(stored.map((event) => event['event_id'])).size, 150)
    } finally {
      await limited.close()
    }
  })

  it('retries a publish the server failed (5xx), with backoff, and stores each event once', async () => {
    const workspace = await server.createWorkspace('simulated through an outage')
    const proxy = await startFailingProxy(server.endpoint, 2)
    try {
      const { stdout, stderr } = await cli(['simulate', '--rate', '20', '--duration', '1', '--seed', '4', '--json'], env(workspace, proxy.endpoint))
      const summary = JSON.parse(stdout)
      assert.equal(proxy.refused(), 2)
      assert.equal(summary.retried, 2)
      assert.equal(summary.published, 20)
      assert.match(stderr, /503 service_unavailable: down for a moment; trying again in 0.5 s \(try 2 of 10\)/)
      assert.match(stderr, /trying again in 1 s \(try 3 of 10\)/)
      assert.equal((await listAll(server, workspace)).length, 20)
    } finally {
      await proxy.close()
    }
  })

  it('refuses, in one line, a key that cannot publish, a server that is not there, no key, and bad flags', async () => {
    const { apiKey: readKey } = await server.createKey(server.workspaceId, 'read')
    const failsWith = async (args: string[], variables: Record<string, string>, pattern: RegExp) => {
      await assert.rejects(cli(['simulate', '--duration', '1', ...args], variables), (error: any) => {
        assert.equal(error.code, 1)
        assert.match(error.stderr, pattern)
        assert.doesNotMatch(error.stderr, /\bat .+:\d+/)
        return true
      })
    }
    await failsWith([], { SEAM_ENDPOINT: server.endpoint, SEAM_API_KEY: readKey }, /403 forbidden: This API key's scope is "read"/)
    await failsWith([], { SEAM_ENDPOINT: `http://127.0.0.1:${await freePort()}`, SEAM_API_KEY: readKey }, /cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/)
    await failsWith([], { SEAM_ENDPOINT: server.endpoint, SEAM_API_KEY: '' }, /--api-key \/ SEAM_API_KEY: required, a key that can publish/)
    await failsWith(['--rate', '0'], env(server), /--rate must be a number \(above 0, at most 100,000\); got 0/)
    await failsWith(['--devices', '2.5'], env(server), /--devices must be a whole number \(at least 1, at most 100,000\); got 2.5/)
  })
})
