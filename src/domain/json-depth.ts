// Request bodies may nest objects and arrays only so deep. Seam's deepest event is a few levels;
// a body nested thousands deep is an attack on whatever walks it recursively later
// (JSON.stringify, the validators), so it is refused as soon as it is parsed.

import { invalidInput } from './validation-errors.ts'

/** Levels of objects and arrays a JSON body may have, the body itself being level 1. */
export const maxJsonDepth = 32

/**
 * Throws a 400 naming the field that nests deeper than `maxJsonDepth`. Walks with a stack of
 * its own, so that the check cannot itself run out of stack.
 */
export function assertJsonDepth(body: unknown): void {
  // Each pending value knows its parent, so that the path is built only for the refusal.
  const pending: Nested[] = [{ value: body, depth: 1, key: undefined, parent: undefined }]
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    const { value, depth } = item
    if (typeof value !== 'object' || value === null) continue
    if (depth > maxJsonDepth) {
      throw invalidInput('Invalid request body', [
        { path: fieldOf(pathOf(item)), message: `Nested deeper than ${maxJsonDepth} levels of objects and arrays` },
      ])
    }
    if (Array.isArray(value)) {
      value.forEach((child, index) => pending.push({ value: child, depth: depth + 1, key: index, parent: item }))
    } else {
      for (const key in value) {
        if (Object.hasOwn(value, key)) {
          pending.push({ value: (value as Record<string, unknown>)[key], depth: depth + 1, key, parent: item })
        }
      }
    }
  }
}

interface Nested {
  value: unknown
  depth: number
  key: string | number | undefined
  parent: Nested | undefined
}

function pathOf(item: Nested): (string | number)[] {
  const path: (string | number)[] = []
  for (let node: Nested | undefined = item; node?.key !== undefined; node = node.parent) path.unshift(node.key)
  return path
}

/**
 * The field to name: the path down to the first member named below the body's own lists of
 * events, so `events[0].custom` rather than thirty segments of `custom.a.a.a...`.
 */
function fieldOf(path: readonly (string | number)[]): (string | number)[] {
  const field: (string | number)[] = []
  for (const segment of path) {
    field.push(segment)
    const isContainer = typeof segment === 'number' || (field.length === 1 && (segment === 'events' || segment === 'event'))
    if (!isContainer) break
  }
  return field
}
