// Seam reads every route's parameters from the query string and the JSON body, merged: SDK 1.x
// sends JSON bodies, SDK 2.x query strings.

import type { FastifyRequest } from 'fastify'

import { invalidInput } from '../domain/validation-errors.ts'

/** Parameters the SDK adds that carry no meaning for the server. */
const ignoredParams = new Set(['_strict'])

/**
 * The parameters as one object with no prototype: a client's key may be any name, `toString`
 * and `__proto__` included, and must never meet (or replace) an inherited member.
 */
export function collectParams(request: FastifyRequest): Record<string, unknown> {
  const params: Record<string, unknown> = Object.create(null)
  const query = (request.query ?? {}) as Record<string, string | string[]>
  for (const [rawKey, value] of Object.entries(query)) {
    // `key[]=a&key[]=b` is the same list as `key=a&key=b`.
    const key = rawKey.endsWith('[]') ? rawKey.slice(0, -2) : rawKey
    if (ignoredParams.has(key)) continue
    if (!Object.hasOwn(params, key)) {
      params[key] = rawKey === key ? value : toList(value)
    } else {
      params[key] = [...toList(params[key] as string | string[]), ...toList(value)]
    }
  }
  const { body } = request
  if (body === undefined || body === null) return params
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw invalidInput('Invalid request body', [
      { path: [], message: 'Expected a JSON object of parameters' },
    ])
  }
  for (const [key, value] of Object.entries(body)) {
    if (!ignoredParams.has(key)) params[key] = value
  }
  return params
}

function toList(value: string | string[]): string[] {
  // A lone `key[]=` is an empty list, as `key=` is.
  if (typeof value === 'string') return value === '' ? [] : [value]
  return value.filter((item) => item !== '')
}
