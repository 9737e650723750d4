// The listener /metrics is served on: an address of its own (METRICS_LISTEN), never the API's
// port, because it shows figures of every workspace (webhook ids, backlogs) that no API key may
// see. A plain node:http server rather than a second Fastify: it answers one path, and `worker`,
// which has no HTTP server, serves it the same way.

import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

import type { Logger } from 'pino'

import type { MetricsListenConfig } from '../config.ts'
import type { ServiceMetrics } from './service-metrics.ts'

export const metricsPath = '/metrics'

export interface MetricsServer {
  /** `http://host:port`, the listener's own address. */
  endpoint: string
  close(): Promise<void>
}

/** The listener cannot listen where METRICS_LISTEN says; the message is one line naming the fix. */
export class MetricsListenError extends Error {
  override name = 'MetricsListenError'
}

export async function startMetricsServer(
  metrics: ServiceMetrics,
  listen: MetricsListenConfig,
  logger: Logger,
): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0]
    if (path !== metricsPath) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(`Only ${metricsPath} is served here\n`)
      return
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('Use GET\n')
      return
    }
    metrics.render().then(
      (text) => {
        response.writeHead(200, { 'content-type': metrics.contentType })
        response.end(request.method === 'HEAD' ? undefined : text)
      },
      (error: unknown) => {
        logger.error({ err: error }, 'metrics: rendering failed')
        response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('Rendering the metrics failed\n')
      },
    )
  })
  // A scrape is short; a connection left idle must not hold up a shutdown.
  server.keepAliveTimeout = 5000
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(metricsListenError(error, listen)))
    server.listen(listen.port, listen.host, () => resolve())
  })
  const { port } = server.address() as AddressInfo
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host
  const endpoint = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${port}`
  logger.info({ endpoint: `${endpoint}${metricsPath}` }, 'serving metrics')
  return {
    endpoint,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

function metricsListenError(error: unknown, listen: MetricsListenConfig): Error {
  const code = (error as { code?: unknown } | null)?.code
  const where = `${listen.host}:${listen.port}`
  switch (code) {
    case 'EADDRINUSE':
      return new MetricsListenError(
        `cannot serve metrics on ${where}: the port is already in use; choose another with --metrics-listen or METRICS_LISTEN`,
      )
    case 'EACCES':
      return new MetricsListenError(
        `not allowed to serve metrics on ${where}: ports below 1024 need privileges; choose another with --metrics-listen or METRICS_LISTEN`,
      )
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new MetricsListenError(
        `cannot serve metrics on ${where}: ${listen.host} is not an address of this machine; set --metrics-listen or METRICS_LISTEN (such as 127.0.0.1:9464)`,
      )
    default:
      return error instanceof Error ? error : new Error(String(error))
  }
}
