import pg from 'pg'

/** The channel a transaction that makes deliveries due notifies, on commit. */
export const deliveriesChannel = 'seam_events_deliveries'

/** Queued in the caller's transaction: PostgreSQL sends it on commit, and drops it on rollback. */
export const notifyDeliveriesSql = `SELECT pg_notify('${deliveriesChannel}', '')`

const reconnectDelayMs = 1000

/**
 * Holds one connection that LISTENs on the deliveries channel and calls `listener` on each
 * notification. A lost connection is opened again, and `listener` is called once it is back,
 * since notifications sent meanwhile are gone.
 */
export async function listenForDeliveries(
  connectionString: string,
  listener: () => void,
  onError: (error: unknown) => void,
): Promise<() => Promise<void>> {
  let client: pg.Client | undefined
  let stopped = false
  let retry: NodeJS.Timeout | undefined

  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString })
    next.on('notification', () => listener())
    next.on('error', (error) => {
      onError(error)
      reopen(next)
    })
    next.on('end', () => reopen(next))
    await next.connect()
    await next.query(`LISTEN ${deliveriesChannel}`)
    client = next
  }
  const reopen = (lost: pg.Client): void => {
    if (stopped || client !== lost) return
    client = undefined
    void lost.end().catch(() => {})
    const attempt = (): void => {
      retry = setTimeout(() => {
        if (stopped) return
        connect()
          .then(() => listener())
          .catch((error: unknown) => {
            onError(error)
            attempt()
          })
      }, reconnectDelayMs)
    }
    attempt()
  }

  await connect()
  return async () => {
    stopped = true
    clearTimeout(retry)
    await client?.end().catch(() => {})
  }
}
