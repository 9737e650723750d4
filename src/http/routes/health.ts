import { z } from '../../domain/documented-zod.ts'
import { SeamApiError } from '../../domain/errors.ts'
import { okBody } from '../response-schemas.ts'
import type { SeamRoute } from '../route.ts'

/** Liveness: the process answers. Never touches the database, so a slow disk cannot fail it. */
export const healthRoute: SeamRoute = {
  path: '/health',
  methods: ['GET'],
  access: null,
  docs: {
    tag: 'health',
    summary: 'Liveness',
    description: 'The process answers. Never touches the database.',
    params: null,
    response: okBody({ status: z.literal('ok') }),
  },
  async handle() {
    return JSON.stringify({ status: 'ok', ok: true })
  },
}

/** Readiness: the database answers, so a load balancer can route traffic here. */
export const readyRoute: SeamRoute = {
  path: '/ready',
  methods: ['GET'],
  access: null,
  docs: {
    tag: 'health',
    summary: 'Readiness',
    description:
      'The database answers, so a load balancer can route traffic here. While `serve` is still ' +
      'reaching its database at start (DATABASE_CONNECT_TIMEOUT_SECONDS), 503.',
    params: null,
    response: okBody({ status: z.literal('ready') }),
    errors: ['service_unavailable'],
  },
  async handle({ context, request }) {
    if (!context.databaseReady()) {
      throw new SeamApiError('service_unavailable', 'The server is still connecting to its database')
    }
    try {
      await context.store.ping()
    } catch (error) {
      request.log.error({ err: error }, 'readiness check failed')
      throw new SeamApiError('service_unavailable', 'The database is not reachable')
    }
    return JSON.stringify({ status: 'ready', ok: true })
  },
}
