// A `seam-events worker` killed with SIGKILL mid-batch, beside a `serve --no-worker` on the same
// database, while events keep being published: a real receiver answers half of the worker's
// requests at once and holds the other half, so that at the kill the worker has a known set of
// requests in flight and a known set whose success it has recorded. After a new worker takes
// over, every acknowledged event has been delivered, and the only events sent twice are ones
// whose requests were in flight at the kill (issue 18).

import assert from 'node:assert/strict'
import { after, before, it } from 'node:test'

import { describeEachBackend } from './support/backends.ts'
import { createBackendDatabase, type BackendDatabase } from './support/backend-database.ts'
import { cliJson, startCommand, startServe, type RunningCommand } from './support/cli-process.ts'
import { publish } from './support/http.ts'
import {
  assertAllVerify,
  callOk,
  fastDeliveryEnv,
  lockUnlocked,
  waitForDeliveries,
} from './support/webhook-api.ts'
import { startWebhookReceiver, type ReceivedDelivery } from './support/webhook-receiver.ts'

/** Requests the worker sends to one webhook at once: the number held when it is killed. */
const perWebhookLimit = 8

const workerEnv = {
  ...fastDeliveryEnv,
  WEBHOOK_CONCURRENCY_PER_WEBHOOK: String(perWebhookLimit),
  // A held request must not time out before the kill: a timeout is an attempt of its own, and
  // its retry a second request from the worker that is still alive.
  WEBHOOK_TIMEOUT_SECONDS: '5',
  // Short, so that the killed worker's claims come back within seconds (it must exceed the
  // timeout by more than 5 s).
  WEBHOOK_LEASE_SECONDS: '10.5',
}

const eventIdOf = (delivery: ReceivedDelivery): string => JSON.parse(delivery.body).event_id

describeEachBackend('a delivery worker killed by SIGKILL mid-batch', { timeout: 120_000 }, (backend) => {
  let database: BackendDatabase
  const running: RunningCommand[] = []

  before(async () => {
    database = await createBackendDatabase(backend)
  })
  after(async () => {
    for (const command of running) {
      if (command.process.exitCode === null && command.process.signalCode === null) command.process.kill('SIGTERM')
      await command.exited
    }
    await database?.drop()
  })

  it('loses no acknowledged event and sends again only the requests it had in flight', async (t) => {
    const workspace = await cliJson(['workspaces', 'create', '--name', 'Sigkill', '--database', database.url])
    const receiver = await startWebhookReceiver()
    // Until the kill, every second request is held: the worker's batch is half answered (and
    // recorded) and half in flight, until its held requests fill all its slots for the webhook.
    let holding = true
    let release: () => void = () => {}
    const released = new Promise<void>((resolve) => (release = resolve))
    const held: ReceivedDelivery[] = []
    receiver.reply = (delivery, count) => {
      if (!holding || count % 2 === 1) return { status: 200, body: 'ok' }
      held.push(delivery)
      return { status: 200, holdUntil: released }
    }
    let publishing: Promise<void> | undefined
    let stopPublishing = false
    try {
      const server = await startServe(['--database', database.url, '--no-worker'], workerEnv)
      running.push(server)
      const target = { endpoint: server.endpoint, apiKey: workspace.token }
      const webhook = (await callOk(target, '/webhooks/create', { url: receiver.url })).webhook
      const firstWorker = startCommand(['worker', '--database', database.url], workerEnv)
      running.push(firstWorker)
      await firstWorker.waitForLog((line) => line['msg'] === 'delivery worker started')

      // Events keep coming through the kill and the restart. `serve` is never killed, so every
      // publish must be acknowledged; the acknowledged ones are those that must arrive.
      const acknowledged: string[] = []
      publishing = (async () => {
        while (!stopPublishing) {
          const events = await publish(server.endpoint, workspace.token, Array.from({ length: 4 }, () => lockUnlocked()))
          acknowledged.push(...events.map((event) => event.event_id))
          await new Promise((resolve) => setTimeout(resolve, 20))
        }
      })()

      await receiver.waitFor(() => held.length === perWebhookLimit)
      // The answered requests' successes are stored before the kill: an attempt answered but not
      // yet recorded is sent again by design (at least once), and is not what this test counts.
      const answeredIds = new Set(
        receiver.received.filter((delivery) => !held.includes(delivery)).map((delivery) => delivery.headers['svix-id']),
      )
      await waitForDeliveries(target, webhook.webhook_id, (items) =>
        items.filter((item) => answeredIds.has(item.delivery_id) && item.status === 'succeeded').length === answeredIds.size,
      )

      // In flight at the kill: received from the worker, and not answered (the answer written out
      // whole). Counted in the same turn as the kill, so nothing the receiver does falls between.
      const inFlight = receiver.received.filter((delivery) => delivery.answeredAt === undefined)
      const receivedBeforeKill = receiver.received.length
      firstWorker.process.kill('SIGKILL')
      assert.equal(await firstWorker.exited, null, 'the worker died of the signal')
      // With every slot for the webhook taken by a held request, the worker sent nothing more.
      assert.equal(receiver.received.length, receivedBeforeKill, 'no request arrived between the count and the kill')
      // The dead worker's connections close with its requests unanswered. Waited for before the
      // release, so that no held answer is written into a socket whose close is still unread.
      await receiver.waitFor(() => inFlight.every((delivery) => delivery.abandonedAt !== undefined))
      holding = false
      release()

      const secondWorker = startCommand(['worker', '--database', database.url], workerEnv)
      running.push(secondWorker)
      await secondWorker.waitForLog((line) => line['msg'] === 'delivery worker started')
      // Publishing stops once the new worker has delivered something published after the kill.
      const publishedBeforeRestart = new Set(acknowledged)
      await receiver.waitFor((received) =>
        received.slice(receivedBeforeKill).some((delivery) => !publishedBeforeRestart.has(eventIdOf(delivery))),
      )
      stopPublishing = true
      await publishing
      assert.ok(acknowledged.length < 1000, `${acknowledged.length} events: more than one page of deliveries`)

      // 0 lost: each acknowledged event arrives, and its delivery ends succeeded, none stuck in
      // the dead worker's claim. Only then are all the resends of its claims in.
      await receiver.waitFor((received) => {
        const arrived = new Set(received.map(eventIdOf))
        return acknowledged.every((eventId) => arrived.has(eventId))
      }, 60_000)
      const deliveries = await waitForDeliveries(
        target,
        webhook.webhook_id,
        (items) => items.length === acknowledged.length && items.every((item) => item.status === 'succeeded'),
        60_000,
      )
      assert.deepEqual(new Set(deliveries.map((delivery) => delivery.event_id)), new Set(acknowledged))
      assertAllVerify(receiver, webhook.secret)

      const receipts = new Map<string, number>()
      for (const eventId of receiver.eventIds()) receipts.set(eventId, (receipts.get(eventId) ?? 0) + 1)
      const duplicates = receiver.received.length - receipts.size
      const sentAgain = [...receipts].filter(([, count]) => count > 1).map(([eventId]) => eventId)
      const inFlightEventIds = new Set(inFlight.map(eventIdOf))
      t.diagnostic(
        `${backend}: ${acknowledged.length} events acknowledged, ${receipts.size} delivered; at the kill ` +
          `${inFlight.length} requests in flight and ${answeredIds.size} answered and recorded; ` +
          `${duplicates} duplicate receipts, of ${sentAgain.length} events`,
      )
      assert.ok(inFlight.length > 0, 'the worker was killed with requests in flight')
      assert.ok(duplicates <= inFlight.length, `${duplicates} duplicates, but only ${inFlight.length} requests in flight at the kill`)
      assert.deepEqual(
        sentAgain.filter((eventId) => !inFlightEventIds.has(eventId)),
        [],
        'only events whose requests were in flight at the kill are sent twice',
      )
    } finally {
      stopPublishing = true
      await publishing?.catch(() => {})
      holding = false
      release()
      await receiver.close()
    }
  })
})
