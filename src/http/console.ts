// Serves the web console (console/, built by `npm run build` into dist/console) at /console.
// The console is static files that use the public API like any client; this process only hands
// them out.

import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import fastifyStatic from '@fastify/static'
import type { FastifyInstance, FastifyReply } from 'fastify'

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

const pageHeaders = {
  'content-security-policy': contentSecurityPolicy,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
}

/** A Fastify plugin: `app.register(consolePlugin)`. */
export async function consolePlugin(app: FastifyInstance): Promise<void> {
  // A first-time user opens the bare address: the console is what there is to see. 302, not
  // 301, so that a browser does not remember it should `/` ever serve something else.
  app.get('/', (_request, reply) => reply.redirect('/console', 302))

  if (!existsSync(consoleDirectory)) {
    const notBuilt = (_request: unknown, reply: FastifyReply): FastifyReply =>
      reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('The console is not built: run `npm run build` (npm install does it too).\n')
    app.get('/console', notBuilt)
    app.get('/console/*', notBuilt)
    return
  }

  // The page itself at /console too, not only /console/: its asset URLs are absolute, and a
  // client that does not follow redirects still gets the console.
  const page = readFileSync(join(consoleDirectory, 'index.html'), 'utf8')
  app.get('/console', (_request, reply) =>
    reply
      .headers(pageHeaders)
      .header('cache-control', 'no-cache')
      .type('text/html; charset=utf-8')
      .send(page),
  )

  await app.register(fastifyStatic, {
    root: consoleDirectory,
    prefix: '/console/',
    // Another plugin may register @fastify/static too; only one may decorate the reply.
    decorateReply: false,
    setHeaders(reply, filePath) {
      reply.headers(pageHeaders)
      // Built assets have content hashes in their names; index.html must be fetched anew.
      reply.header(
        'cache-control',
        filePath.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      )
    },
  })
}
