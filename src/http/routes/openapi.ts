import { z } from '../../domain/documented-zod.ts'
import type { SeamRoute } from '../route.ts'

/** The API reference, made from every route's `docs`; /docs renders it. */
export const openApiRoute: SeamRoute = {
  path: '/openapi.json',
  methods: ['GET'],
  access: null,
  docs: {
    tag: 'reference',
    summary: 'This document',
    description: 'The OpenAPI 3.1 document of every route, as this server is configured.',
    params: null,
    response: z.object({ openapi: z.literal('3.1.0') }).passthrough(),
  },
  async handle({ context }) {
    return context.openApiJson()
  },
}
