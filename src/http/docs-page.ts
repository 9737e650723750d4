// GET /docs: the API reference (/openapi.json) rendered by Swagger UI, with "try it out" and an
// Authorize button for the API key. Every file the page loads is served by this process from
// node_modules, and its Content-Security-Policy lets the browser fetch from this origin only: the
// page works offline and tells no third party who reads it.

import { createRequire } from 'node:module'
import { dirname } from 'node:path'

import fastifyStatic from '@fastify/static'
import type { FastifyInstance } from 'fastify'

import { registerEventTypesPage } from './event-types-page.ts'

export const docsPath = '/docs'
const assetsPrefix = '/docs/assets/'

/** The files of swagger-ui-dist the page uses; its sample index.html and petstore set-up are not served. */
const assetFiles = new Set(['/swagger-ui.css', '/swagger-ui-bundle.js', '/favicon-32x32.png', '/favicon-16x16.png'])

const swaggerUiRoot = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'))

// Images may be data: URIs (Swagger UI's icons); styles may be inline (it sets some itself).
export const docsContentSecurityPolicy = [
  "default-src 'self'",
  "img-src 'self' data:",
  "style-src 'self' 'unsafe-inline'",
  "script-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

const page = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>seam-events-server API reference</title>
    <link rel="stylesheet" href="${assetsPrefix}swagger-ui.css">
    <link rel="icon" type="image/png" href="${assetsPrefix}favicon-32x32.png" sizes="32x32">
    <link rel="icon" type="image/png" href="${assetsPrefix}favicon-16x16.png" sizes="16x16">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="${assetsPrefix}swagger-ui-bundle.js"></script>
    <script src="${docsPath}/init.js"></script>
  </body>
</html>
`

// A file rather than an inline script, so that the policy can forbid inline scripts.
const initScript = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  // BaseLayout has no bar for loading another document by URL.
  layout: 'BaseLayout',
  deepLinking: true,
  // The default sends the document to validator.swagger.io for a badge.
  validatorUrl: null,
  // The event model is large; models open on demand.
  defaultModelsExpandDepth: 0,
})
`

export function registerDocsPage(app: FastifyInstance): void {
  app.get(docsPath, async (_request, reply) => {
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', docsContentSecurityPolicy)
    return page
  })
  app.get(`${docsPath}/init.js`, async (_request, reply) => {
    reply.type('text/javascript; charset=utf-8')
    return initScript
  })
  registerEventTypesPage(app)
  void app.register(fastifyStatic, {
    root: swaggerUiRoot,
    prefix: assetsPrefix,
    decorateReply: false,
    index: false,
    allowedPath: (pathName) => assetFiles.has(pathName),
  })
}
