// Serves the web console (console/, built by `npm run build` into dist/console) at /console.
// The console is static files that use the public API like any client; this process only hands
// them out.

import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

import fastifyStatic from '@fastify/static'
import type { FastifyInstance } from 'fastify'

// Two levels up is the package root both from src/http (tsx) and from dist/http (built).
const consoleDirectory = fileURLToPath(new URL('../../dist/console/', import.meta.url))

/**
 * Everything the console loads comes from this origin: the policy makes a stray external request
 * (a font, a script) fail in the browser tests, and limits what an injected script could reach.
 */
const contentSecurityPolicy = [
  "default-src 'self'",
  "img-src 'self' data:",
  "style-src 'self'",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ')

/** A Fastify plugin: `app.register(consolePlugin)`. */
export async function consolePlugin(app: FastifyInstance): Promise<void> {
  app.get('/console', (_request, reply) => reply.redirect('/console/', 308))

  if (!existsSync(consoleDirectory)) {
    app.get('/console/*', (_request, reply) =>
      reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('The console is not built: run `npm run build` (npm install does it too).\n'),
    )
    return
  }

  await app.register(fastifyStatic, {
    root: consoleDirectory,
    prefix: '/console/',
    // Another plugin may register @fastify/static too; only one may decorate the reply.
    decorateReply: false,
    setHeaders(reply, filePath) {
      reply.header('content-security-policy', contentSecurityPolicy)
      reply.header('x-content-type-options', 'nosniff')
      reply.header('referrer-policy', 'no-referrer')
      // Built assets have content hashes in their names; index.html must be fetched anew.
      reply.header(
        'cache-control',
        filePath.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      )
    },
  })
}
