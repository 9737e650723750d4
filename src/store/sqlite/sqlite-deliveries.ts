// SQLite's claims: one writer at a time, so a claim needs no row locks; it runs whole on the
// writer thread (sqlite-procedures.ts).

import type { Clock } from '../../clock.ts'
import { onlyPlainSuccesses, RelationalDeliveryQueue } from '../relational/deliveries.ts'
import type { ClaimedDelivery, DecideOutcome, DeliveryClaim, DeliveryOutcome } from '../store.ts'
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

  /**
   * A batch of successes to webhooks that are not failing, the usual batch, in one message to the
   * writer (sqlite-procedures.ts) rather than the core's transaction of six, during which the
   * writer takes nothing else; any other batch goes the core's way.
   */
  override async recordDeliveryOutcomes(outcomes: readonly DeliveryOutcome[], decide: DecideOutcome): Promise<void> {
    if (outcomes.length === 0) return
    if (onlyPlainSuccesses(outcomes, decide)) {
      if (await this.#sqlite.write('recordSuccesses', outcomes, this.clock.now())) return
    }
    await super.recordDeliveryOutcomes(outcomes, decide)
  }

  claimDueDeliveries(claim: DeliveryClaim): Promise<ClaimedDelivery[]> {
    return this.#sqlite.write('claimDeliveries', { ...claim, inFlightByWebhook: [...claim.inFlightByWebhook] }, this.clock.now())
  }
}
