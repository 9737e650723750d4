// The SSRF guard as an API client meets it: the server started as in production (private
// targets refused), names resolved by a real DNS server on loopback, webhooks managed with
// Seam's SDK. Which address belongs to which class is covered in webhook-target-guard.test.ts.

import assert from 'node:assert/strict'
import { after, before, it } from 'node:test'

import { describeEachBackend } from './support/backends.ts'
import { startDnsServer, type DnsServer } from './support/dns-server.ts'
import { publish } from './support/http.ts'
import { newestSeamSdks, seamClient } from './support/seam-sdks.ts'
import { startTestServer, type TestServer } from './support/test-server.ts'
import { callOk, lockUnlocked, waitForDeliveries } from './support/webhook-api.ts'
import { startWebhookReceiver } from './support/webhook-receiver.ts'

const sdk = newestSeamSdks[newestSeamSdks.length - 1]!

/** One address of each refused class, as [literal, the class the error names]. */
const refusedLiterals: [address: string, range: string][] = [
  ['127.0.0.1', 'loopback'],
  ['[::1]', 'loopback'],
  ['10.1.2.3', 'private'],
  ['172.16.5.4', 'private'],
  ['192.168.1.1', 'private'],
  ['169.254.169.254', 'linkLocal'],
  ['[fe80::1]', 'linkLocal'],
  ['[fd00:ec2::254]', 'uniqueLocal'],
  ['100.64.0.1', 'carrierGradeNat'],
  ['0.0.0.0', 'unspecified'],
  ['[::ffff:127.0.0.1]', 'loopback'],
  ['[::ffff:a9fe:a9fe]', 'linkLocal'],
  ['224.0.0.1', 'multicast'],
  ['255.255.255.255', 'broadcast'],
  ['[64:ff9b::a00:1]', 'rfc6052'],
  ['198.18.0.1', 'reserved'],
]

/** Names the test DNS server answers with a refused address, as [name, the class named]. */
const refusedNames: Record<string, [addresses: string[], range: string]> = {
  'loopback.test': [['127.0.0.1', '::1'], 'loopback'],
  'private.test': [['10.0.0.7'], 'private'],
  'private6.test': [['fd12:3456::1'], 'uniqueLocal'],
  'metadata.test': [['169.254.169.254'], 'linkLocal'],
  'cgnat.test': [['100.100.100.200'], 'carrierGradeNat'],
  'mapped.test': [['::ffff:10.0.0.1'], 'private'],
  'mixed.test': [['93.184.215.14', '192.168.1.10'], 'private'],
}

async function assertCreateRefused(seam: any, url: string, range: string | RegExp): Promise<void> {
  await assert.rejects(seam.webhooks.create({ url }), (error: any) => {
    assert.ok(error instanceof sdk.SeamHttpInvalidInputError, `${url}: ${error}`)
    assert.equal(error.statusCode, 400)
    const messages: string[] = error.getValidationErrorMessages('url')
    assert.equal(messages.length, 1, url)
    if (typeof range === 'string') assert.ok(messages[0]!.includes(`${range} address`), `${url}: ${messages[0]}`)
    else assert.match(messages[0]!, range, url)
    return true
  })
}

describeEachBackend('SSRF guard through the API, private targets refused', (backend) => {
  let dns: DnsServer
  let server: TestServer

  before(async () => {
    dns = await startDnsServer({
      ...Object.fromEntries(Object.entries(refusedNames).map(([name, [addresses]]) => [name, addresses])),
      'public.test': ['93.184.215.14'],
      'rebind.test': ['93.184.215.14'],
    })
    server = await startTestServer({
      backend,
      env: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'false', WEBHOOK_DNS_SERVERS: dns.server },
    })
  })
  after(async () => {
    await server.close()
    await dns.close()
  })

  it('refuses each class of non-public address given as a literal', async () => {
    const seam = seamClient(sdk, server.endpoint, server.apiKey)
    for (const [address, range] of refusedLiterals) {
      await assertCreateRefused(seam, `http://${address}:8080/hooks`, range)
    }
    assert.deepEqual(await seam.webhooks.list(), [])
  })

  it('refuses names that resolve to a non-public address', async () => {
    const seam = seamClient(sdk, server.endpoint, server.apiKey)
    for (const [name, [, range]] of Object.entries(refusedNames)) {
      await assertCreateRefused(seam, `https://${name}/hooks`, range)
    }
    await assertCreateRefused(seam, 'https://nowhere.test/hooks', /could not be resolved/)
    assert.deepEqual(await seam.webhooks.list(), [])
  })

  it('accepts a public name, and refuses an update that points it inward', async () => {
    const seam = seamClient(sdk, server.endpoint, server.apiKey)
    const webhook = await seam.webhooks.create({ url: 'https://public.test/hooks' })
    assert.equal(webhook.url, 'https://public.test/hooks')
    const response = await callOk(server, '/webhooks/get', { webhook_id: webhook.webhook_id })
    assert.equal(response.webhook.url, 'https://public.test/hooks')

    const refused = await fetch(`${server.endpoint}/webhooks/update`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ webhook_id: webhook.webhook_id, url: 'http://169.254.169.254/latest/meta-data' }),
    })
    assert.equal(refused.status, 400)
    const body = (await refused.json()) as any
    assert.equal(body.error.type, 'invalid_input')
    assert.match(body.error.validation_errors.url._errors[0], /linkLocal address/)
    assert.equal((await seam.webhooks.get({ webhook_id: webhook.webhook_id })).url, 'https://public.test/hooks')
    await seam.webhooks.delete({ webhook_id: webhook.webhook_id })
  })

  it('refuses a delivery whose name has come to resolve to loopback since the webhook was created', async () => {
    const receiver = await startWebhookReceiver()
    try {
      const url = `http://rebind.test:${receiver.port}/webhook`
      const webhook = (await callOk(server, '/webhooks/create', { url })).webhook
      // DNS rebinding: the name passed the check at create time, and now points at the receiver.
      dns.setRecord('rebind.test', ['127.0.0.1'])
      await publish(server.endpoint, server.apiKey, [lockUnlocked()])
      const [delivery] = await waitForDeliveries(server, webhook.webhook_id, (items) => items[0]?.attempts.length >= 2)
      for (const attempt of delivery.attempts) {
        assert.equal(attempt.status_code, null)
        assert.match(attempt.error, /^refused: rebind\.test resolves to 127\.0\.0\.1, a loopback address/)
      }
      assert.equal(receiver.received.length, 0, 'no request reached the loopback receiver')
      await callOk(server, '/webhooks/delete', { webhook_id: webhook.webhook_id })
    } finally {
      await receiver.close()
    }
  })
})

describeEachBackend('SSRF guard with the system resolver', (backend) => {
  let server: TestServer

  before(async () => {
    server = await startTestServer({ backend, env: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'false' } })
  })
  after(async () => {
    await server.close()
  })

  it('refuses localhost', async () => {
    const seam = seamClient(sdk, server.endpoint, server.apiKey)
    await assertCreateRefused(seam, 'http://localhost:3000/hooks', 'loopback')
  })
})
