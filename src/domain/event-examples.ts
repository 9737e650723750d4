// Valid sample events of every type, built by walking Seam's published zod schema rather than
// from a hand-written table, so that a new type in @seamapi/types is covered without edits: the
// examples of docs/event-types.md, and the events the tests and the benchmark publish.
// An unfamiliar zod construct throws, naming the type and field, instead of guessing.

import { createHash } from 'node:crypto'

import { schemas } from '@seamapi/types/connect'
import type { ZodTypeAny } from 'zod'

const serverSetFields = new Set(['event_id', 'workspace_id', 'created_at', 'occurred_at'])

const optionByType = new Map(
  schemas.seam_event.options.map((option) => [option.shape.event_type.value as string, option]),
)

/** Every event type in @seamapi/types' seam_event schema, in schema order. */
export const catalogEventTypes: readonly string[] = [...optionByType.keys()]

/**
 * A valid publish payload for `eventType`: every type-specific field, optional ones included,
 * without the fields the server sets. Deterministic for a given (eventType, seed).
 */
export function sampleEventFor(eventType: string, seed = 0): Record<string, unknown> {
  const option = optionByType.get(eventType)
  if (option === undefined) throw new Error(`no event type ${eventType} in @seamapi/types`)
  const event: Record<string, unknown> = {}
  for (const [field, schema] of Object.entries(option.shape as Record<string, ZodTypeAny>)) {
    if (serverSetFields.has(field)) continue
    event[field] = sampleValue(schema, [eventType, field], seed)
  }
  return event
}

interface ZodCheck {
  kind: string
  value?: number
  inclusive?: boolean
}

function sampleValue(schema: ZodTypeAny, path: readonly string[], seed: number): unknown {
  const def = schema._def as Record<string, any>
  switch (def['typeName'] as string) {
    case 'ZodOptional':
    case 'ZodNullable':
    case 'ZodDefault':
    case 'ZodCatch':
    case 'ZodReadonly':
      return sampleValue(def['innerType'], path, seed)
    case 'ZodBranded':
      return sampleValue(def['type'], path, seed)
    case 'ZodEffects':
      return sampleValue(def['schema'], path, seed)
    case 'ZodLazy':
      return sampleValue(def['getter'](), path, seed)
    case 'ZodLiteral':
      return def['value']
    case 'ZodEnum':
      return (def['values'] as string[])[seed % (def['values'] as string[]).length]
    case 'ZodNativeEnum':
      return Object.values(def['values'] as object)[0]
    case 'ZodBoolean':
      return seed % 2 === 0
    case 'ZodString':
      return sampleString(def['checks'] as ZodCheck[], path, seed)
    case 'ZodNumber':
      return sampleNumber(def['checks'] as ZodCheck[])
    case 'ZodArray':
      return [sampleValue(def['type'], [...path, '0'], seed)]
    case 'ZodObject': {
      const shape = (def['shape'] as () => Record<string, ZodTypeAny>)()
      return Object.fromEntries(
        Object.entries(shape).map(([key, value]) => [key, sampleValue(value, [...path, key], seed)]),
      )
    }
    case 'ZodRecord': {
      const key = `sample_${path.at(-1)}`
      return { [key]: sampleValue(def['valueType'], [...path, key], seed) }
    }
    case 'ZodUnion':
    case 'ZodDiscriminatedUnion': {
      const options = (def['options'] as ZodTypeAny[] | Map<unknown, ZodTypeAny>)
      const [first] = Array.isArray(options) ? options : [...options.values()]
      if (first === undefined) throw new Error(`${path.join('.')}: an empty union`)
      return sampleValue(first, path, seed)
    }
    case 'ZodUnknown':
    case 'ZodAny':
      return { sample: true }
    default:
      throw new Error(`${path.join('.')}: no sample for zod type ${def['typeName']}`)
  }
}

function sampleString(checks: readonly ZodCheck[], path: readonly string[], seed: number): string {
  const kinds = new Set(checks.map((check) => check.kind))
  if (kinds.has('uuid')) return deterministicUuid(`${seed}:${path.join('.')}`)
  if (kinds.has('datetime')) return new Date(Date.UTC(2024, 0, 1 + (seed % 28))).toISOString()
  if (kinds.has('email')) return `sample${seed}@example.com`
  if (kinds.has('url')) return `https://example.com/${path.at(-1)}`
  const unsupported = [...kinds].filter((kind) => !['min', 'max', 'length', 'trim'].includes(kind))
  if (unsupported.length > 0) {
    throw new Error(`${path.join('.')}: no sample for string checks ${unsupported.join(', ')}`)
  }
  const min = checks.find((check) => check.kind === 'min' || check.kind === 'length')?.value ?? 1
  return `sample ${path.at(-1)} ${seed}`.padEnd(min, 'x')
}

function sampleNumber(checks: readonly ZodCheck[]): number {
  const min = checks.find((check) => check.kind === 'min')?.value
  const max = checks.find((check) => check.kind === 'max')?.value
  const isInt = checks.some((check) => check.kind === 'int')
  if (min !== undefined && max !== undefined) {
    const middle = (min + max) / 2
    return isInt ? Math.round(middle) : middle
  }
  if (min !== undefined) return min + 1
  if (max !== undefined) return max - 1
  return isInt ? 21 : 21.5
}

function deterministicUuid(key: string): string {
  const hex = createHash('sha256').update(key).digest('hex')
  // Version 4 and RFC 4122 variant bits, so strict UUID validators accept it too.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}
