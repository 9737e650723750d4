import { z } from '../../../domain/documented-zod.ts'
import { okBody } from '../../response-schemas.ts'
import { workspaceOf, type SeamRoute } from '../../route.ts'
import { webhookSchema, webhooksWithStats } from './webhook-json.ts'

export const listWebhooksRoute: SeamRoute = {
  path: '/webhooks/list',
  methods: ['GET', 'POST'],
  access: 'read',
  readsOnly: true,
  docs: {
    tag: 'webhooks',
    summary: 'List webhooks',
    description:
      "Seam's webhooks/list: every webhook of the workspace; ours adds each one's `delivery_stats` " +
      '(attempts and success rate over the last 24 hours, pending and failed deliveries, the newest delivery).',
    params: null,
    response: okBody({ webhooks: z.array(webhookSchema) }),
  },
  async handle(input) {
    const { store, clock } = input.context
    const workspaceId = workspaceOf(input)
    const webhooks = await store.webhooks.listWebhooks(workspaceId)
    const json = await webhooksWithStats(store, workspaceId, webhooks, input.apiKey, clock.now())
    return JSON.stringify({ webhooks: json, ok: true })
  },
}
