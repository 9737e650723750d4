// Our own webhook routes as a test calls them (the SDK has no method for the operator routes),
// sample events to deliver, and the check every Seam user's handler makes on a delivery.

import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'

import { SeamWebhook } from '@seamapi/webhook'

import { rawRequest } from './http.ts'
import type { WebhookReceiver } from './webhook-receiver.ts'

/** A server and a key of one of its workspaces: a TestServer, or a spawned `serve`. */
export interface ApiTarget {
  endpoint: string
  apiKey: string
}

/**
 * Settings for `serve` and `worker` processes in tests: loopback receivers allowed, and short
 * timings, so that a claim lost with its process comes back within seconds.
 */
export const fastDeliveryEnv: Readonly<Record<string, string>> = {
  WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
  WEBHOOK_RETRY_SCHEDULE: '0.2,0.4,0.8,1,1,1,1,1',
  WEBHOOK_TIMEOUT_SECONDS: '1',
  WEBHOOK_LEASE_SECONDS: '6.5',
  WEBHOOK_POLL_INTERVAL_MS: '100',
  LOG_LEVEL: 'info',
}

export function lockUnlocked(deviceId = randomUUID()) {
  return { event_type: 'lock.unlocked', device_id: deviceId, connected_account_id: randomUUID(), method: 'manual' }
}

export function deviceConnected(deviceId = randomUUID()) {
  return { event_type: 'device.connected', device_id: deviceId, connected_account_id: randomUUID() }
}

/** POSTs JSON to one of the server's routes and returns the raw response. */
export async function call(target: ApiTarget, path: string, body: Record<string, unknown>, apiKey = target.apiKey) {
  return await rawRequest(`${target.endpoint}${path}`, {
    method: 'POST',
    apiKey,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
}

/** Like `call`, for a request that must succeed: returns the JSON body. */
export async function callOk(target: ApiTarget, path: string, body: Record<string, unknown>) {
  const response = await call(target, path, body)
  assert.equal(response.status, 200, `${path}: ${response.text}`)
  return response.json
}

export async function deliveriesOf(target: ApiTarget, webhookId: string): Promise<any[]> {
  return (await callOk(target, '/webhooks/deliveries/list', { webhook_id: webhookId, limit: 1000 })).deliveries
}

/** Polls the deliveries list until `predicate` holds: the worker runs in the background. */
export async function waitForDeliveries(
  target: ApiTarget,
  webhookId: string,
  predicate: (deliveries: any[]) => boolean,
  deadlineMs = 30_000,
): Promise<any[]> {
  const deadline = Date.now() + deadlineMs
  for (;;) {
    const deliveries = await deliveriesOf(target, webhookId)
    if (predicate(deliveries)) return deliveries
    if (Date.now() > deadline) {
      throw new Error(`deliveries never reached the expected state: ${JSON.stringify(deliveries).slice(0, 2000)}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Every delivery a receiver got must verify with `secret`, as a Seam user's handler does. */
export function assertAllVerify(receiver: WebhookReceiver, secret: string): void {
  const verifier = new SeamWebhook(secret)
  for (const delivery of receiver.received) {
    const event = verifier.verify(delivery.body, delivery.headers)
    assert.equal(event.event_id, JSON.parse(delivery.body).event_id)
  }
}
