// A real DNS server on a free loopback port, so that tests resolve webhook host names over UDP
// through c-ares exactly as production does with configured DNS servers, instead of stubbing the
// resolver. It answers A and AAAA from a fixed map, which is all the webhook guard asks.

import { createSocket } from 'node:dgram'
import { isIPv4, isIPv6 } from 'node:net'

import dnsPacket from 'dns-packet'
import type { Answer } from 'dns-packet'

export interface DnsServer {
  /** "127.0.0.1:PORT", the form dns.Resolver#setServers takes. */
  server: string
  /** Changes what a name resolves to from the next query on (ttl is 0): a DNS rebinding. */
  setRecord(name: string, addresses: string[]): void
  close(): Promise<void>
}

// dns-packet encodes the response code as the low four bits of the flags.
const nxdomain = 3

/**
 * Answers A queries with the name's IPv4 addresses and AAAA queries with its IPv6 ones; an empty
 * NOERROR answer when the name exists without a record of that type, NXDOMAIN when it is unknown.
 */
export async function startDnsServer(records: Record<string, string[]>): Promise<DnsServer> {
  const known = new Map(Object.entries(records).map(([name, addresses]) => [canonicalName(name), addresses]))
  const socket = createSocket('udp4')

  socket.on('message', (message, remote) => {
    let query: dnsPacket.DecodedPacket
    try {
      query = dnsPacket.decode(message)
    } catch {
      return // not DNS: dropped, as a real server would
    }
    const questions = query.questions ?? []
    const answers: Answer[] = []
    let unknownName = false
    for (const question of questions) {
      const addresses = known.get(canonicalName(question.name))
      if (addresses === undefined) {
        unknownName = true
      } else if (question.type === 'A') {
        for (const data of addresses.filter((address) => isIPv4(address))) {
          answers.push({ type: 'A', name: question.name, ttl: 0, data })
        }
      } else if (question.type === 'AAAA') {
        for (const data of addresses.filter((address) => isIPv6(address))) {
          answers.push({ type: 'AAAA', name: question.name, ttl: 0, data })
        }
      }
    }
    const response = dnsPacket.encode({
      type: 'response',
      id: query.id ?? 0,
      flags:
        dnsPacket.AUTHORITATIVE_ANSWER |
        ((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED) |
        (unknownName ? nxdomain : 0),
      questions,
      answers,
    })
    socket.send(response, remote.port, remote.address)
  })

  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject)
    socket.bind(0, '127.0.0.1', () => {
      socket.off('error', reject)
      resolve()
    })
  })
  const { port } = socket.address()
  return {
    server: `127.0.0.1:${port}`,
    setRecord: (name, addresses) => void known.set(canonicalName(name), addresses),
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  }
}

// DNS names compare case-insensitively, and a trailing dot only says the name is absolute.
function canonicalName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '')
}
