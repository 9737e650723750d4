// The outbox, the same on every backend, in two steps so that a publish costs the same whatever
// the number of webhooks:
// 1. A publish writes one fan-out row, in the transaction that stores its events: the new events
//    (id and type) and the enabled webhooks of the workspace that want any of them, with the
//    event types each wanted at that moment. An acknowledged event can never miss a delivery.
// 2. Workers turn fan-out rows into deliveries, a webhook at a time and a bounded number per
//    transaction, in the transaction of their claim (fanOutStep), and delete each row once done.
// The row keeps what "matched when it was published" means: a webhook created after the publish
// is not in it, one edited after keeps the types it had, one deleted since is skipped, one
// disabled since gets its deliveries parked, as if they had been queued before it was disabled.

import { randomUUID } from 'node:crypto'

import { eventTypeMatches } from './event-type-patterns.ts'
import type { NewDelivery } from './relational/executor.ts'
import type { DueDeliveries } from './store.ts'

/** Deliveries a claim makes out of fan-out rows at most (at least one webhook of a row, whatever its size). */
export const fanOutBudget = 2000
/** Fan-out rows a claim reads at most. */
export const fanOutRowsPerClaim = 50

/** A fan-out row as a publish writes it. */
export interface NewFanout {
  workspace_id: string
  event_created_at: string
  /** JSON [[event_id, event_type], ...]. */
  events: string
  /** JSON [[webhook_id, [pattern, ...], events it wants], ...]. */
  webhooks: string
  queued_at: number
}

/** A webhook of a fan-out row: its id, the event types it wanted, how many of the events match them. */
type FanoutWebhook = [webhookId: string, patterns: string[], matching: number]

/** A fan-out row as a worker reads it. */
export interface PendingFanout {
  seq: number
  workspace_id: string
  event_created_at: string
  events: string
  webhooks: string
  webhooks_done: number
}

/**
 * The fan-out row of a publish: its new events, and the enabled webhooks (`event_types` as
 * stored, JSON) that want at least one of them; undefined when none does.
 */
export function publishedFanout(
  workspaceId: string,
  webhooks: readonly { webhook_id: string; event_types: string }[],
  events: readonly { event_id: string; event_type: string }[],
  eventsCreatedAt: string,
  now: number,
): NewFanout | undefined {
  if (events.length === 0) return undefined
  const wanting = webhooks
    .map((webhook): FanoutWebhook => {
      const patterns = JSON.parse(webhook.event_types) as string[]
      return [webhook.webhook_id, patterns, events.filter((event) => eventTypeMatches(patterns, event.event_type)).length]
    })
    .filter(([, , matching]) => matching > 0)
  if (wanting.length === 0) return undefined
  return {
    workspace_id: workspaceId,
    event_created_at: eventsCreatedAt,
    events: JSON.stringify(events.map((event) => [event.event_id, event.event_type])),
    webhooks: JSON.stringify(wanting),
    queued_at: now,
  }
}

/** The webhook ids a fan-out row names, for reading their state now. */
export function fanoutWebhookIds(fanout: Pick<PendingFanout, 'webhooks'>): string[] {
  return (JSON.parse(fanout.webhooks) as FanoutWebhook[]).map(([webhookId]) => webhookId)
}

/**
 * For /metrics: adds to `due` (keyed by workspace and webhook) the deliveries that fan-out rows
 * still owe each webhook (from where each row stands), due since the row was queued.
 */
export function addFanoutsDue(
  due: Map<string, DueDeliveries>,
  rows: readonly Pick<PendingFanout & NewFanout, 'workspace_id' | 'webhooks' | 'webhooks_done' | 'queued_at'>[],
): void {
  for (const row of rows) {
    for (const [webhookId, , matching] of (JSON.parse(row.webhooks) as FanoutWebhook[]).slice(row.webhooks_done)) {
      addDue(due, { workspace_id: row.workspace_id, webhook_id: webhookId, due: matching, oldest_due_at: row.queued_at })
    }
  }
}

/** Adds one webhook's due deliveries to `due`. */
export function addDue(due: Map<string, DueDeliveries>, entry: DueDeliveries): void {
  const key = `${entry.workspace_id} ${entry.webhook_id}`
  const known = due.get(key)
  if (known === undefined) due.set(key, { ...entry })
  else {
    known.due += entry.due
    known.oldest_due_at = Math.min(known.oldest_due_at, entry.oldest_due_at)
  }
}

/** What fanning out a batch of rows makes, for the store to write. */
export interface FanOut {
  deliveries: NewDelivery[]
  /** Rows done: to delete. */
  finished: number[]
  /** A row the budget stopped within: its new webhooks_done. */
  progressed: { seq: number; webhooksDone: number }[]
}

/**
 * The deliveries of fan-out rows, oldest first, up to `budget` (a row stopped within is taken
 * up again next time from its webhooks_done); `disabledById` as for fanOutStep, for every
 * webhook the rows name.
 */
export function fanOutRows(rows: readonly PendingFanout[], disabledById: ReadonlyMap<string, boolean>, budget: number, now: number): FanOut {
  const result: FanOut = { deliveries: [], finished: [], progressed: [] }
  let left = budget
  for (const fanout of rows) {
    if (left <= 0) break
    const step = fanOutStep(fanout, disabledById, left, now)
    result.deliveries.push(...step.deliveries)
    left -= step.deliveries.length
    if (step.finished) result.finished.push(fanout.seq)
    else result.progressed.push({ seq: fanout.seq, webhooksDone: step.webhooksDone })
  }
  return result
}

/** The columns of a fan-out row a worker reads (PendingFanout). */
export const pendingFanoutColumns = 'seq, workspace_id, event_created_at, events, webhooks, webhooks_done'

export interface FanOutStep {
  deliveries: NewDelivery[]
  /** The row's new webhooks_done; the row is finished when `finished`. */
  webhooksDone: number
  finished: boolean
}

/**
 * The next deliveries of a fan-out row: webhook after webhook from where the row stands, until
 * `budget` deliveries are made (at least one webhook's, so that every row moves on). `disabledById`
 * holds each webhook that still exists, with whether it is disabled now (its deliveries are then
 * parked: next_attempt_at null); a webhook not in it was deleted, and gets nothing.
 */
export function fanOutStep(
  fanout: PendingFanout,
  disabledById: ReadonlyMap<string, boolean>,
  budget: number,
  now: number,
): FanOutStep {
  const events = JSON.parse(fanout.events) as [string, string][]
  const webhooks = JSON.parse(fanout.webhooks) as FanoutWebhook[]
  const queuedAt = new Date(now).toISOString()
  const deliveries: NewDelivery[] = []
  let done = fanout.webhooks_done
  while (done < webhooks.length && (done === fanout.webhooks_done || deliveries.length < budget)) {
    const [webhookId, patterns] = webhooks[done] as FanoutWebhook
    done += 1
    const disabled = disabledById.get(webhookId)
    if (disabled === undefined) continue
    for (const [eventId, eventType] of events) {
      if (!eventTypeMatches(patterns, eventType)) continue
      deliveries.push({
        delivery_id: randomUUID(),
        workspace_id: fanout.workspace_id,
        webhook_id: webhookId,
        event_id: eventId,
        event_type: eventType,
        event_created_at: fanout.event_created_at,
        next_attempt_at: disabled ? null : now,
        recovery_id: null,
        created_at: queuedAt,
      })
    }
  }
  return { deliveries, webhooksDone: done, finished: done >= webhooks.length }
}
