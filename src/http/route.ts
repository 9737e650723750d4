import type { FastifyRequest } from 'fastify'

import type { ApiKey, EventStore } from '../store/store.ts'
import type { TargetGuard } from '../domain/webhook-target-guard.ts'
import type { RequiredAccess } from './authenticate.ts'

export interface RouteContext {
  store: EventStore
  allowUnknownEventTypes: boolean
  /** Refuses webhook URLs that point at non-public addresses. */
  targetGuard: TargetGuard
  /** Tells a delivery worker in this process that new deliveries may be due. */
  deliveriesQueued(): void
}

export interface RouteInput {
  /** Query string and JSON body, merged. */
  params: Record<string, unknown>
  /** The caller's key, or null on routes that need none. */
  apiKey: ApiKey | null
  request: FastifyRequest
  context: RouteContext
}

/** One Seam path: which methods it answers, what key it needs, and what it does. */
export interface SeamRoute {
  path: string
  methods: readonly ('GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE')[]
  access: RequiredAccess | null
  /** Returns the complete JSON body of a 200 response. */
  handle(input: RouteInput): Promise<string>
}

/**
 * Writes a JSON object from members that are already JSON text. Stored events are kept as the
 * exact JSON they were published as, so a page of them is joined, never parsed and re-encoded.
 */
export function rawJsonObject(members: Readonly<Record<string, string>>): string {
  return `{${Object.entries(members)
    .map(([key, json]) => `${JSON.stringify(key)}:${json}`)
    .join(',')}}`
}

export function rawJsonArray(items: readonly string[]): string {
  return `[${items.join(',')}]`
}

/** The workspace of an authenticated request; routes with `access` always have one. */
export function workspaceOf(input: RouteInput): string {
  if (input.apiKey === null) throw new Error(`route ${input.request.url} has no API key`)
  return input.apiKey.workspace_id
}
