import type { FastifyRequest } from 'fastify'

import { hashApiKeyToken } from '../domain/api-key-token.ts'
import { SeamApiError } from '../domain/errors.ts'
import type { ApiKey, ApiKeyScope, WorkspaceStore } from '../store/store.ts'

/**
 * What a route needs of its caller's key. `read` and `publish` keys each do one thing; `all`
 * is needed by whatever changes webhooks or causes deliveries, because a webhook's secret
 * signs what its receiver trusts: a key that could re-point a webhook, or learn a new secret by
 * rotating it, could forge deliveries.
 */
export type RequiredAccess = 'read' | 'publish' | 'all' | 'any'

/** `any`: a route every key may call, such as the key's own workspace (workspaces/get). */
const grants: Record<ApiKeyScope, readonly RequiredAccess[]> = {
  all: ['read', 'publish', 'all', 'any'],
  read: ['read', 'any'],
  publish: ['publish', 'any'],
}

/** The key scopes that may call a route that needs `access`: `["read", "all"]` for `read`. */
export function scopesGranting(access: RequiredAccess): ApiKeyScope[] {
  return (Object.keys(grants) as ApiKeyScope[]).filter((scope) => grants[scope].includes(access)).sort(
    (a, b) => (a === 'all' ? 1 : 0) - (b === 'all' ? 1 : 0),
  )
}

/**
 * The hash of the request's bearer token, by which its key is looked up; a missing or malformed
 * Authorization header is refused here.
 */
export function bearerTokenHash(request: FastifyRequest): string {
  const header = request.headers.authorization
  if (header === undefined || header.trim() === '') {
    throw new SeamApiError('unauthorized', 'Missing API key: send "Authorization: Bearer seam_..."')
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
  if (match === null) {
    throw new SeamApiError('unauthorized', 'Malformed Authorization header: expected "Bearer seam_..."')
  }
  return hashApiKeyToken(match[1] as string)
}

/** Whether a key, as just read, lets its caller call a route that needs `access`. */
export function keyAllows(apiKey: ApiKey | undefined, access: RequiredAccess): apiKey is ApiKey {
  return apiKey !== undefined && apiKey.revoked_at === null && grants[apiKey.scope].includes(access)
}

/**
 * Resolves the caller's API key on every request, without a cache, so that a revoked key is
 * refused from the next request on. The lookup is one indexed read by the token's hash.
 */
export async function authenticate(
  store: Pick<WorkspaceStore, 'findApiKeyByTokenHash'>,
  request: FastifyRequest,
  access: RequiredAccess,
): Promise<ApiKey> {
  return checkKey(await store.findApiKeyByTokenHash(bearerTokenHash(request)), access)
}

/** The key if it may call a route that needs `access`; else the error that refuses it. */
export function checkKey(apiKey: ApiKey | undefined, access: RequiredAccess): ApiKey {
  if (apiKey === undefined) throw new SeamApiError('unauthorized', 'Invalid API key')
  if (apiKey.revoked_at !== null) throw new SeamApiError('unauthorized', 'This API key has been revoked')
  if (!grants[apiKey.scope].includes(access)) {
    const needed = scopesGranting(access).map((scope) => `"${scope}"`).join(' or ')
    throw new SeamApiError(
      'forbidden',
      `This API key's scope is "${apiKey.scope}"; this route needs a key of scope ${needed}`,
    )
  }
  return apiKey
}
