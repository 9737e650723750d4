// The HTTP ceiling of ingest: a bare Fastify server, with the service's body limit, whose
// POST /events/publish parses the JSON body and answers at once. Run as a child process by
// the ingest workload; prints its port on stdout.

import Fastify from 'fastify'

import { maxBodyBytes } from '../../src/http/server.ts'

const app = Fastify({ bodyLimit: maxBodyBytes })
app.post('/events/publish', async (request) => {
  const { events } = request.body as { events: unknown[] }
  return { ok: true, count: events.length }
})
await app.listen({ port: 0, host: '127.0.0.1' })
const address = app.server.address()
process.stdout.write(`${typeof address === 'object' && address !== null ? address.port : ''}\n`)
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)))
