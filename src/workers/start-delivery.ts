import type { Logger } from 'pino'

import { systemClock, type Clock } from '../clock.ts'
import type { DeliveryConfig } from '../config.ts'
import type { DeliveryQueue } from '../store/store.ts'
import { TargetGuard } from '../domain/webhook-target-guard.ts'
import { DeliveryWorker } from './delivery-worker.ts'

/** The SSRF guard both the API (create time) and the worker (delivery time) check URLs with. */
export function createTargetGuard(config: DeliveryConfig, logger: Logger): TargetGuard {
  if (config.allowPrivateTargets) {
    logger.warn(
      'WEBHOOK_ALLOW_PRIVATE_TARGETS is on: webhooks may target loopback, private and metadata ' +
        'addresses. Use it for local development and tests only.',
    )
  }
  return new TargetGuard({
    allowPrivateTargets: config.allowPrivateTargets,
    dnsServers: config.dnsServers,
  })
}

export function startDeliveryWorker(
  queue: DeliveryQueue,
  guard: TargetGuard,
  config: DeliveryConfig,
  logger: Logger,
  clock: Clock = systemClock,
): DeliveryWorker {
  const worker = new DeliveryWorker({ queue, guard, config, logger: logger.child({ component: 'delivery' }), clock })
  worker.start()
  logger.info(
    {
      concurrency: config.concurrency,
      concurrency_per_webhook: config.concurrencyPerWebhook,
      retry_schedule_seconds: config.retryScheduleSeconds,
      timeout_seconds: config.timeoutSeconds,
      lease_seconds: config.leaseSeconds,
    },
    'delivery worker started',
  )
  return worker
}
