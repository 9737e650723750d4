import { beforeFirstEvent, type EventPosition } from '../store/store.ts'

// A cursor names the last event of a page by its created_at and event_id: nothing in it
// reveals the store's internal sequence, which counts every workspace's events.

export function encodePageCursor(position: EventPosition): string {
  return Buffer.from(JSON.stringify([position.created_at, position.event_id])).toString(
    'base64url',
  )
}

/** created_at as every event stores it: ISO 8601 in UTC with milliseconds. */
const storedTimestamp = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * The position a cursor names, or undefined for anything no page ever handed out: a store keys
 * events by their created_at as a time (SQLite as milliseconds), so a cursor whose created_at is
 * not one is refused here, as a client's mistake, rather than reaching the store.
 */
export function decodePageCursor(cursor: string): EventPosition | undefined {
  const position = decodeStreamPosition(cursor)
  return position === beforeFirstEvent ? undefined : position
}

/**
 * The position a stream's message id names: a page cursor's, or the start message's of a stream
 * that began before any event (beforeFirstEvent), which a client that dropped before the first
 * event resumes from.
 */
export function decodeStreamPosition(id: string): EventPosition | undefined {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(id, 'base64url').toString('utf8'))
    if (
      Array.isArray(decoded) &&
      decoded.length === 2 &&
      typeof decoded[0] === 'string' &&
      typeof decoded[1] === 'string' &&
      storedTimestamp.test(decoded[0]) &&
      new Date(Date.parse(decoded[0])).toISOString() === decoded[0] &&
      uuid.test(decoded[1])
    ) {
      return { created_at: decoded[0], event_id: decoded[1] }
    }
    if (Array.isArray(decoded) && decoded.length === 2 && decoded[0] === beforeFirstEvent.created_at && decoded[1] === beforeFirstEvent.event_id) {
      return beforeFirstEvent
    }
  } catch {
    // Falls through: any undecodable cursor is the same client error.
  }
  return undefined
}
