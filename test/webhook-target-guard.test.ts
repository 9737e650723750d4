// The SSRF guard for webhooks: which URLs a client may register, and that deliveries cannot be
// steered to internal addresses afterwards, by literal or by a name that changes its answer.
// Names resolve through a real DNS server on loopback; deliveries go to a real HTTP server.

import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'

import { request } from 'undici'

import {
  TargetGuard,
  WebhookTargetError,
  classifyAddress,
  findTargetError,
  parseWebhookUrl,
} from '../src/domain/webhook-target-guard.ts'
import { startDnsServer, type DnsServer } from './support/dns-server.ts'

/** Every refused class, as [address, the class the message must name, says 'metadata']. */
const refusedAddresses: [address: string, range: string, metadata: boolean][] = [
  ['127.0.0.1', 'loopback', false],
  ['127.1.2.3', 'loopback', false],
  ['::1', 'loopback', false],
  ['10.1.2.3', 'private', false],
  ['172.16.5.4', 'private', false],
  ['192.168.1.1', 'private', false],
  ['169.254.169.254', 'linkLocal', true],
  ['fd00:ec2::254', 'uniqueLocal', true],
  ['fc00::1', 'uniqueLocal', false],
  ['fe80::1', 'linkLocal', false],
  ['100.64.0.1', 'carrierGradeNat', false],
  ['100.100.100.200', 'carrierGradeNat', true],
  ['0.0.0.0', 'unspecified', false],
  ['::', 'unspecified', false],
  ['::ffff:127.0.0.1', 'loopback', false],
  ['::ffff:a9fe:a9fe', 'linkLocal', true],
  ['::ffff:10.0.0.1', 'private', false],
  ['224.0.0.1', 'multicast', false],
  ['255.255.255.255', 'broadcast', false],
  ['64:ff9b::a00:1', 'rfc6052', false],
  ['198.18.0.1', 'reserved', false],
  ['2001:db8::1', 'reserved', false],
]

const publicAddresses = ['93.184.215.14', '2606:4700::1111']

function urlFor(address: string, port?: number): string {
  const host = address.includes(':') ? `[${address}]` : address
  return `http://${host}${port === undefined ? '' : `:${port}`}/hooks`
}

async function assertRefused(
  guard: TargetGuard,
  url: string,
  expected: { range: string; metadata?: boolean; message?: RegExp },
): Promise<void> {
  await assert.rejects(guard.assertAllowed(url), (error: unknown) => {
    assert.ok(error instanceof WebhookTargetError, `${url}: ${String(error)}`)
    assert.ok(error.message.includes(`${expected.range} address`), `${url}: ${error.message}`)
    assert.match(error.message, /^url: .*; webhook targets must be public \(for local development, start the server with WEBHOOK_ALLOW_PRIVATE_TARGETS=true\)$/)
    if (expected.metadata === true) assert.match(error.message, /metadata/, url)
    if (expected.message !== undefined) assert.match(error.message, expected.message, url)
    return true
  })
}

describe('classifyAddress', () => {
  it('names the range of every refused address and calls only public unicast public', () => {
    for (const [address, range] of refusedAddresses) assert.equal(classifyAddress(address), range, address)
    for (const address of publicAddresses) assert.equal(classifyAddress(address), 'public', address)
    // What ipaddr.js has no name for outside 2000::/3, e.g. IPv4-compatible ::10.0.0.1.
    assert.equal(classifyAddress('::a00:1'), 'reserved')
    assert.equal(classifyAddress('0x7f.1'), 'invalid')
  })
})

describe('parseWebhookUrl', () => {
  it('takes http and https URLs with a host', () => {
    assert.equal(parseWebhookUrl('https://example.com/hooks?a=1').href, 'https://example.com/hooks?a=1')
    assert.equal(parseWebhookUrl('http://example.com:8080').host, 'example.com:8080')
  })

  it('refuses other schemes, credentials, garbage and overlong URLs without echoing secrets', () => {
    const cases: [url: string, message: RegExp][] = [
      ['ftp://example.com/', /http: or https:, not ftp:/],
      ['file:///etc/passwd', /not file:/],
      ['javascript:alert(1)', /not javascript:/],
      ['data:text/plain,hello', /not data:/],
      ['https://user:hunter2@example.com/', /username or password/],
      ['https://user@example.com/', /username or password/],
      ['not a url', /not a valid URL/],
      [`https://example.com/${'a'.repeat(2048)}`, /at most 2048 characters/],
    ]
    for (const [url, message] of cases) {
      assert.throws(() => parseWebhookUrl(url), (error: unknown) => {
        assert.ok(error instanceof WebhookTargetError, url)
        assert.match(error.message, message, url)
        assert.doesNotMatch(error.message, /hunter2/)
        return true
      })
    }
  })
})

describe('TargetGuard.assertAllowed', () => {
  let dns: DnsServer
  let guard: TargetGuard

  before(async () => {
    dns = await startDnsServer({
      'loopback.test': ['127.0.0.1', '::1'],
      'private.test': ['10.0.0.7'],
      'private6.test': ['fd12:3456::1'],
      'metadata.test': ['169.254.169.254'],
      'metadata6.test': ['fd00:ec2::254'],
      'cgnat.test': ['100.100.100.200'],
      'mapped.test': ['::ffff:10.0.0.1'],
      'nat64.test': ['64:ff9b::a00:1'],
      'mixed.test': ['93.184.215.14', '192.168.1.10'],
      'public.test': ['93.184.215.14', '2606:4700::1111'],
      'public6.test': ['2606:4700::1111'],
      'norecords.test': [],
    })
    guard = new TargetGuard({ allowPrivateTargets: false, dnsServers: [dns.server] })
  })

  after(async () => {
    await guard.close()
    await dns.close()
  })

  it('refuses every non-public class given as an IP literal, naming the class', async () => {
    for (const [address, range, metadata] of refusedAddresses) {
      await assertRefused(guard, urlFor(address), { range, metadata })
    }
    await assertRefused(guard, 'http://[::ffff:10.0.0.1]:8080/hooks', { range: 'private' })
    // WHATWG URL reads these as 127.0.0.1; they must not slip past as "host names".
    await assertRefused(guard, 'http://0x7f.1/', { range: 'loopback' })
    await assertRefused(guard, 'http://2130706433/', { range: 'loopback' })
  })

  it('refuses names that resolve to non-public addresses, naming the address and the class', async () => {
    const cases: [name: string, range: string, metadata: boolean][] = [
      ['loopback.test', 'loopback', false],
      ['private.test', 'private', false],
      ['private6.test', 'uniqueLocal', false],
      ['metadata.test', 'linkLocal', true],
      ['metadata6.test', 'uniqueLocal', true],
      ['cgnat.test', 'carrierGradeNat', true],
      ['mapped.test', 'private', false],
      ['nat64.test', 'rfc6052', false],
    ]
    for (const [name, range, metadata] of cases) {
      await assertRefused(guard, `https://${name}/hooks`, { range, metadata, message: /resolves to / })
    }
    await assertRefused(guard, 'https://private.test/hooks', {
      range: 'private',
      message: /^url: https:\/\/private\.test\/hooks resolves to 10\.0\.0\.7, a private address; webhook targets must be public \(for local development, start the server with WEBHOOK_ALLOW_PRIVATE_TARGETS=true\)$/,
    })
  })

  it('refuses a name when any one of its addresses is not public', async () => {
    await assertRefused(guard, 'https://mixed.test/', { range: 'private', message: /192\.168\.1\.10/ })
  })

  it('refuses names that do not resolve', async () => {
    for (const url of ['https://nowhere.test/', 'https://norecords.test/']) {
      await assert.rejects(guard.assertAllowed(url), (error: unknown) => {
        assert.ok(error instanceof WebhookTargetError, url)
        assert.match(error.message, /could not be resolved/)
        return true
      })
    }
  })

  it('allows public addresses by literal and by name', async () => {
    for (const address of publicAddresses) {
      assert.equal((await guard.assertAllowed(urlFor(address))).href, urlFor(address))
    }
    for (const url of ['https://public.test/hooks', 'https://PUBLIC6.test:8443/hooks']) {
      assert.ok((await guard.assertAllowed(url)) instanceof URL, url)
    }
  })

  it('refuses localhost through the system resolver', async () => {
    const systemGuard = new TargetGuard({ allowPrivateTargets: false })
    try {
      await assertRefused(systemGuard, 'http://localhost:8080/hooks', { range: 'loopback' })
    } finally {
      await systemGuard.close()
    }
  })

  it('lets private targets through when allowed, but still refuses bad syntax and unknown names', async () => {
    const localGuard = new TargetGuard({ allowPrivateTargets: true, dnsServers: [dns.server] })
    try {
      assert.ok(await localGuard.assertAllowed('http://127.0.0.1:3000/'))
      assert.ok(await localGuard.assertAllowed('http://[::1]:3000/'))
      assert.ok(await localGuard.assertAllowed('http://loopback.test:3000/'))
      await assert.rejects(localGuard.assertAllowed('ftp://127.0.0.1/'), WebhookTargetError)
      await assert.rejects(localGuard.assertAllowed('http://nowhere.test/'), WebhookTargetError)
    } finally {
      await localGuard.close()
    }
  })
})

describe('TargetGuard.dispatcher', () => {
  let dns: DnsServer
  let receiver: ReturnType<typeof createServer>
  let port: number
  let received = 0

  before(async () => {
    receiver = createServer((_request, response) => {
      received++
      response.end('ok')
    })
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
    port = (receiver.address() as AddressInfo).port
    // rebind.test stands for a name that was public when the webhook was created and points
    // inside now: only the check at connect time stands between it and the receiver.
    dns = await startDnsServer({ 'rebind.test': ['127.0.0.1'] })
  })

  after(async () => {
    await dns.close()
    await new Promise<void>((resolve, reject) => receiver.close((error) => (error ? reject(error) : resolve())))
  })

  const deliver = (guard: TargetGuard, url: string) =>
    request(url, {
      method: 'POST',
      dispatcher: guard.dispatcher,
      headers: { 'content-type': 'application/json' },
      body: '{}',
    })

  it('refuses loopback deliveries by literal and by name, before any byte reaches the receiver', async () => {
    const guard = new TargetGuard({ allowPrivateTargets: false, dnsServers: [dns.server] })
    try {
      const cases: [url: string, message: RegExp][] = [
        [`http://127.0.0.1:${port}/hooks`, /^127\.0\.0\.1 is a loopback address; webhook targets must be public \(for local development, start the server with WEBHOOK_ALLOW_PRIVATE_TARGETS=true\)$/],
        [`http://[::1]:${port}/hooks`, /^::1 is a loopback address/],
        [`http://[::ffff:127.0.0.1]:${port}/hooks`, /^::ffff:7f00:1 is a loopback address/],
        [`http://rebind.test:${port}/hooks`, /^rebind\.test resolves to 127\.0\.0\.1, a loopback address/],
      ]
      for (const [url, message] of cases) {
        await assert.rejects(deliver(guard, url), (error: unknown) => {
          const refusal = findTargetError(error)
          assert.ok(refusal instanceof WebhookTargetError, `${url}: ${String(error)}`)
          assert.match(refusal.message, message)
          return true
        })
      }
      assert.equal(received, 0)
    } finally {
      await guard.close()
    }
  })

  it('delivers to the same targets when private targets are allowed, through the pinned lookup', async () => {
    const guard = new TargetGuard({ allowPrivateTargets: true, dnsServers: [dns.server] })
    try {
      for (const url of [`http://127.0.0.1:${port}/hooks`, `http://rebind.test:${port}/hooks`]) {
        const response = await deliver(guard, url)
        assert.equal(response.statusCode, 200, url)
        assert.equal(await response.body.text(), 'ok')
      }
      assert.equal(received, 2)
    } finally {
      received = 0
      await guard.close()
    }
  })
})

describe('findTargetError', () => {
  it('finds the refusal through causes and aggregates, and nothing else', () => {
    const refusal = new WebhookTargetError('10.0.0.1 is a private address; webhook targets must be public')
    assert.equal(findTargetError(refusal), refusal)
    assert.equal(findTargetError(new Error('request failed', { cause: new Error('connect', { cause: refusal }) })), refusal)
    assert.equal(findTargetError(new AggregateError([new Error('ECONNREFUSED'), refusal])), refusal)
    assert.equal(findTargetError(new Error('ECONNREFUSED')), undefined)
    assert.equal(findTargetError('refused'), undefined)
    const cyclic: Error & { cause?: unknown } = new Error('cyclic')
    cyclic.cause = cyclic
    assert.equal(findTargetError(cyclic), undefined)
  })
})
