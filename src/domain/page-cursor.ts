import type { EventPosition } from '../store/store.ts'

// A cursor names the last event of a page by its created_at and event_id: nothing in it
// reveals the store's internal sequence, which counts every workspace's events.

export function encodePageCursor(position: EventPosition): string {
  return Buffer.from(JSON.stringify([position.created_at, position.event_id])).toString(
    'base64url',
  )
}

export function decodePageCursor(cursor: string): EventPosition | undefined {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
    if (
      Array.isArray(decoded) &&
      decoded.length === 2 &&
      typeof decoded[0] === 'string' &&
      typeof decoded[1] === 'string'
    ) {
      return { created_at: decoded[0], event_id: decoded[1] }
    }
  } catch {
    // Falls through: any undecodable cursor is the same client error.
  }
  return undefined
}
