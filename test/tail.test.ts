// `seam-events tail` as an operator runs it: a real process following a real server's stream.

import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, it } from 'node:test'

import { describeEvent } from '../src/domain/event-description.ts'
import { describeEachBackend } from './support/backends.ts'
import { cli, startCommand, type RunningCommand } from './support/cli-process.ts'
import { startCuttableProxy } from './support/cuttable-proxy.ts'
import { publish } from './support/http.ts'
import { startTestServer, type TestServer } from './support/test-server.ts'
import { deviceConnected, lockUnlocked } from './support/webhook-api.ts'

const deadlineMs = 15_000

/** Resolves once the command has printed `count` lines on stdout. */
function stdoutLines(command: RunningCommand, count: number): Promise<string[]> {
  let stdout = ''
  command.process.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
  })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fewer than ${count} lines; output:\n${command.output()}`)), deadlineMs)
    const check = () => {
      const lines = stdout.split('\n').slice(0, -1)
      if (lines.length < count) return
      clearTimeout(timer)
      command.process.stdout.off('data', check)
      resolve(lines)
    }
    command.process.stdout.on('data', check)
    void command.exited.then(() => {
      clearTimeout(timer)
      reject(new Error(`tail exited; output:\n${command.output()}`))
    })
  })
}

function waitForOutput(command: RunningCommand, pattern: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${pattern} in output:\n${command.output()}`)), deadlineMs)
    const check = () => {
      if (!pattern.test(command.output())) return
      clearTimeout(timer)
      resolve()
    }
    command.process.stdout.on('data', check)
    command.process.stderr.on('data', check)
    check()
  })
}

describeEachBackend('seam-events tail', { timeout: 60_000 }, (backend) => {
  let server: TestServer
  const running: RunningCommand[] = []
  const tail = (args: string[], env: Record<string, string> = {}) => {
    const command = startCommand(['tail', ...args], { SEAM_ENDPOINT: server.endpoint, SEAM_API_KEY: server.apiKey, ...env })
    running.push(command)
    return command
  }

  before(async () => {
    server = await startTestServer({ backend })
  })
  after(async () => {
    for (const command of running) command.process.kill('SIGKILL')
    await server.close()
  })

  it('prints one readable line per event, only those its filters match, and stops on SIGINT', async () => {
    const deviceId = randomUUID()
    const command = tail(['--event-types', 'lock.unlocked,lock.locked', '--device-id', deviceId])
    await waitForOutput(command, /following /)
    const lines = stdoutLines(command, 1)
    await publish(server.endpoint, server.apiKey, [deviceConnected(deviceId), lockUnlocked(randomUUID())])
    const [event] = await publish(server.endpoint, server.apiKey, [lockUnlocked(deviceId)])
    const [line] = await lines
    assert.equal(
      line,
      [event!.created_at, 'lock.unlocked', `device_id=${deviceId}`, `connected_account_id=${event!.connected_account_id}`, describeEvent(event!)].join('  '),
    )
    command.process.kill('SIGINT')
    assert.equal(await command.exited, 0)
  })

  it('--json prints each event as the API returns it; --since replays first', async () => {
    const deviceId = randomUUID()
    const since = new Date(Date.now() - 1000).toISOString()
    const earlier = await publish(server.endpoint, server.apiKey, [lockUnlocked(deviceId), deviceConnected(deviceId)])
    const command = tail(['--json', '--device-id', deviceId, '--since', since])
    const lines = stdoutLines(command, 3)
    await waitForOutput(command, /following /)
    const live = await publish(server.endpoint, server.apiKey, [lockUnlocked(deviceId)])
    assert.deepEqual((await lines).map((text) => JSON.parse(text)), [...earlier, ...live])
    command.process.kill('SIGTERM')
    assert.equal(await command.exited, 0)
  })

  it('reconnects after a dropped connection with nothing missed or repeated', async () => {
    const proxy = await startCuttableProxy(server.endpoint)
    try {
      const deviceId = randomUUID()
      const command = tail(['--json', '--device-id', deviceId], { SEAM_ENDPOINT: proxy.endpoint })
      await waitForOutput(command, /following /)
      const lines = stdoutLines(command, 4)
      const firstLine = stdoutLines(command, 1)
      const first = await publish(server.endpoint, server.apiKey, [lockUnlocked(deviceId)])
      await firstLine
      proxy.cut()
      const whileCut = await publish(server.endpoint, server.apiKey, [lockUnlocked(deviceId), lockUnlocked(deviceId)])
      await waitForOutput(command, /connection lost|ended the stream/)
      const live = await publish(server.endpoint, server.apiKey, [lockUnlocked(deviceId)])
      const printed = (await lines).map((text) => JSON.parse(text).event_id)
      assert.deepEqual(printed, [...first, ...whileCut, ...live].map((event) => event.event_id))
      command.process.kill('SIGINT')
      assert.equal(await command.exited, 0)
    } finally {
      await proxy.close()
    }
  })

  it('fails clearly without a key, with a refused key, and with a bad filter', async () => {
    await assert.rejects(cli(['tail', '--endpoint', server.endpoint], { SEAM_API_KEY: '' }), (error: any) => {
      assert.equal(error.code, 1)
      assert.match(error.stderr, /SEAM_API_KEY/)
      return true
    })
    await assert.rejects(cli(['tail', '--endpoint', server.endpoint, '--api-key', 'seam_nope']), (error: any) => {
      assert.equal(error.code, 1)
      assert.match(error.stderr, /401 unauthorized: Invalid API key/)
      assert.doesNotMatch(error.stderr, /\bat .+:\d+/)
      return true
    })
    // Malformed: a well-formed type the server does not know is a valid filter (it matches nothing).
    await assert.rejects(
      cli(['tail', '--endpoint', server.endpoint, '--api-key', server.apiKey, '--event-type', 'lock']),
      (error: any) => {
        assert.equal(error.code, 1)
        assert.match(error.stderr, /400 invalid_input: .*event_type/)
        return true
      },
    )
  })
})
