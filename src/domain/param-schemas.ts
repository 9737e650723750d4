// Building blocks for route parameters, which arrive as JSON (SDK 1.x) or as query strings
// (SDK 2.x), where every value is text.

import { z } from './documented-zod.ts'

import { parseTimestamp, type ParsedTimestamp } from './timestamps.ts'
import { invalidInput, type ValidationIssue } from './validation-errors.ts'

/** The server settings that change what a route accepts. */
export interface EventParamOptions {
  allowUnknownEventTypes: boolean
}

/**
 * Builds a route's schemas once per setting rather than per request: zod schemas are not free
 * to construct, and a server runs with one setting for its whole life.
 */
export function schemasPerOption<T>(build: (options: EventParamOptions) => T): (options: EventParamOptions) => T {
  const built = new Map<boolean, T>()
  return (options) => {
    let schemas = built.get(options.allowUnknownEventTypes)
    if (schemas === undefined) {
      schemas = build(options)
      built.set(options.allowUnknownEventTypes, schemas)
    }
    return schemas
  }
}

/** Longest id list a filter takes; Seam caps some at 100, we allow more but not unbounded. */
const maxFilterValues = 1000

/**
 * Query strings carry lists as `a,b`, repeated keys, or `key=` for the empty list. The API
 * reference shows the array, which is what JSON bodies send; its introduction names the rest.
 */
export function listParam<T extends z.ZodTypeAny>(item: T) {
  return z.preprocess((value) => {
    if (typeof value !== 'string') return value
    return value === '' ? [] : value.split(',')
  }, z.array(item).max(maxFilterValues))
}

/** Query strings carry numbers as text. */
export function numberParam(schema: z.ZodNumber) {
  return z.preprocess(
    (value) => (typeof value === 'string' && value.trim() !== '' ? Number(value) : value),
    schema,
  )
}

export const uuid = z.string().uuid()

// Documented as date-time, the common form; any ISO 8601 date or date-time from 1900 on is taken.
export const timestamp = z
  .string()
  .openapi({ format: 'date-time', example: '2024-01-01T00:00:00Z' })
  .transform((value, context): ParsedTimestamp => {
    const parsed = parseTimestamp(value)
    if (parsed === undefined) {
      context.addIssue({ code: 'custom', message: 'Invalid ISO 8601 timestamp' })
      return z.NEVER
    }
    return parsed
  })

/** Query strings carry booleans as text. */
export const booleanParam = z.preprocess((value) => {
  if (value === 'true') return true
  if (value === 'false') return false
  return value
}, z.boolean())

/** Parses route parameters, or throws a 400 `invalid_input` naming every bad one. */
export function parseOrThrow<T extends z.ZodTypeAny>(
  schema: T,
  params: Readonly<Record<string, unknown>>,
): z.output<T> {
  const result = schema.safeParse(params)
  if (result.success) return result.data
  const issues: ValidationIssue[] = result.error.issues.map(namedByParameter)
  throw invalidInput('Invalid parameters', issues)
}

/**
 * A bad entry of a list parameter (`device_ids[2]`) is reported on the parameter itself, with the
 * entry's index in the message: the SDK's `getValidationErrorMessages('device_ids')` reads only
 * the parameter's own `_errors`, and a parameter is what the caller passed.
 */
function namedByParameter(issue: z.ZodIssue): ValidationIssue {
  const [parameter, ...rest] = issue.path
  if (parameter === undefined || rest.length === 0) return { path: issue.path, message: issue.message }
  return { path: [parameter], message: `Entry ${rest.join(".")}: ${issue.message}` }
}

/** A page cursor that is not one we issued (or was altered): the caller must pass it as returned. */
export function invalidPageCursor(): Error {
  return invalidInput('Invalid parameters', [
    { path: ['page_cursor'], message: 'Invalid page cursor: pass next_page_cursor as it was returned' },
  ])
}
