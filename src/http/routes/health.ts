import { SeamApiError } from '../../domain/errors.ts'
import type { SeamRoute } from '../route.ts'

/** Liveness: the process answers. Never touches the database, so a slow disk cannot fail it. */
export const healthRoute: SeamRoute = {
  path: '/health',
  methods: ['GET'],
  access: null,
  async handle() {
    return JSON.stringify({ status: 'ok', ok: true })
  },
}

/** Readiness: the database answers, so a load balancer can route traffic here. */
export const readyRoute: SeamRoute = {
  path: '/ready',
  methods: ['GET'],
  access: null,
  async handle({ context, request }) {
    try {
      await context.store.ping()
    } catch (error) {
      request.log.error({ err: error }, 'readiness check failed')
      throw new SeamApiError('service_unavailable', 'The database is not reachable')
    }
    return JSON.stringify({ status: 'ready', ok: true })
  },
}
