// Webhook URLs come from API clients, but deliveries leave from inside our network: unchecked, a
// client could make this server POST to 127.0.0.1, a cloud metadata endpoint or anything else
// only we can reach (SSRF). The guard checks twice, through the same resolver:
// - when a webhook is created, assertAllowed refuses a host that is or resolves to a non-public
//   address, so the client learns at once;
// - when a delivery connects, the dispatcher resolves the name itself, refuses non-public answers
//   and hands the checked address to the socket. The address checked is the address connected,
//   so a name that was public at create time and points at 10.0.0.1 now (DNS rebinding) is still
//   refused.

import dns from 'node:dns'
import { isIP } from 'node:net'
import type { LookupFunction } from 'node:net'

import ipaddr from 'ipaddr.js'
import { Agent, buildConnector } from 'undici'
import type { Dispatcher } from 'undici'

export interface TargetGuardOptions {
  /** Local development and tests: allow loopback/private targets. */
  allowPrivateTargets: boolean
  /** "host:port" DNS servers to resolve webhook host names with (c-ares dns.Resolver, resolve4+resolve6). Absent or empty: the system resolver (dns.lookup with all: true, which honours /etc/hosts). */
  dnsServers?: readonly string[]
}

/** A refused webhook URL; `message` is safe to show to API clients (never includes stack or internals). */
export class WebhookTargetError extends Error {
  /** What is wrong, without the parameter's name: what an API error lists under that parameter. */
  readonly reason: string

  /** `parameter`: the request parameter the URL came in (create and update time), if any. */
  constructor(reason: string, parameter?: string) {
    super(parameter === undefined ? reason : `${parameter}: ${reason}`)
    this.name = 'WebhookTargetError'
    this.reason = reason
  }
}

/** A webhook URL as given in the `url` parameter is refused. */
function refusedUrl(reason: string): WebhookTargetError {
  return new WebhookTargetError(reason, 'url')
}

const maxUrlLength = 2048

/** Syntax only: parses, requires http: or https:, a host, no username/password in the URL, length <= 2048. Throws WebhookTargetError. Returns the parsed URL. */
export function parseWebhookUrl(url: string): URL {
  if (url.length > maxUrlLength) {
    throw refusedUrl(`must be at most ${maxUrlLength} characters`)
  }
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw refusedUrl('not a valid URL')
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw refusedUrl(`must use http: or https:, not ${parsed.protocol}`)
  }
  // Neither the message nor anything else may echo the URL here: it carries a password.
  if (parsed.username !== '' || parsed.password !== '') {
    throw refusedUrl('must not contain a username or password')
  }
  if (parsed.hostname === '') throw refusedUrl('must name a host')
  // Normalising can lengthen the URL (percent-encoding); the stored, delivered form is the limit.
  if (parsed.href.length > maxUrlLength) {
    throw refusedUrl(`must be at most ${maxUrlLength} characters`)
  }
  return parsed
}

// ipaddr.js names every IPv6 address outside its special ranges 'unicast', including ::/8
// (IPv4-compatible ::a00:1 and the like) and unallocated space; only 2000::/3 is handed out
// as global unicast.
const ipv6GlobalUnicast = ipaddr.IPv6.parseCIDR('2000::/3')

// Already refused by their ranges; named so that the message says why that address matters.
// AWS, GCP, Azure and Oracle use 169.254.169.254, AWS over IPv6 fd00:ec2::254, Alibaba
// 100.100.100.200.
const metadataAddresses = new Set(
  ['169.254.169.254', 'fd00:ec2::254', '100.100.100.200'].map((address) => unmapped(ipaddr.parse(address)).toNormalizedString()),
)

/** 'public' or the ipaddr.js range name (e.g. 'loopback', 'private', 'linkLocal', 'uniqueLocal', 'carrierGradeNat', 'unspecified', 'multicast', 'reserved', 'broadcast', ...). IPv4-mapped IPv6 (::ffff:10.0.0.1, also the hex form ::ffff:a00:1) is classified by the IPv4 address it maps. Anything not plainly public unicast (6to4, teredo, NAT64 64:ff9b::/96, rfc6145, documentation ranges, benchmarking 198.18/15, 0.0.0.0/8, 240/4, etc.) counts as not public. */
export function classifyAddress(address: string): string {
  // net.isIP first: ipaddr.js also accepts legacy forms like '0x7f.1' and '2130706433', which are
  // not addresses a resolver returns and which net.connect would treat as host names.
  if (isIP(address) === 0) return 'invalid'
  const parsed = unmapped(ipaddr.parse(address))
  const range = parsed.range()
  if (range !== 'unicast') return range
  if (parsed instanceof ipaddr.IPv6 && !parsed.match(ipv6GlobalUnicast)) return 'reserved'
  return 'public'
}

function unmapped(address: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | ipaddr.IPv6 {
  return address instanceof ipaddr.IPv6 && address.isIPv4MappedAddress() ? address.toIPv4Address() : address
}

function isMetadataAddress(address: string): boolean {
  return isIP(address) !== 0 && metadataAddresses.has(unmapped(ipaddr.parse(address)).toNormalizedString())
}

/** "a loopback address", "a linkLocal address (a cloud metadata endpoint)". */
function describeRange(address: string, range: string): string {
  const article = /^(?:[aeio]|un[^i])/.test(range) ? 'an' : 'a'
  const metadata = isMetadataAddress(address) ? ' (a cloud metadata endpoint)' : ''
  return `${article} ${range} address${metadata}`
}

// Names the setting, so that a developer pointing a webhook at their laptop learns the way.
const mustBePublic =
  'webhook targets must be public (for local development, start the server with WEBHOOK_ALLOW_PRIVATE_TARGETS=true)'

/**
 * Walks `.cause` chains (and AggregateError's `errors`) to the WebhookTargetError that refused a
 * delivery: undici may hand the connect error back as-is or wrapped.
 */
export function findTargetError(error: unknown): WebhookTargetError | undefined {
  const seen = new Set<unknown>()
  const pending: unknown[] = [error]
  while (pending.length > 0) {
    const current = pending.shift()
    if (current instanceof WebhookTargetError) return current
    if (typeof current !== 'object' || current === null || seen.has(current)) continue
    seen.add(current)
    if ('cause' in current) pending.push(current.cause)
    if (current instanceof AggregateError) pending.push(...current.errors)
  }
  return undefined
}

type Resolve = (hostname: string) => Promise<string[]>

const systemResolve: Resolve = async (hostname) =>
  (await dns.promises.lookup(hostname, { all: true })).map((entry) => entry.address)

function serverResolve(servers: readonly string[]): Resolve {
  const resolver = new dns.promises.Resolver()
  resolver.setServers(servers)
  return async (hostname) => {
    const results = await Promise.allSettled([resolver.resolve4(hostname), resolver.resolve6(hostname)])
    const addresses = results.flatMap((result) => (result.status === 'fulfilled' ? result.value : []))
    if (addresses.length > 0) return addresses
    // Prefer the failure that says something (a timeout, a refused server) over "no such record".
    const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []))
    throw (
      failures.find((failure) => !isNoRecordError(failure)) ??
      failures[0] ??
      Object.assign(new Error(`${hostname} has no A or AAAA record`), { code: dns.NODATA })
    )
  }
}

function isNoRecordError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return code === dns.NOTFOUND || code === dns.NODATA
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : 'unknown error'
}

export class TargetGuard {
  /** An undici Dispatcher (an Agent) for delivery requests. Its connect uses a custom `lookup` that resolves through the same resolver, refuses non-public addresses (unless allowed) by failing the connection with a WebhookTargetError, and hands the checked address to the socket, so the address that was checked is the address connected (pinned: no DNS-rebinding window). IP-literal hosts never reach `lookup` in Node's net.connect, so the dispatcher checks literals before connecting. TLS still verifies against the host name (servername). Connections are keep-alive pooled. */
  readonly dispatcher: Dispatcher
  readonly #agent: Agent
  readonly #allowPrivateTargets: boolean
  readonly #resolve: Resolve

  constructor(options: TargetGuardOptions) {
    this.#allowPrivateTargets = options.allowPrivateTargets
    const servers = options.dnsServers ?? []
    this.#resolve = servers.length > 0 ? serverResolve(servers) : systemResolve

    // The lookup is passed through to net.connect / tls.connect; undici still sets servername from
    // the URL's host, so certificates are checked against the name, not the pinned address.
    const connect = buildConnector({ lookup: this.#lookup })
    this.#agent = new Agent({
      connect: (connectOptions, callback) => {
        // net.connect skips `lookup` for an IP literal (undici has already taken the brackets off
        // an IPv6 one), so literals are checked here.
        const refusal = isIP(connectOptions.hostname) === 0 ? undefined : this.#refuseLiteral(connectOptions.hostname)
        if (refusal === undefined) return connect(connectOptions, callback)
        // Later, as a socket error would arrive: undici's client is still inside its connect call.
        process.nextTick(() => callback(refusal, null))
      },
    })
    this.dispatcher = this.#agent
  }

  /** Create time: parseWebhookUrl, then resolve the host (or take the IP literal, including bracketed IPv6) and throw WebhookTargetError naming the class, e.g. 'url: http://x.test/ resolves to 10.0.0.1, a private address; webhook targets must be public', when ANY resolved address is not public (unless allowPrivateTargets). Also throws WebhookTargetError when the name does not resolve. */
  async assertAllowed(url: string): Promise<URL> {
    const parsed = parseWebhookUrl(url)
    const host = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname
    if (isIP(host) !== 0) {
      const range = this.#refusedRange(host)
      if (range !== undefined) {
        throw refusedUrl(`${parsed.href} points to ${host}, ${describeRange(host, range)}; ${mustBePublic}`)
      }
      return parsed
    }
    let addresses: string[]
    try {
      addresses = await this.#resolve(host)
    } catch (error) {
      throw refusedUrl(`${parsed.href} could not be resolved (${errorCode(error)})`)
    }
    for (const address of addresses) {
      const range = this.#refusedRange(address)
      if (range !== undefined) {
        throw refusedUrl(
          `${parsed.href} resolves to ${address}, ${describeRange(address, range)}; ${mustBePublic}`,
        )
      }
    }
    return parsed
  }

  close(): Promise<void> {
    return this.#agent.close()
  }

  /** The address's range when it is refused; undefined when it may be connected to. */
  #refusedRange(address: string): string | undefined {
    if (this.#allowPrivateTargets) return undefined
    const range = classifyAddress(address)
    return range === 'public' ? undefined : range
  }

  #refuseLiteral(address: string): WebhookTargetError | undefined {
    const range = this.#refusedRange(address)
    if (range === undefined) return undefined
    return new WebhookTargetError(`${address} is ${describeRange(address, range)}; ${mustBePublic}`)
  }

  /** A net.connect lookup that only ever answers with addresses that passed the check. */
  readonly #lookup: LookupFunction = (hostname, options, callback) => {
    this.#checkedAddresses(hostname, options).then(
      (addresses) => {
        if (options.all === true) {
          callback(null, addresses.map((address) => ({ address, family: isIP(address) })))
        } else {
          const [first = ''] = addresses
          callback(null, first, isIP(first))
        }
      },
      (error: NodeJS.ErrnoException) => callback(error, []),
    )
  }

  async #checkedAddresses(hostname: string, options: dns.LookupOptions): Promise<string[]> {
    const addresses = await this.#resolve(hostname)
    // Every answer, not only the one connected to: with happy eyeballs (autoSelectFamily) net
    // may try any of them, and one bad answer means the name is not a safe target.
    for (const address of addresses) {
      const range = this.#refusedRange(address)
      if (range !== undefined) {
        throw new WebhookTargetError(`${hostname} resolves to ${address}, ${describeRange(address, range)}; ${mustBePublic}`)
      }
    }
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : (options.family ?? 0)
    const usable = family === 0 ? addresses : addresses.filter((address) => isIP(address) === family)
    if (usable.length === 0) {
      throw Object.assign(new Error(`${hostname} has no IPv${family} address`), { code: dns.NOTFOUND })
    }
    return usable
  }
}
