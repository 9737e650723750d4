import type { FastifyRequest } from 'fastify'
import type { ZodTypeAny } from 'zod'

import type { RequestLimitsConfig } from '../config.ts'
import type { ErrorType } from '../domain/errors.ts'
import type { EventParamOptions } from '../domain/param-schemas.ts'
import type { Clock } from '../clock.ts'
import type { ApiKey, Store } from '../store/store.ts'
import type { TargetGuard } from '../domain/webhook-target-guard.ts'
import type { RequiredAccess } from './authenticate.ts'

export interface RouteContext {
  store: Store
  /** The time the server runs on. */
  clock: Clock
  /** False while the database is still being reached at start: routes that need it answer 503. */
  databaseReady(): boolean
  /**
   * Lets a request in, or throws the Seam error that refuses it: the database is not up yet,
   * the key is missing or may not call a route that needs `access`, or it is over its rate.
   */
  admit(request: FastifyRequest, access: RequiredAccess): Promise<ApiKey>
  allowUnknownEventTypes: boolean
  limits: RequestLimitsConfig
  /** The base URL of links this server returns; undefined: from the request's Host. */
  publicUrl: string | undefined
  /** Refuses webhook URLs that point at non-public addresses. */
  targetGuard: TargetGuard
  /** Tells a delivery worker in this process that new deliveries may be due. */
  deliveriesQueued(): void
  /** Counts the events of an acknowledged publish (for /metrics). */
  eventsPublished(count: number): void
  /** This server's API reference (GET /openapi.json), made on first use. */
  openApiJson(): string
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
  /**
   * The one place a route says what key it needs (null: none). The server authenticates before
   * `handle` runs, and test/route-scopes.test.ts holds every registered route to a table.
   */
  access: RequiredAccess | null
  /**
   * True for a route that only reads (no write, no delivery, no stream, nothing sent but its
   * answer): it may run while its key is read again, and its answer is used only if the key
   * still holds (src/http/admission.ts). Only `read` routes may say so.
   */
  readsOnly?: true
  /** Returns the complete JSON body of a 200 response. */
  handle(input: RouteInput): Promise<string>
  /** What GET /openapi.json says of the route; the server refuses to start without it. */
  docs: RouteDocs
}

/**
 * What the API reference needs of a route. A route Fastify serves outside `routes` (a stream,
 * say) is documented by passing one of these to buildOpenApiDocument beside them.
 */
export type DocumentedRoute = Pick<SeamRoute, 'path' | 'methods' | 'access' | 'docs'>

/**
 * A route's entry in the API reference. The schemas are the ones the route runs on, so that the
 * reference cannot drift from what the server does.
 */
export interface RouteDocs {
  /** Groups routes in the reference: `events`, `webhooks`, `health`. */
  tag: string
  summary: string
  description?: string
  /**
   * The schema `handle` parses its parameters with, for the server's settings (the same object,
   * not a copy); null when the route takes none. Documented as query parameters for GET and
   * DELETE and as a JSON body for the other methods.
   */
  params: ((options: EventParamOptions) => ZodTypeAny) | null
  /** The body of a 200 response; for a `text/event-stream`, the data of each message. */
  response: ZodTypeAny
  /** Default `application/json`. */
  responseMediaType?: string
  /**
   * Error types the route itself can answer with. Those of authentication, invalid input,
   * content types, body size and internal errors are added from the route's access and methods.
   */
  errors?: readonly ErrorType[]
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
