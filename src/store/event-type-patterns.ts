// Which events a webhook wants. Lives in the store because the outbox applies it inside the
// transaction that stores the event; the domain validates patterns before they get here.

/** `*` matches every type, `lock.*` every type that starts with `lock.`, anything else itself. */
export function eventTypeMatches(patterns: readonly string[], eventType: string): boolean {
  return patterns.some((pattern) => {
    if (pattern === '*') return true
    if (pattern.endsWith('.*')) return eventType.startsWith(pattern.slice(0, -1))
    return pattern === eventType
  })
}
