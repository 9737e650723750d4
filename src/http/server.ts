import { randomUUID } from 'node:crypto'

import Fastify, { LogController, type FastifyInstance, type RouteOptions } from 'fastify'
import type { Logger } from 'pino'

import { SeamApiError } from '../domain/errors.ts'
import { schemasPerOption } from '../domain/param-schemas.ts'
import type { EventStore } from '../store/store.ts'
import type { TargetGuard } from '../domain/webhook-target-guard.ts'
import { authenticate } from './authenticate.ts'
import { consolePlugin } from './console.ts'
import { registerDocsPage } from './docs-page.ts'
import { EventStreamHub } from './event-stream-hub.ts'
import { sendError, toSeamApiError } from './error-reply.ts'
import { collectParams } from './request-params.ts'
import type { RouteContext, SeamRoute } from './route.ts'
import { getEventRoute } from './routes/events/get.ts'
import { eventHistogramRoute } from './routes/events/histogram.ts'
import { listEventsRoute } from './routes/events/list.ts'
import { publishEventsRoute } from './routes/events/publish.ts'
import {
  eventStreamMethods,
  eventStreamPath,
  eventStreamDocs,
  registerEventStreamRoute,
} from './routes/events/stream.ts'
import { healthRoute, readyRoute } from './routes/health.ts'
import { assertRoutesDocumented, buildOpenApiDocument } from './openapi-document.ts'
import { openApiRoute } from './routes/openapi.ts'
import { createWebhookRoute } from './routes/webhooks/create.ts'
import { deleteWebhookRoute } from './routes/webhooks/delete.ts'
import { listDeliveriesRoute } from './routes/webhooks/deliveries/list.ts'
import { retryDeliveryRoute } from './routes/webhooks/deliveries/retry.ts'
import { getWebhookRoute } from './routes/webhooks/get.ts'
import { listWebhooksRoute } from './routes/webhooks/list.ts'
import { getRecoveryRoute } from './routes/webhooks/recoveries/get.ts'
import { recoverWebhookRoute } from './routes/webhooks/recover.ts'
import { rotateWebhookSecretRoute } from './routes/webhooks/rotate-secret.ts'
import { updateWebhookRoute } from './routes/webhooks/update.ts'

export const routes: readonly SeamRoute[] = [
  listEventsRoute,
  getEventRoute,
  publishEventsRoute,
  eventHistogramRoute,
  createWebhookRoute,
  listWebhooksRoute,
  getWebhookRoute,
  updateWebhookRoute,
  deleteWebhookRoute,
  rotateWebhookSecretRoute,
  recoverWebhookRoute,
  getRecoveryRoute,
  listDeliveriesRoute,
  retryDeliveryRoute,
  healthRoute,
  readyRoute,
  openApiRoute,
]

/**
 * Made on first request, once per setting (the document only changes with
 * allowUnknownEventTypes): generating it takes 0.1 to 0.2 s, which start-up, held under a second
 * (docs/benchmarks.md), cannot spare. Start-up still checks that every route has its docs, and
 * test/openapi.test.ts generates the document for both settings.
 */
const documentedRoutes = [...routes, eventStreamDocs]
const openApiJsonFor = schemasPerOption((options) =>
  JSON.stringify(buildOpenApiDocument(documentedRoutes, options)),
)

export const maxBodyBytes = 1024 * 1024

export interface BuildServerOptions {
  store: EventStore
  logger: Logger
  allowUnknownEventTypes: boolean
  targetGuard: TargetGuard
  /** Called after a request queued deliveries: wakes a worker running in this process. */
  deliveriesQueued?: () => void
  /** Sees each route as Fastify registers it: tests hold the API reference to what is served. */
  onRoute?: (route: RouteOptions) => void
  /** How often an idle event stream sends a heartbeat comment, and reads on unwoken. */
  stream?: { heartbeatMs: number; pollMs: number }
}

export function buildServer({
  store,
  logger,
  allowUnknownEventTypes,
  targetGuard,
  deliveriesQueued = () => {},
  onRoute,
  stream = { heartbeatMs: 15_000, pollMs: 5000 },
}: BuildServerOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: maxBodyBytes,
    // Request ids are ours: a client-sent id would let callers forge log correlation.
    requestIdHeader: false,
    genReqId: () => randomUUID(),
    // One access-log line per request (the onResponse hook below) instead of Fastify's two:
    // logging was a fifth of the CPU time of an events/list call.
    logController: new LogController({ requestIdLogLabel: 'request_id', disableRequestLogging: true }),
    // Keep-alive connections that sit idle must not hold up a graceful shutdown.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    frameworkErrors: (error, request, reply) => {
      reply.header('seam-request-id', request.id)
      sendError(reply, request, toSeamApiError(error, request))
    },
  }) as unknown as FastifyInstance

  if (onRoute !== undefined) app.addHook('onRoute', onRoute)

  const context: RouteContext = {
    store,
    allowUnknownEventTypes,
    targetGuard,
    deliveriesQueued,
    openApiJson: () => openApiJsonFor({ allowUnknownEventTypes }),
  }
  assertRoutesDocumented(documentedRoutes)

  app.addHook('onRequest', async (request, reply) => {
    reply.header('seam-request-id', request.id)
  })
  app.addHook('onResponse', async (request, reply) => {
    // A stream that started logs its own line when it ends, with what it sent.
    if (request.routeOptions.url === eventStreamPath && reply.statusCode === 200) return
    request.log.info(
      {
        method: request.method,
        url: request.url,
        status_code: reply.statusCode,
        response_time_ms: Math.round(reply.elapsedTime * 100) / 100,
      },
      'request',
    )
  })

  // JSON only: any other body is refused as invalid_content_type. An empty JSON body means
  // "no parameters"; anything else must parse (with prototype-poisoning protection).
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (typeof body === 'string' && body.trim() === '') {
      done(null, undefined)
      return
    }
    parseJson(request, body as string, done)
  })
  // An empty body of any other type is no parameters too: @seamapi/http 1.x sends
  // `events.list()` without arguments as an empty form-encoded POST, which must get the same
  // "Must specify either since or between" as every other client.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => {
    if ((body as Buffer).length === 0) done(null, undefined)
    else done(new SeamApiError('invalid_content_type', 'Send the request body as JSON, with content-type: application/json'))
  })

  app.setErrorHandler((error, request, reply) => {
    sendError(reply, request, toSeamApiError(error, request))
  })

  const methodsByPath = new Map<string, readonly string[]>(routes.map((route) => [route.path, route.methods]))
  methodsByPath.set(eventStreamPath, eventStreamMethods)
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? ''
    const methods = methodsByPath.get(path)
    if (methods !== undefined) {
      reply.header('allow', methods.join(', '))
      sendError(
        reply,
        request,
        new SeamApiError(
          'method_not_allowed',
          `${request.method} is not allowed on ${path}; use ${methods.join(' or ')}`,
        ),
      )
      return
    }
    sendError(reply, request, new SeamApiError('not_found', `No route for ${request.method} ${path}`))
  })

  registerDocsPage(app)

  for (const route of routes) {
    app.route({
      method: [...route.methods],
      url: route.path,
      handler: async (request, reply) => {
        const apiKey =
          route.access === null ? null : await authenticate(store, request, route.access)
        const params = collectParams(request)
        const body = await route.handle({ params, apiKey, request, context })
        reply.type('application/json; charset=utf-8')
        return body
      },
    })
  }

  const streams = new EventStreamHub(store, logger, stream.pollMs)
  registerEventStreamRoute(app, context, streams, stream)
  // Open streams never finish on their own: end them before the server waits for requests.
  app.addHook('preClose', (done) => {
    streams.endAll()
    done()
  })
  app.addHook('onClose', async () => {
    await streams.stop()
  })

  void app.register(consolePlugin)

  return app
}
