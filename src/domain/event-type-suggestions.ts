// "Did you mean": the catalog's types closest to a name that is not one, for the one-line error
// of `seam-events trigger lock.unlock`. Closest by edit distance, with a type that contains
// the name (or its last part) counted as close: `unlocked` finds lock.unlocked.

import { knownEventTypes } from './event-catalog.ts'

export function closestEventTypes(name: string, limit = 5): string[] {
  const wanted = name.trim().toLowerCase()
  const lastPart = wanted.split('.').at(-1) ?? wanted
  const scored = knownEventTypes.map((type) => {
    let score = editDistance(wanted, type)
    if (wanted.length >= 3 && type.includes(wanted)) score = Math.min(score, 1)
    else if (lastPart.length >= 4 && type.includes(lastPart)) score = Math.min(score, 2)
    return { type, score }
  })
  const bound = Math.max(3, Math.floor(wanted.length / 3))
  return scored
    .filter(({ score }) => score <= bound)
    .sort((a, b) => a.score - b.score || a.type.localeCompare(b.type))
    .slice(0, limit)
    .map(({ type }) => type)
}

/** Levenshtein distance, two rows at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1)
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution)
    }
    previous = current
  }
  return previous[b.length] as number
}
