// The outbox rows of a publish, the same on every backend: written in the transaction that stores
// the events, so that an acknowledged event can never miss a delivery.

import { randomUUID } from 'node:crypto'

import { eventTypeMatches } from './event-type-patterns.ts'
import type { NewDelivery } from './relational/executor.ts'

/**
 * The outbox rows of a publish: a delivery of each new event to every webhook (enabled, of the
 * workspace) whose event types match it, due at once.
 */
export function publishedDeliveries(
  workspaceId: string,
  webhooks: readonly { webhook_id: string; event_types: string }[],
  events: readonly { event_id: string; event_type: string }[],
  eventsCreatedAt: string,
  now: number,
): NewDelivery[] {
  const queuedAt = new Date(now).toISOString()
  return webhooks.flatMap((webhook) => {
    const patterns = JSON.parse(webhook.event_types) as string[]
    return events
      .filter((event) => eventTypeMatches(patterns, event.event_type))
      .map((event) => ({
        delivery_id: randomUUID(),
        workspace_id: workspaceId,
        webhook_id: webhook.webhook_id,
        event_id: event.event_id,
        event_type: event.event_type,
        event_created_at: eventsCreatedAt,
        next_attempt_at: now,
        recovery_id: null,
        created_at: queuedAt,
      }))
  })
}

