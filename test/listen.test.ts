// `seam-events listen` as a developer runs it: a real process following a real server's stream
// and forwarding to a real receiver on loopback, which verifies each forward with Seam's own
// @seamapi/webhook. Runs on every backend of the run.

import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, it } from 'node:test'

import { SeamWebhook } from '@seamapi/webhook'

import { describeEachBackend } from './support/backends.ts'
import { cli, startCommand, type RunningCommand } from './support/cli-process.ts'
import { collectStdout, waitForOutput } from './support/command-output.ts'
import { startCuttableProxy } from './support/cuttable-proxy.ts'
import { publish } from './support/http.ts'
import { startTestServer, type TestServer, type TestWorkspace } from './support/test-server.ts'
import { assertAllVerify, callOk, deviceConnected, lockUnlocked } from './support/webhook-api.ts'
import { freePort, startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.ts'

const signatureHeaders = ['content-type', 'svix-id', 'svix-signature', 'svix-timestamp', 'webhook-id', 'webhook-signature', 'webhook-timestamp']

describeEachBackend('seam-events listen', { timeout: 180_000 }, (backend) => {
  let server: TestServer
  let configHome: string
  const running: RunningCommand[] = []
  const receivers: WebhookReceiver[] = []
  const env = (workspace: TestWorkspace, extra: Record<string, string> = {}) => ({
    SEAM_ENDPOINT: server.endpoint,
    SEAM_API_KEY: workspace.apiKey,
    XDG_CONFIG_HOME: configHome,
    ...extra,
  })
  const listen = (workspace: TestWorkspace, args: string[], extra: Record<string, string> = {}) => {
    const command = startCommand(['listen', ...args], env(workspace, extra))
    running.push(command)
    return command
  }
  const receiver = async () => {
    const started = await startWebhookReceiver()
    receivers.push(started)
    return started
  }
  const printedSecret = async (workspace: TestWorkspace, extra: Record<string, string> = {}) =>
    (await cli(['listen', '--forward-to', 'http://127.0.0.1:9/', '--print-secret'], env(workspace, extra))).stdout.trim()

  before(async () => {
    server = await startTestServer({ backend })
    configHome = mkdtempSync(join(tmpdir(), 'seam-events-listen-config-'))
  })
  after(async () => {
    for (const command of running) command.process.kill('SIGKILL')
    for (const started of receivers) await started.close()
    await server.close()
    rmSync(configHome, { recursive: true, force: true })
  })

  it('signs with a secret that is the same on every run for a workspace and machine, and another for another', async () => {
    const workspace = await server.createWorkspace('listen secrets')
    const secret = await printedSecret(workspace)
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/)
    assert.equal(await printedSecret(workspace), secret)
    // Another key of the same workspace: the same secret.
    const { apiKey: readKey } = await server.createKey(workspace.workspaceId, 'read')
    assert.equal(await printedSecret({ ...workspace, apiKey: readKey }), secret)
    // The machine key is the user's alone.
    assert.equal(statSync(join(configHome, 'seam-events', 'machine-key')).mode & 0o777, 0o600)
    // Another workspace, another machine (config folder): other secrets.
    assert.notEqual(await printedSecret(await server.createWorkspace('listen secrets 2')), secret)
    const otherMachine = mkdtempSync(join(tmpdir(), 'seam-events-listen-other-'))
    try {
      assert.notEqual(await printedSecret(workspace, { XDG_CONFIG_HOME: otherMachine }), secret)
    } finally {
      rmSync(otherMachine, { recursive: true, force: true })
    }
  })

  it("forwards each event exactly as the server's own webhook delivers it, verified by @seamapi/webhook", async () => {
    const workspace = await server.createWorkspace('listen forwards')
    const local = await receiver()
    const delivered = await receiver()
    // The server's own webhook to another receiver: what a forward must look like.
    const { webhook } = await callOk({ endpoint: server.endpoint, apiKey: workspace.apiKey }, '/webhooks/create', { url: delivered.url })
    const secret = await printedSecret(workspace)
    const command = listen(workspace, ['--forward-to', local.url, '--json'])
    const stdout = collectStdout(command)
    await waitForOutput(command, /forwarding the events of workspace/)
    assert.match(command.output(), new RegExp(`signing secret ${secret.replace(/[+/]/g, '\\$&')} \\(the same on every run`))

    const published = await publish(server.endpoint, workspace.apiKey, [lockUnlocked(), deviceConnected(), lockUnlocked()])
    await local.waitFor((received) => received.length === 3)
    await delivered.waitFor((received) => received.length === 3)

    assertAllVerify(local, secret)
    assertAllVerify(delivered, webhook.secret)
    assert.deepEqual(local.eventIds(), published.map((event) => event['event_id']))
    const deliveredBodies = new Map(delivered.received.map((delivery) => [JSON.parse(delivery.body).event_id, delivery]))
    for (const forward of local.received) {
      const delivery = deliveredBodies.get(JSON.parse(forward.body).event_id)
      assert.ok(delivery)
      assert.equal(forward.body, delivery.body, 'the same bytes')
      for (const header of signatureHeaders) assert.ok(forward.headers[header] !== undefined, header)
      assert.deepEqual(
        Object.keys(forward.headers).filter((name) => /^(svix|webhook)-/.test(name)).sort(),
        Object.keys(delivery.headers).filter((name) => /^(svix|webhook)-/.test(name)).sort(),
      )
      assert.equal(forward.headers['content-type'], delivery.headers['content-type'])
      assert.equal(forward.headers['svix-id'], forward.headers['webhook-id'])
    }
    // The secret of one workspace does not verify another's forwards.
    assert.throws(() => new SeamWebhook(webhook.secret).verify(local.received[0]!.body, local.received[0]!.headers))

    const records = (await stdout.lines(3)).map((line) => JSON.parse(line))
    assert.deepEqual(records.map((record) => [record.event_id, record.event_type, record.status_code, record.delivered, record.tries]), published.map((event) => [event['event_id'], event['event_type'], 200, true, 1]))
    command.process.kill('SIGINT')
    assert.equal(await command.exited, 0)
    assert.match(command.output(), /seam-events listen: 3 events forwarded, 0 not forwarded/)
  })

  it('forwards only the --event-types asked for; --secret signs as given', async () => {
    const workspace = await server.createWorkspace('listen filtered')
    const local = await receiver()
    const secret = `whsec_${Buffer.from(randomUUID()).toString('base64')}`
    const command = listen(workspace, ['--forward-to', local.url, '--event-types', 'device.connected', '--secret', secret])
    await waitForOutput(command, /forwarding the events/)
    assert.doesNotMatch(command.output(), /signing secret/, 'a given secret is not printed back')
    const [, connected] = await publish(server.endpoint, workspace.apiKey, [lockUnlocked(), deviceConnected()])
    await local.waitFor((received) => received.length === 1)
    assert.deepEqual(local.eventIds(), [connected!['event_id']])
    assertAllVerify(local, secret)
    await waitForOutput(command, new RegExp(`device\\.connected  200  \\d+ ms  event_id=${connected!['event_id']}`))
    command.process.kill('SIGTERM')
    assert.equal(await command.exited, 0)
  })

  it('tries a failed forward again, and reports one that keeps failing as not forwarded, then goes on', async () => {
    const workspace = await server.createWorkspace('listen failures')
    const local = await receiver()
    const secret = await printedSecret(workspace)
    const command = listen(workspace, ['--forward-to', local.url])
    await waitForOutput(command, /forwarding the events/)
    const [flaky] = await publish(server.endpoint, workspace.apiKey, [lockUnlocked()])
    // The first try of the first event fails; every try of the second one does.
    let failing: string | undefined
    local.reply = (delivery, count) => {
      const eventId = JSON.parse(delivery.body).event_id
      return count === 1 || eventId === failing ? { status: 500, body: 'broken' } : { status: 204 }
    }
    await waitForOutput(command, /\(2 tries\)/)
    const [lost] = await publish(server.endpoint, workspace.apiKey, [deviceConnected()])
    failing = lost!['event_id'] as string
    await waitForOutput(command, /NOT FORWARDED after 3 tries: answered 500/)
    const [after] = await publish(server.endpoint, workspace.apiKey, [lockUnlocked()])
    await local.waitFor((received) => received.some((delivery) => JSON.parse(delivery.body).event_id === after!['event_id']))
    assert.deepEqual(local.eventIds(), [flaky, flaky, lost, lost, lost, after].map((event) => event!['event_id']))
    assertAllVerify(local, secret)
    // Each try of one forward has the same svix-id, and its own timestamp and signature.
    assert.equal(new Set(local.received.slice(2, 5).map((delivery) => delivery.headers['svix-id'])).size, 1)
    const output = command.output()
    assert.match(output, new RegExp(`lock\\.unlocked  204  \\d+ ms  event_id=${flaky!['event_id']}  \\(2 tries\\)`))
    assert.match(output, new RegExp(`device\\.connected  500  \\d+ ms  event_id=${lost!['event_id']}  NOT FORWARDED after 3 tries: answered 500`))
    assert.match(output, /answered 500; trying again in \d\.\d s \(try 2 of 3\)/)
    command.process.kill('SIGINT')
    assert.equal(await command.exited, 0)
    assert.match(command.output(), new RegExp(`2 events forwarded, 1 not forwarded \\(event_ids ${lost!['event_id']};`))
  })

  it('resumes a dropped stream where it left off: nothing missed, nothing forwarded twice', async () => {
    const workspace = await server.createWorkspace('listen resumes')
    const local = await receiver()
    const proxy = await startCuttableProxy(server.endpoint)
    try {
      const command = listen(workspace, ['--forward-to', local.url], { SEAM_ENDPOINT: proxy.endpoint })
      await waitForOutput(command, /forwarding the events/)
      const first = await publish(server.endpoint, workspace.apiKey, [lockUnlocked()])
      await local.waitFor((received) => received.length === 1)
      proxy.cut()
      const whileCut = await publish(server.endpoint, workspace.apiKey, [lockUnlocked(), deviceConnected()])
      await waitForOutput(command, /connection lost|ended the stream/)
      const later = await publish(server.endpoint, workspace.apiKey, [lockUnlocked()])
      await local.waitFor((received) => received.length >= 4)
      assert.deepEqual(local.eventIds(), [...first, ...whileCut, ...later].map((event) => event['event_id']))
      command.process.kill('SIGINT')
      assert.equal(await command.exited, 0)
    } finally {
      await proxy.close()
    }
  })

  it('refuses, in one line, a --forward-to that is not an http URL, a bad --secret, and a server that is not there', async () => {
    const failsWith = async (args: string[], extra: Record<string, string>, pattern: RegExp) => {
      await assert.rejects(cli(['listen', ...args], env(server, extra)), (error: any) => {
        assert.equal(error.code, 1)
        assert.match(error.stderr, pattern)
        assert.doesNotMatch(error.stderr, /\bat .+:\d+/)
        return true
      })
    }
    await failsWith(['--forward-to', 'localhost:8080'], {}, /--forward-to must be an http\(s\) URL/)
    await failsWith(['--forward-to', 'http://127.0.0.1:9/', '--secret', 'hunter2'], {}, /--secret must be whsec_/)
    await failsWith(['--forward-to', 'http://127.0.0.1:9/'], { SEAM_ENDPOINT: `http://127.0.0.1:${await freePort()}` }, /cannot reach .*ECONNREFUSED/)
    await failsWith(['--forward-to', 'http://127.0.0.1:9/'], { SEAM_API_KEY: 'seam_nope' }, /401 unauthorized/)
  })
})
