import { randomUUID } from 'node:crypto'

import Fastify, { LogController, type FastifyInstance, type FastifyRequest, type RouteOptions } from 'fastify'
import type { Logger } from 'pino'

import type { RequestLimitsConfig } from '../config.ts'
import { SeamApiError } from '../domain/errors.ts'
import { assertJsonDepth } from '../domain/json-depth.ts'
import { schemasPerOption } from '../domain/param-schemas.ts'
import { systemClock, type Clock } from '../clock.ts'
import type { ApiKey, Store } from '../store/store.ts'
import type { TargetGuard } from '../domain/webhook-target-guard.ts'
import { unmatchedRoute, type HttpMetrics } from '../metrics/service-metrics.ts'
import { Admission } from './admission.ts'
import type { RequiredAccess } from './authenticate.ts'
import { consolePlugin } from './console.ts'
import { registerDocsPage } from './docs-page.ts'
import { EventStreamHub } from './event-stream-hub.ts'
import { answerClientError, sendError, toSeamApiError } from './error-reply.ts'
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
import { getDeliveryRoute } from './routes/webhooks/deliveries/get.ts'
import { retryFailedDeliveriesRoute } from './routes/webhooks/deliveries/retry-failed.ts'
import { retryDeliveryRoute } from './routes/webhooks/deliveries/retry.ts'
import { sendTestEventRoute } from './routes/webhooks/send-test-event.ts'
import { getWorkspaceRoute } from './routes/workspaces/get.ts'
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
  getDeliveryRoute,
  retryFailedDeliveriesRoute,
  sendTestEventRoute,
  getWorkspaceRoute,
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
  store: Store
  /** The time the server runs on (default the system's); tests move it. */
  clock?: Clock
  logger: Logger
  allowUnknownEventTypes: boolean
  limits: RequestLimitsConfig
  /** The base URL of the links the server returns; default: the request's Host. */
  publicUrl?: string | undefined
  /**
   * False while the database is still being reached at start: every route that needs it (and
   * /ready) answers 503 until then. Default: always ready.
   */
  databaseReady?: () => boolean
  targetGuard: TargetGuard
  /** Called after a request queued deliveries: wakes a worker running in this process. */
  deliveriesQueued?: () => void
  /** Sees each route as Fastify registers it: tests hold the API reference to what is served. */
  onRoute?: (route: RouteOptions) => void
  /** How often an idle event stream sends a heartbeat comment, and reads on unwoken. */
  stream?: { heartbeatMs: number; pollMs: number }
  /** Where requests, publishes and open streams are counted for /metrics; none when it is off. */
  metrics?: HttpMetrics | undefined
}

export function buildServer({
  store,
  clock = systemClock,
  logger,
  allowUnknownEventTypes,
  limits,
  publicUrl,
  databaseReady = () => true,
  targetGuard,
  deliveriesQueued = () => {},
  onRoute,
  stream = { heartbeatMs: 15_000, pollMs: 5000 },
  metrics,
}: BuildServerOptions): FastifyInstance {
  const requestTimeoutMs = limits.requestTimeoutSeconds * 1000
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: maxBodyBytes,
    // A request (headers and body) not received whole in time is answered 408 and closed, so
    // that slow clients cannot hold connections forever. Only receiving counts: a long
    // response, such as an event stream, is not cut.
    requestTimeout: requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutSeconds * 1000,
    http: {
      // Node checks headersTimeout <= requestTimeout when it makes the server, before Fastify
      // sets requestTimeout on it, so both go here too.
      requestTimeout: requestTimeoutMs,
      headersTimeout: requestTimeoutMs,
      // Node checks the timeouts this often (30 s by default, which would let a request run
      // to twice its timeout).
      connectionsCheckingInterval: Math.max(100, Math.min(1000, requestTimeoutMs / 4)),
    },
    clientErrorHandler: (error, socket) => answerClientError(logger, error, socket),
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

  const admission = new Admission({ store: store.workspaces, limits, databaseReady })
  const admit = (request: FastifyRequest, access: RequiredAccess): Promise<ApiKey> => admission.admit(request, access)

  const context: RouteContext = {
    store,
    clock,
    databaseReady,
    admit,
    allowUnknownEventTypes,
    limits,
    publicUrl,
    targetGuard,
    deliveriesQueued,
    eventsPublished: (count) => metrics?.eventsPublished(count),
    openApiJson: () => openApiJsonFor({ allowUnknownEventTypes }),
  }
  assertRoutesDocumented(documentedRoutes)

  app.addHook('onRequest', async (request, reply) => {
    reply.header('seam-request-id', request.id)
  })
  app.addHook('onResponse', async (request, reply) => {
    // The route's pattern, never the URL: one series per route, whatever clients send.
    metrics?.requestFinished(request.method, request.routeOptions.url ?? unmatchedRoute, reply.statusCode, reply.elapsedTime / 1000)
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
    parseJson(request, body as string, (error, parsed) => {
      if (error !== null) {
        done(error, undefined)
        return
      }
      try {
        assertJsonDepth(parsed)
      } catch (tooDeep) {
        done(tooDeep as Error, undefined)
        return
      }
      done(null, parsed)
    })
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
    if (route.readsOnly === true && route.access !== 'read') {
      throw new Error(`${route.path} says it only reads, but needs a key that may ${route.access}`)
    }
    app.route({
      method: [...route.methods],
      url: route.path,
      handler: async (request, reply) => {
        const { access } = route
        const handle = (apiKey: ApiKey | null): Promise<string> =>
          route.handle({ params: collectParams(request), apiKey, request, context })
        // A route that only reads may run while its key is read (see Admission).
        const body =
          access === null
            ? await handle(null)
            : route.readsOnly === true
              ? await admission.admitReading(request, access, handle)
              : await handle(await admit(request, access))
        reply.type('application/json; charset=utf-8')
        return body
      },
    })
  }

  const streams = new EventStreamHub(store.events, logger, stream.pollMs, clock)
  registerEventStreamRoute(app, context, streams, stream)
  metrics?.observeOpenStreams(() => streams.openStreams)
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
