// Seam accepts any ISO 8601 form for `since`, `between` and `occurred_at`; events are stored
// with millisecond precision in one fixed UTC form, so that comparing the strings compares the
// instants.

// The zone may start with a space: an unencoded `+02:00` in a query string arrives as ` 02:00`.
const iso8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?([Zz]|[+ -]\d{2}(?::?\d{2})?)?)?$/

/** An instant to millisecond precision, with the sub-millisecond rest kept for rounding. */
export interface ParsedTimestamp {
  /** The instant rounded down to the millisecond, as stored. */
  floor: string
  /** The instant rounded up to the millisecond (equal to floor when it has no sub-ms part). */
  ceil: string
}

/**
 * Returns undefined for anything that is not a real ISO 8601 instant from 1900 to 9999: within
 * that range every instant prints with a four-digit year, so stored strings compare as instants.
 */
export function parseTimestamp(value: string): ParsedTimestamp | undefined {
  const match = iso8601.exec(value.trim())
  if (match === null) return undefined
  const [, year, month, day, hour = '00', minute = '00', second = '00', fraction = '', zone] =
    match
  const fractionDigits = fraction.padEnd(9, '0')
  const milliseconds = Number(fractionDigits.slice(0, 3))
  const hasSubMilliseconds = Number(fractionDigits.slice(3)) > 0
  const local = Date.UTC(
    Number(year),
    Number(month) - 1,
    Number(day),
    Number(hour),
    Number(minute),
    Number(second),
    milliseconds,
  )
  const asDate = new Date(local)
  // Date.UTC rolls 2024-02-30 over to March; a real date survives the round trip.
  if (
    asDate.getUTCFullYear() !== Number(year) ||
    asDate.getUTCMonth() !== Number(month) - 1 ||
    asDate.getUTCDate() !== Number(day) ||
    Number(hour) > 23 ||
    Number(minute) > 59 ||
    Number(second) > 59
  ) {
    return undefined
  }
  // A time without a zone is read as UTC, never as the server's local time.
  const instant = local - zoneOffsetMinutes(zone) * 60_000
  if (!Number.isFinite(instant) || instant < Date.UTC(1900, 0, 1) || instant > Date.UTC(9999, 11, 31)) {
    return undefined
  }
  return {
    floor: toStoredTimestamp(instant),
    ceil: toStoredTimestamp(hasSubMilliseconds ? instant + 1 : instant),
  }
}

/** The one form in which timestamps are stored and sent: `2024-01-01T00:00:00.000Z`. */
export function toStoredTimestamp(epochMilliseconds: number): string {
  return new Date(epochMilliseconds).toISOString()
}

function zoneOffsetMinutes(zone: string | undefined): number {
  if (zone === undefined || zone === 'Z' || zone === 'z') return 0
  const sign = zone.startsWith('-') ? -1 : 1
  const digits = zone.slice(1).replace(':', '')
  const hours = Number(digits.slice(0, 2))
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0
  return sign * (hours * 60 + minutes)
}
