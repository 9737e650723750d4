// Stopping always ends: after SIGTERM, `serve` and `worker` finish in-flight work within
// SHUTDOWN_TIMEOUT_SECONDS, then close what is left and exit; a second signal exits at once.
// What was in flight is not lost: a delivery cut off is still pending for the next worker.
// Single backend (sqlite): how the processes stop does not depend on where they store.

import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { openStore } from '../src/store/open-store.ts'
import { createApiKey } from '../src/domain/workspace-admin.ts'
import { skipUnlessBackend } from './support/backends.ts'
import { startCommand, startServe, type RunningServer } from './support/cli-process.ts'
import { publish } from './support/http.ts'

/**
 * Opens a request whose body never arrives in full: the server holds it as in flight. Resolves
 * once the server has its headers (it answers `expect: 100-continue` then), so that it is
 * surely in flight, not an idle connection, when the test signals.
 */
async function holdRequestOpen(endpoint: string): Promise<net.Socket> {
  const socket = net.connect(Number(new URL(endpoint).port), '127.0.0.1')
  socket.on('error', () => {})
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
  const received = new Promise<void>((resolve) => {
    let text = ''
    const check = (chunk: Buffer) => {
      text += chunk.toString('latin1')
      if (!text.includes('100 Continue')) return
      socket.off('data', check)
      resolve()
    }
    socket.on('data', check)
  })
  socket.write(
    'POST /events/publish HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n' +
      'content-length: 100\r\nexpect: 100-continue\r\n\r\n',
  )
  await received
  socket.write('{')
  return socket
}

describe('serve stops within SHUTDOWN_TIMEOUT_SECONDS', { timeout: 90_000, skip: skipUnlessBackend('sqlite') }, () => {
  let directory: string
  before(() => {
    directory = mkdtempSync(join(tmpdir(), 'seam-events-shutdown-'))
  })
  after(() => rmSync(directory, { recursive: true, force: true }))

  const start = (name: string, shutdownSeconds: string): Promise<RunningServer> =>
    startServe(['--database', join(directory, `${name}.db`)], {
      SHUTDOWN_TIMEOUT_SECONDS: shutdownSeconds,
      REQUEST_TIMEOUT_SECONDS: '600',
    })

  it('exits 0 at once when nothing is in flight', async () => {
    const server = await start('idle', '30')
    server.process.kill('SIGTERM')
    assert.equal(await server.exited, 0)
    await server.waitForLog((line) => line['msg'] === 'stopped')
  })

  it('closes what is left when a request is still in flight at the timeout, and exits 1', async () => {
    const server = await start('in-flight', '1')
    const token = /SEAM_API_KEY=(\S+)/.exec(server.output())?.[1] ?? ''
    const [acknowledged] = await publish(server.endpoint, token, [
      { event_type: 'lock.unlocked', device_id: randomUUID(), connected_account_id: randomUUID(), method: 'keycode' },
    ])
    const socket = await holdRequestOpen(server.endpoint)
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
    server.process.kill('SIGTERM')
    assert.equal(await server.exited, 1)
    await closed
    assert.ok(server.output().includes('shutdown did not finish within 1 s (SHUTDOWN_TIMEOUT_SECONDS): closing what is left'))

    // What was acknowledged before is there after a restart.
    const again = await start('in-flight', '30')
    try {
      const response = await fetch(`${again.endpoint}/events/get?event_id=${acknowledged?.event_id}`, {
        headers: { authorization: `Bearer ${token}` },
      })
      assert.equal(response.status, 200)
    } finally {
      again.process.kill('SIGTERM')
      await again.exited
    }
  })

  it('exits at once on a second signal', async () => {
    const server = await start('second-signal', '600')
    const socket = await holdRequestOpen(server.endpoint)
    server.process.kill('SIGTERM')
    await server.waitForLog((line) => String(line['msg']).startsWith('shutting down'))
    server.process.kill('SIGINT')
    assert.equal(await server.exited, 1)
    await server.waitForLog((line) => line['msg'] === 'second signal: exiting at once')
    socket.destroy()
  })
})

describe('worker stops within SHUTDOWN_TIMEOUT_SECONDS', { timeout: 90_000, skip: skipUnlessBackend('sqlite') }, () => {
  it('leaves a delivery whose receiver never answers pending, and exits 1', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'seam-events-worker-shutdown-'))
    const database = join(directory, 'events.db')
    // A receiver that takes the request and never answers.
    const connections: net.Socket[] = []
    const receiver = net.createServer((socket) => void connections.push(socket))
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()))
    const receiverUrl = `http://127.0.0.1:${(receiver.address() as net.AddressInfo).port}/hook`
    const requestArrived = new Promise<void>((resolve) => receiver.once('connection', () => resolve()))

    // Set up through a server without a worker, as an operator would before starting one.
    const setup = await startServe(['--database', database, '--no-worker'], { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' })
    const token = /SEAM_API_KEY=(\S+)/.exec(setup.output())?.[1] ?? ''
    const created = await fetch(`${setup.endpoint}/webhooks/create`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: receiverUrl }),
    })
    assert.equal(created.status, 200)
    const [event] = await publish(setup.endpoint, token, [
      { event_type: 'lock.unlocked', device_id: randomUUID(), connected_account_id: randomUUID(), method: 'keycode' },
    ])
    setup.process.kill('SIGTERM')
    assert.equal(await setup.exited, 0)

    const worker = startCommand(['worker', '--database', database], {
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
      WEBHOOK_TIMEOUT_SECONDS: '300',
      WEBHOOK_LEASE_SECONDS: '400',
      SHUTDOWN_TIMEOUT_SECONDS: '1',
    })
    try {
      await requestArrived
      worker.process.kill('SIGTERM')
      assert.equal(await worker.exited, 1)
      assert.ok(worker.output().includes('shutdown did not finish within 1 s (SHUTDOWN_TIMEOUT_SECONDS)'))

      const store = await openStore(database, { createIfMissing: false })
      try {
        const [workspace] = await store.workspaces.listWorkspaces()
        const { deliveries } = await store.webhooks.listDeliveries(workspace!.workspace_id, { limit: 10 })
        assert.deepEqual(
          deliveries.map((delivery) => [delivery.event_id, delivery.status]),
          [[event?.event_id, 'pending']],
          'the cut-off delivery is still due, for the next worker',
        )
        // Unused here, but proves the store still takes writes after the forced exit.
        await createApiKey(store.workspaces, workspace!.workspace_id, { name: 'after', scope: 'read' })
      } finally {
        await store.close()
      }
    } finally {
      worker.process.kill('SIGKILL')
      for (const socket of connections) socket.destroy()
      receiver.close()
      rmSync(directory, { recursive: true, force: true })
    }
  })
})
