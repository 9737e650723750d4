import { SeamApiError } from '../../../../domain/errors.ts'
import { parseRecoveryIdParams, recoveryIdParamsSchema } from '../../../../domain/webhook-params.ts'
import { okBody, recoverySchema } from '../../../response-schemas.ts'
import { workspaceOf, type SeamRoute } from '../../../route.ts'

/** Ours: the progress of a recovery, and where its deliveries are now. */
export const getRecoveryRoute: SeamRoute = {
  path: '/webhooks/recoveries/get',
  methods: ['GET', 'POST'],
  access: 'read',
  readsOnly: true,
  docs: {
    tag: 'webhooks',
    summary: 'Get a recovery',
    description: 'Ours: the progress of a recovery, and where its deliveries are now.',
    params: () => recoveryIdParamsSchema,
    response: okBody({ recovery: recoverySchema }),
    errors: ['recovery_not_found'],
  },
  async handle(input) {
    const recoveryId = parseRecoveryIdParams(input.params)
    const recovery = await input.context.store.webhooks.getRecovery(workspaceOf(input), recoveryId)
    if (recovery === undefined) throw new SeamApiError('recovery_not_found', 'Recovery not found')
    return JSON.stringify({ recovery, ok: true })
  },
}
