// SQLite's claims: one writer at a time, so a claim needs no row locks; it runs whole on the
// writer thread (sqlite-procedures.ts).

import type { Clock } from '../../clock.ts'
import { RelationalDeliveryQueue } from '../relational/deliveries.ts'
import type { ClaimedDelivery, DeliveryClaim } from '../store.ts'
import type { SqliteExecutor } from './sqlite-executor.ts'

export class SqliteDeliveryQueue extends RelationalDeliveryQueue {
  readonly #sqlite: SqliteExecutor

  constructor(sqlite: SqliteExecutor, clock: Clock) {
    super(sqlite, clock)
    this.#sqlite = sqlite
  }

  async fanOutWorkspace(workspaceId: string): Promise<void> {
    // Looked for on a reader first: the writer's turn only when there is something to do.
    if (await this.hasFanouts(workspaceId)) await this.#sqlite.write('fanOutWorkspace', workspaceId, this.clock.now())
  }

  claimDueDeliveries(claim: DeliveryClaim): Promise<ClaimedDelivery[]> {
    return this.#sqlite.write('claimDeliveries', { ...claim, inFlightByWebhook: [...claim.inFlightByWebhook] }, this.clock.now())
  }
}
