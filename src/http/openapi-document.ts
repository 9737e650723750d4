// GET /openapi.json: the API reference, generated at start-up from each route's `docs` (the
// zod schemas the routes parse with and the schemas of what they answer), never written by hand.

import { readFileSync } from 'node:fs'

import {
  OpenApiGeneratorV31,
  OpenAPIRegistry,
  type ResponseConfig,
  type RouteConfig,
} from '@asteasolutions/zod-to-openapi'
import type { OpenAPIObject } from 'openapi3-ts/oas31'
import type { ZodTypeAny } from 'zod'

import { z } from '../domain/documented-zod.ts'
import { errorStatusByType, type ErrorType } from '../domain/errors.ts'
import { documentedEventSchema, documentedPublishedEventSchema } from '../domain/event-catalog.ts'
import type { EventParamOptions } from '../domain/param-schemas.ts'
import { generateWebhookSecret, webhookHeaders } from '../domain/webhook-signature.ts'
import { errorBodySchema, eventSchema } from './response-schemas.ts'
import type { DocumentedRoute } from './route.ts'

/** Methods whose parameters the reference shows in the query string; the others take a body. */
const queryMethods = new Set(['GET', 'DELETE'])

const securityScheme = 'api_key'

const packageVersion = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
).version

const introduction = `A self-hostable, Seam-compatible events service: Seam's Events API and webhooks, plus
routes of our own (marked "Ours").

**Parameters.** Every route reads its parameters from the query string and from a JSON body,
merged: Seam's SDK 1.x POSTs JSON, 2.x sends GET query strings. This reference shows query
parameters for GET and DELETE and a JSON body for the other methods. A list parameter may also be
given as repeated query keys (\`device_ids=a&device_ids=b\` or \`device_ids[]=a\`) or as one
comma-separated string.

**Authentication.** \`Authorization: Bearer <API key>\` (\`seam-events api-keys create\` makes
one). A key's scope is \`all\`, \`read\` (every read, webhooks without their secrets) or
\`publish\` (\`/events/publish\` only); what changes a webhook or causes a delivery needs \`all\`.
Each operation lists the access it needs (\`all\` grants \`read\` and \`publish\` too; an empty
list, as on \`/workspaces/get\`, is any key). Seam's
\`seam-workspace\`/\`seam-client-session-token\` headers are not used: a key belongs to one workspace.

**Event types.** [/docs/event-types](/docs/event-types) lists every type of Seam's catalog this
server knows, with its required and optional fields and a valid example (the same page as
docs/event-types.md). \`/events/publish\` takes those types; read filters and webhooks take any
well-formed type name (\`family.what_happened\`), as Seam keeps adding types: one the server does
not know matches no event.

**Errors** are Seam's envelope, \`{"error": {"type", "message", "request_id", "validation_errors"?}, "ok": false}\`,
with the status of its type; every response carries the request's id in \`seam-request-id\`.`

/** Every header of a delivery but content-type, described; see deliveryHeaders. */
const deliveryHeaderDescriptions: Readonly<Record<string, string>> = {
  'webhook-id': "The delivery's id, the same in each attempt of it: deduplicate on it.",
  'webhook-timestamp': 'When the attempt was signed, in Unix seconds.',
  'webhook-signature':
    '`v1,<base64 HMAC-SHA256>` for each live secret, space-separated (two after a rotation).',
  'svix-id': 'webhook-id, under the name Svix (which Seam uses) gives it.',
  'svix-timestamp': 'webhook-timestamp, under the name Svix gives it.',
  'svix-signature': 'webhook-signature, under the name Svix gives it.',
}

/** The headers the delivery worker sends, read from the code that writes them. */
function deliveryHeaders() {
  const names = Object.keys(
    webhookHeaders([generateWebhookSecret()], 'msg_example', '{}', new Date(0)),
  ).filter((name) => name !== 'content-type')
  const undescribed = names.filter((name) => deliveryHeaderDescriptions[name] === undefined)
  if (undescribed.length > 0) {
    throw new Error(`Delivery headers without a description: ${undescribed.join(', ')}`)
  }
  return z.object(
    Object.fromEntries(
      names.map((name) => [name, z.string().describe(deliveryHeaderDescriptions[name] ?? '')]),
    ),
  )
}

/** Why an operation can fail, by the route's access and methods (see docs/errors.md). */
function errorTypesOf(route: DocumentedRoute, method: string): ErrorType[] {
  const types: ErrorType[] = []
  const takesBody = !queryMethods.has(method)
  if (route.docs.params !== null || takesBody) types.push('invalid_input')
  if (takesBody) types.push('invalid_content_type', 'payload_too_large')
  if (route.access !== null) types.push('unauthorized', 'forbidden')
  types.push(...(route.docs.errors ?? []), 'internal_server_error')
  return types
}

const requestIdHeader = { $ref: '#/components/headers/seam-request-id' }

function errorResponses(types: readonly ErrorType[]): Record<string, ResponseConfig> {
  const byStatus = new Map<number, ErrorType[]>()
  for (const type of types) {
    const status = errorStatusByType[type]
    byStatus.set(status, [...(byStatus.get(status) ?? []), type])
  }
  return Object.fromEntries(
    [...byStatus].map(([status, typesOfStatus]) => [
      String(status),
      {
        description: `error.type: ${typesOfStatus.map((type) => `\`${type}\``).join(', ')}`,
        headers: { 'seam-request-id': requestIdHeader },
        content: { 'application/json': { schema: errorBodySchema } },
      },
    ]),
  )
}

/** The route's request as OpenAPI has it: query parameters, or a JSON body. */
function requestOf(
  route: DocumentedRoute,
  method: string,
  params: ZodTypeAny | null,
): NonNullable<RouteConfig['request']> {
  if (params === null) return {}
  if (queryMethods.has(method)) {
    if (!(unwrapEffects(params) instanceof z.ZodObject)) {
      throw new Error(
        `${method} ${route.path}: query parameters must be a zod object (with refinements at most)`,
      )
    }
    return { query: params as z.AnyZodObject }
  }
  return {
    body: {
      // A body is required exactly when the route refuses one with no parameters.
      required: !params.safeParse({}).success,
      content: { 'application/json': { schema: params } },
    },
  }
}

function unwrapEffects(schema: ZodTypeAny): ZodTypeAny {
  return schema instanceof z.ZodEffects ? unwrapEffects(schema.innerType()) : schema
}

/**
 * Throws, naming every offender, when a route has no `docs`: a route cannot ship undocumented.
 * The server calls this at start-up (generating the document itself waits for its first request).
 */
export function assertRoutesDocumented(routes: readonly DocumentedRoute[]): void {
  const undocumented = routes.filter(
    (route) =>
      route.docs === undefined ||
      route.docs.params === undefined ||
      route.docs.response === undefined ||
      !route.docs.summary,
  )
  if (undocumented.length > 0) {
    throw new Error(
      `Routes without API reference (fill their SeamRoute.docs): ${undocumented
        .map((route) => route.path)
        .join(', ')}`,
    )
  }
}

/** The document for a server with these settings. */
export function buildOpenApiDocument(
  routes: readonly DocumentedRoute[],
  options: EventParamOptions,
): OpenAPIObject {
  assertRoutesDocumented(routes)
  const registry = new OpenAPIRegistry()
  registry.registerComponent('securitySchemes', securityScheme, {
    type: 'http',
    scheme: 'bearer',
    description:
      'An API key of the workspace, as `Authorization: Bearer seam_...`. Scopes: `all`, `read`, ' +
      '`publish`; the list in an operation\'s requirement is the access it needs, which a key of ' +
      'that scope or of `all` has; an empty list is any key.',
  })
  registry.registerComponent('headers', 'seam-request-id', {
    description: 'The request\'s id, also in an error body; the server logs it with every line.',
    schema: { type: 'string', format: 'uuid' },
  })
  // Before any route, which refers to them by stand-ins (see response-schemas.ts).
  registry.register('Event', documentedEventSchema())
  registry.register('PublishedEvent', documentedPublishedEventSchema())
  registry.register('Error', errorBodySchema)

  for (const route of routes) {
    const params = route.docs.params === null ? null : route.docs.params(options)
    for (const method of route.methods) {
      registry.registerPath({
        method: method.toLowerCase() as RouteConfig['method'],
        path: route.path,
        operationId: `${route.path.slice(1).replace(/[^a-z0-9]+/gi, '_')}_${method.toLowerCase()}`,
        tags: [route.docs.tag],
        summary: route.docs.summary,
        ...(route.docs.description === undefined ? {} : { description: route.docs.description }),
        security: route.access === null ? [] : [{ [securityScheme]: route.access === 'any' ? [] : [route.access] }],
        request: requestOf(route, method, params),
        responses: {
          200: {
            description: 'OK',
            headers: { 'seam-request-id': requestIdHeader },
            content: {
              [route.docs.responseMediaType ?? 'application/json']: { schema: route.docs.response },
            },
          },
          ...errorResponses(errorTypesOf(route, method)),
        },
      })
    }
  }

  registry.registerWebhook({
    method: 'post',
    path: 'event',
    operationId: 'event_delivery',
    tags: ['webhooks'],
    summary: "An event, as a webhook's url receives it",
    description:
      'Each stored event goes to every enabled webhook of its workspace whose event_types ' +
      'match, as the bare event (the JSON events/list returns), signed in the Standard Webhooks ' +
      "scheme Seam uses: verify it with @seamapi/webhook and the webhook's secret. An answer " +
      "other than 2xx within the timeout is retried on Seam's schedule; 410 Gone disables the " +
      'webhook.',
    request: {
      headers: deliveryHeaders(),
      body: { required: true, content: { 'application/json': { schema: eventSchema } } },
    },
    responses: {
      '2XX': { description: 'Delivered.' },
      '410': { description: 'Gone: the webhook is disabled at once.' },
      default: { description: 'Failed: tried again later, up to the end of the schedule.' },
    },
  })

  const document = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'seam-events-server',
      version: packageVersion,
      description: introduction,
      license: { name: 'MIT', identifier: 'MIT' },
    },
    externalDocs: { description: 'Every event type, its fields and an example', url: '/docs/event-types' },
    // Relative: the document is served by the server it describes, whatever its host.
    servers: [{ url: '/' }],
    tags: [
      { name: 'workspaces', description: "The key's workspace" },
      { name: 'events', description: "Seam's events, and publishing them" },
      { name: 'webhooks', description: 'Webhooks, their deliveries and recoveries' },
      { name: 'health', description: 'For load balancers and orchestrators' },
      { name: 'reference', description: 'This document' },
    ],
  })
  return withoutSeamFrontMatter(document)
}

/**
 * Seam's schema descriptions start with front matter for its own docs tooling (`route_path:`,
 * `undocumented:`) between `---` lines; the reader needs only the text after it.
 */
function withoutSeamFrontMatter<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutSeamFrontMatter) as T
  if (typeof value !== 'object' || value === null) return value
  return Object.fromEntries(
    Object.entries(value).map(([key, member]) => [
      key,
      key === 'description' && typeof member === 'string'
        ? member.replace(/^\s*(?:---\s*\n)?(?:\s*[a-z_]+:.*\n)+\s*---\s*\n/, '').trim()
        : withoutSeamFrontMatter(member),
    ]),
  ) as T
}
