// /metrics as an operator's Prometheus reads it: the real server (and a real worker) with
// METRICS_LISTEN, real webhook receivers (one answering 200, one answering 500 after holding its
// first request), a real event stream, and the scrape parsed as Prometheus' text format. It is
// served on its own listener only: the API's port answers /metrics with Seam's 404.

import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

import { ConfigError, resolveServerConfig, resolveWorkerConfig } from '../src/config.ts'
import { createLogger } from '../src/logger.ts'
import { startWorkerService, type WorkerService } from '../src/service.ts'
import { describeEachBackend } from './support/backends.ts'
import { cli } from './support/cli-process.ts'
import { publish, rawRequest } from './support/http.ts'
import { parsePrometheusText, type Exposition } from './support/prometheus-text.ts'
import { openStream, type SseConnection } from './support/sse.ts'
import { startTestServer, type TestServer } from './support/test-server.ts'
import { callOk, deliveriesOf, deviceConnected, lockUnlocked } from './support/webhook-api.ts'
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.ts'

const metricsEnv = {
  METRICS_LISTEN: '127.0.0.1:0',
  // A failed attempt is retried only after an hour: it is then scheduled, not due.
  WEBHOOK_RETRY_SCHEDULE: '3600',
  // One request at a time per webhook: while the failing receiver holds one, the rest are due.
  WEBHOOK_CONCURRENCY_PER_WEBHOOK: '1',
  // The held request must not time out (an attempt of its own) while the test looks.
  WEBHOOK_TIMEOUT_SECONDS: '60',
  WEBHOOK_LEASE_SECONDS: '70',
}

async function scrape(metricsEndpoint: string): Promise<{ text: string; metrics: Exposition; contentType: string }> {
  const response = await fetch(`${metricsEndpoint}/metrics`)
  assert.equal(response.status, 200)
  const text = await response.text()
  return { text, metrics: parsePrometheusText(text), contentType: response.headers.get('content-type') ?? '' }
}

/** Scrapes until `holds` is true of what it reads: the worker and the hooks run in the background. */
async function scrapeUntil(metricsEndpoint: string, holds: (metrics: Exposition) => boolean, deadlineMs = 30_000): Promise<Exposition> {
  const deadline = Date.now() + deadlineMs
  for (;;) {
    const { text, metrics } = await scrape(metricsEndpoint)
    if (holds(metrics)) return metrics
    if (Date.now() > deadline) assert.fail(`the metrics never reached the expected state:\n${text}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

const attempts = (metrics: Exposition, outcome: string) => metrics.value('seam_events_delivery_attempts_total', { outcome })
const requests = (metrics: Exposition, method: string, route: string, status: number) =>
  metrics.value('seam_events_http_request_duration_seconds_count', { method, route, status_code: String(status) })

describeEachBackend('/metrics', { timeout: 120_000 }, (backend) => {
  let server: TestServer
  let metricsEndpoint: string
  let ok: WebhookReceiver
  let failing: WebhookReceiver
  let releaseHeld: () => void = () => {}
  const held = new Promise<void>((resolve) => (releaseHeld = resolve))
  let okWebhookId: string
  let failingWebhookId: string
  let stream: SseConnection | undefined

  before(async () => {
    ok = await startWebhookReceiver()
    failing = await startWebhookReceiver()
    failing.reply = (_delivery, count) => (count === 1 ? { status: 500, body: 'down', holdUntil: held } : { status: 500, body: 'down' })
    server = await startTestServer({ backend, env: metricsEnv })
    assert.ok(server.service.metricsEndpoint !== undefined)
    metricsEndpoint = server.service.metricsEndpoint
    okWebhookId = (await callOk(server, '/webhooks/create', { url: ok.url })).webhook.webhook_id
    failingWebhookId = (await callOk(server, '/webhooks/create', { url: failing.url })).webhook.webhook_id
  })
  after(async () => {
    releaseHeld()
    stream?.close()
    await server?.close()
    await ok?.close()
    await failing?.close()
  })

  it('counts requests by route, events published, attempts by outcome, and the backlog per webhook and in total', async () => {
    stream = await openStream(`${server.endpoint}/events/stream`, { apiKey: server.apiKey })
    assert.equal(stream.response.status, 200)
    await stream.waitForTyped('start')

    await publish(server.endpoint, server.apiKey, [lockUnlocked(), lockUnlocked(), deviceConnected()])
    await publish(server.endpoint, server.apiKey, [lockUnlocked(), deviceConnected()])
    await stream.take(5)
    await ok.waitFor((received) => received.length === 5)
    await failing.waitFor((received) => received.length === 1)

    const { contentType } = await scrape(metricsEndpoint)
    assert.match(contentType, /^text\/plain; version=0\.0\.4/)
    const metrics = await scrapeUntil(metricsEndpoint, (read) => attempts(read, 'succeeded') === 5)
    assert.equal(metrics.value('seam_events_events_published_total'), 5)
    assert.equal(requests(metrics, 'POST', '/events/publish', 200), 2)
    assert.equal(requests(metrics, 'POST', '/webhooks/create', 200), 2)
    assert.equal(attempts(metrics, 'retry'), 0)
    assert.equal(attempts(metrics, 'failed'), 0)
    // The failing receiver holds its first request; its other four deliveries wait their turn:
    // three claimed by the worker (three times its one slot), to send as each frees, and one due.
    assert.equal(metrics.value('seam_events_delivery_attempts_in_flight'), 1)
    assert.equal(metrics.value('seam_events_delivery_claims_waiting'), 3)
    const failingLabels = { workspace_id: server.workspaceId, webhook_id: failingWebhookId }
    assert.equal(metrics.value('seam_events_webhook_deliveries_due', failingLabels), 1)
    const failingLag = metrics.value('seam_events_webhook_delivery_lag_seconds', failingLabels)
    assert.ok(failingLag !== undefined && failingLag >= 0, String(failingLag))
    assert.deepEqual(metrics.find('seam_events_webhook_deliveries_due', { webhook_id: okWebhookId }), [], 'nothing due to the 200 webhook')
    assert.equal(metrics.value('seam_events_deliveries_due'), 1)
    assert.equal(metrics.value('seam_events_delivery_lag_seconds'), failingLag)
    assert.equal(metrics.value('seam_events_event_streams_open'), 1)

    assert.equal(metrics.types.get('seam_events_http_request_duration_seconds'), 'histogram')
    assert.equal(metrics.types.get('seam_events_events_published_total'), 'counter')
    assert.equal(metrics.types.get('seam_events_delivery_attempts_total'), 'counter')
    assert.equal(metrics.types.get('seam_events_webhook_deliveries_due'), 'gauge')
    // prom-client's default metrics of the Node.js process.
    assert.ok((metrics.value('process_cpu_user_seconds_total') ?? -1) >= 0)
    assert.ok((metrics.value('nodejs_heap_size_used_bytes') ?? 0) > 0)

    if (backend === 'postgres') {
      assert.equal(metrics.value('seam_events_database_pool_max'), 15)
      const idle = metrics.value('seam_events_database_pool_connections', { state: 'idle' }) ?? Number.NaN
      const inUse = metrics.value('seam_events_database_pool_connections', { state: 'in_use' }) ?? Number.NaN
      assert.ok(idle >= 0 && inUse >= 0 && idle + inUse >= 1 && idle + inUse <= 15, `idle ${idle}, in use ${inUse}`)
      assert.ok((metrics.value('seam_events_database_pool_waiting') ?? Number.NaN) >= 0)
    } else {
      assert.deepEqual(metrics.samples.filter((sample) => sample.name.startsWith('seam_events_database_pool')), [], 'SQLite has no pool')
    }

    // Once the failing receiver answers, every delivery to it is scheduled for a retry: none due.
    releaseHeld()
    await failing.waitFor((received) => received.length === 5)
    const drained = await scrapeUntil(metricsEndpoint, (read) => attempts(read, 'retry') === 5)
    assert.equal(attempts(drained, 'succeeded'), 5)
    assert.equal(drained.value('seam_events_delivery_attempts_in_flight'), 0)
    assert.equal(drained.value('seam_events_delivery_claims_waiting'), 0)
    assert.deepEqual(drained.find('seam_events_webhook_deliveries_due'), [])
    assert.equal(drained.value('seam_events_deliveries_due'), 0)
    assert.equal(drained.value('seam_events_delivery_lag_seconds'), 0)

    // A manual retry that fails again leaves the delivery failed: no attempt is left.
    const [delivery] = await deliveriesOf(server, failingWebhookId)
    await callOk(server, '/webhooks/deliveries/retry', { delivery_id: delivery.delivery_id })
    const retried = await scrapeUntil(metricsEndpoint, (read) => attempts(read, 'failed') === 1)
    assert.equal(attempts(retried, 'retry'), 5)
    assert.equal(requests(retried, 'POST', '/webhooks/deliveries/retry', 200), 1)

    stream.close()
    await scrapeUntil(metricsEndpoint, (read) => read.value('seam_events_event_streams_open') === 0)
  })

  it('labels requests with the route pattern, never the URL', async () => {
    await rawRequest(`${server.endpoint}/webhooks/get?webhook_id=${okWebhookId}`, { apiKey: server.apiKey })
    await rawRequest(`${server.endpoint}/console/index.html?tab=${failingWebhookId}`)
    await rawRequest(`${server.endpoint}/no/such/route/${failingWebhookId}`)
    const metrics = await scrapeUntil(metricsEndpoint, (read) => (requests(read, 'GET', 'unmatched', 404) ?? 0) >= 1)
    assert.equal(requests(metrics, 'GET', '/webhooks/get', 200), 1)
    assert.equal(metrics.find('seam_events_http_request_duration_seconds_count', { method: 'GET', route: '/console/*' }).length, 1)
    const routes = new Set(metrics.find('seam_events_http_request_duration_seconds_count').map((sample) => sample.labels['route']))
    for (const route of routes) {
      assert.ok(route === 'unmatched' || route?.startsWith('/'), String(route))
      assert.ok(!route?.includes('?') && !route?.includes(okWebhookId) && !route?.includes(failingWebhookId), String(route))
    }
  })

  it('is not served on the API port, with or without a key', async () => {
    for (const apiKey of [undefined, server.apiKey]) {
      const response = await rawRequest(`${server.endpoint}/metrics`, apiKey === undefined ? {} : { apiKey })
      assert.equal(response.status, 404)
      assert.equal(response.json.ok, false)
      assert.equal(response.json.error.type, 'not_found')
      assert.ok(response.headers.get('seam-request-id'))
      assert.doesNotMatch(response.text, /seam_events_/)
    }
    // Nor is the API served on the metrics listener.
    const api = await rawRequest(`${metricsEndpoint}/events/list?since=2024-01-01T00:00:00Z`, { apiKey: server.apiKey })
    assert.equal(api.status, 404)
    assert.equal(api.json, undefined)
  })

  it('is off unless METRICS_LISTEN is set', async () => {
    const plain = await startTestServer({ backend, worker: false })
    try {
      assert.equal(plain.service.metricsEndpoint, undefined)
      assert.equal((await rawRequest(`${plain.endpoint}/metrics`)).status, 404)
    } finally {
      await plain.close()
    }
  })
})

describeEachBackend('/metrics of a worker process', { timeout: 120_000 }, (backend) => {
  let server: TestServer
  let worker: WorkerService | undefined
  let receiver: WebhookReceiver

  before(async () => {
    receiver = await startWebhookReceiver()
    server = await startTestServer({ backend, worker: false, env: { METRICS_LISTEN: '127.0.0.1:0' } })
  })
  after(async () => {
    await worker?.stop()
    await server?.close()
    await receiver?.close()
  })

  it("exports its own attempts and requests in flight, and not the API's figures or the backlog", async () => {
    await callOk(server, '/webhooks/create', { url: receiver.url })
    const config = resolveWorkerConfig(
      { database: server.databaseUrl },
      { METRICS_LISTEN: '127.0.0.1:0', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOK_POLL_INTERVAL_MS: '50', RETENTION_INTERVAL_SECONDS: '0' },
    )
    worker = await startWorkerService(config, createLogger('silent'))
    assert.ok(worker.metricsEndpoint !== undefined)
    assert.notEqual(worker.metricsEndpoint, server.service.metricsEndpoint)

    await publish(server.endpoint, server.apiKey, [lockUnlocked(), lockUnlocked()])
    await receiver.waitFor((received) => received.length === 2)
    const metrics = await scrapeUntil(worker.metricsEndpoint, (read) => attempts(read, 'succeeded') === 2)
    assert.equal(attempts(metrics, 'retry'), 0)
    assert.equal(metrics.value('seam_events_delivery_attempts_in_flight'), 0)
    for (const absent of ['seam_events_http_request_duration_seconds_count', 'seam_events_events_published_total', 'seam_events_deliveries_due', 'seam_events_event_streams_open']) {
      assert.deepEqual(metrics.find(absent), [], absent)
    }
    assert.equal(backend === 'postgres', metrics.value('seam_events_database_pool_max') === 15)

    // The API process (serve --no-worker) exports the backlog and its requests, not attempts.
    const api = await scrapeUntil(server.service.metricsEndpoint!, (read) => read.value('seam_events_events_published_total') === 2)
    assert.equal(api.value('seam_events_deliveries_due'), 0)
    assert.deepEqual(api.find('seam_events_delivery_attempts_total'), [])
  })
})

describe('METRICS_LISTEN', { timeout: 60_000 }, () => {
  it('takes host:port, [ipv6]:port, or a port alone on loopback; unset or empty is off', () => {
    const listenOf = (value: string | undefined) =>
      resolveServerConfig({ port: 3000 }, value === undefined ? {} : { METRICS_LISTEN: value }).metricsListen
    assert.equal(listenOf(undefined), undefined)
    assert.equal(listenOf(''), undefined)
    assert.deepEqual(listenOf('9464'), { host: '127.0.0.1', port: 9464 })
    assert.deepEqual(listenOf('0.0.0.0:9464'), { host: '0.0.0.0', port: 9464 })
    assert.deepEqual(listenOf('[::1]:9464'), { host: '::1', port: 9464 })
    assert.deepEqual(listenOf('metrics.internal:9464'), { host: 'metrics.internal', port: 9464 })
    assert.deepEqual(resolveWorkerConfig({ metricsListen: '9465' }, {}).metricsListen, { host: '127.0.0.1', port: 9465 })
  })

  it("refuses what is not an address, and the API's own address", () => {
    for (const value of ['nonsense', '9464:', '::1:9464', '127.0.0.1:70000', 'http://127.0.0.1:9464']) {
      assert.throws(
        () => resolveServerConfig({}, { METRICS_LISTEN: value }),
        (error: unknown) =>
          error instanceof ConfigError &&
          error.message ===
            `invalid configuration: --metrics-listen / METRICS_LISTEN: must be host:port (such as 127.0.0.1:9464 or [::1]:9464), or a port alone for 127.0.0.1; got ${value}`,
        value,
      )
    }
    for (const [host, value] of [['127.0.0.1', '3000'], ['0.0.0.0', '127.0.0.1:3000'], ['127.0.0.1', '0.0.0.0:3000']] as const) {
      assert.throws(
        () => resolveServerConfig({ port: 3000, host, metricsListen: value }),
        /^ConfigError: invalid configuration: --metrics-listen \/ METRICS_LISTEN: must differ from the API's address \(--host \/ HOST, --port \/ PORT\): metrics are never served on the API's port$/,
        `${host} ${value}`,
      )
    }
    assert.deepEqual(resolveServerConfig({ port: 3000, host: '127.0.0.1', metricsListen: '10.0.0.5:3000' }).metricsListen, { host: '10.0.0.5', port: 3000 })
  })

  it('stops serve and worker with one line and exit 1: a bad value, or a port in use', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'seam-events-metrics-'))
    const blocker = net.createServer()
    try {
      const failure = async (args: string[]) => {
        try {
          await cli(args)
        } catch (error: any) {
          const lines = error.stderr.split('\n').filter((line: string) => line !== '' && !line.startsWith('seam-events: using the '))
          assert.equal(lines.length, 1, error.stderr)
          return { code: error.code, line: lines[0] }
        }
        assert.fail(`seam-events ${args.join(' ')} started`)
      }
      for (const command of ['serve', 'worker']) {
        const { code, line } = await failure([command, '--database', join(directory, 'events.db'), '--metrics-listen', 'nonsense'])
        assert.equal(code, 1)
        assert.equal(
          line,
          'seam-events: invalid configuration: --metrics-listen / METRICS_LISTEN: must be host:port (such as 127.0.0.1:9464 or [::1]:9464), or a port alone for 127.0.0.1; got nonsense',
        )
      }
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()))
      const { port } = blocker.address() as net.AddressInfo
      const { code, line } = await failure(['serve', '--port', '0', '--database', join(directory, 'events.db'), '--metrics-listen', String(port)])
      assert.equal(code, 1)
      assert.equal(
        line,
        `seam-events: cannot serve metrics on 127.0.0.1:${port}: the port is already in use; choose another with --metrics-listen or METRICS_LISTEN`,
      )
    } finally {
      blocker.close()
      rmSync(directory, { recursive: true, force: true })
    }
  })
})
