import pg from 'pg'

/** The channel a transaction that makes deliveries due notifies, on commit. */
export const deliveriesChannel = 'seam_events_deliveries'

/** Queued in the caller's transaction: PostgreSQL sends it on commit, and drops it on rollback. */
export const notifyDeliveriesSql = `SELECT pg_notify('${deliveriesChannel}', '')`

/**
 * The channel a publishing transaction notifies on commit. The payload is the workspace id and
 * the publishing store's token: the process that published has already told its own streams,
 * and skips its own notification rather than waking them a second time.
 */
export const eventsPublishedChannel = 'seam_events_published'

/**
 * A select-list item that queues the notification, for the workspace `$1` from the store of
 * token `$2`, in the publishing transaction, like notifyDeliveriesSql: sent on commit, dropped
 * on rollback.
 */
export const notifyEventsPublishedColumn = `pg_notify('${eventsPublishedChannel}', $1::text || ' ' || $2::text)`

/** The workspace of an events-published payload, or undefined when `ownToken` sent it. */
export function publishedWorkspace(payload: string, ownToken: string): string | undefined {
  const [workspaceId = '', sender] = payload.split(' ')
  return sender === ownToken ? undefined : workspaceId
}

const reconnectDelayMs = 1000

/**
 * Holds one connection that LISTENs on `channel` and calls `listener` with each notification's
 * payload. A lost connection is opened again, and `listener` is called with null once it is
 * back, since notifications sent meanwhile are gone.
 */
export async function listenForNotifications(
  connectionString: string,
  channel: string,
  listener: (payload: string | null) => void,
  onError: (error: unknown) => void,
): Promise<() => Promise<void>> {
  let client: pg.Client | undefined
  let stopped = false
  let retry: NodeJS.Timeout | undefined

  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString })
    next.on('notification', (message) => listener(message.payload ?? ''))
    next.on('error', (error) => {
      onError(error)
      reopen(next)
    })
    next.on('end', () => reopen(next))
    await next.connect()
    await next.query(`LISTEN ${channel}`)
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
          .then(() => listener(null))
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

/** Wakes a delivery worker whenever another process may have made deliveries due. */
export async function listenForDeliveries(
  connectionString: string,
  listener: () => void,
  onError: (error: unknown) => void,
): Promise<() => Promise<void>> {
  return await listenForNotifications(connectionString, deliveriesChannel, () => listener(), onError)
}
