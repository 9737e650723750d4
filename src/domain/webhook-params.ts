// The parameters of the /webhooks/* routes: Seam's (create, list, get, update, delete) and ours
// for operators (deliveries, retry, recover, rotate_secret).

import { z } from './documented-zod.ts'

import type { DeliveryListQuery, DeliveryStatus, NewRecovery, WebhookPatch } from '../store/store.ts'
import { currentEventTypeName, eventTypePattern, knownEventTypes } from './event-catalog.ts'
import {
  booleanParam,
  type EventParamOptions,
  invalidPageCursor,
  listParam,
  numberParam,
  parseOrThrow,
  schemasPerOption,
  timestamp,
  uuid,
} from './param-schemas.ts'

export const defaultDeliveryListLimit = 100
export const maxDeliveryListLimit = 1000

/**
 * `*`, an event type, or `family.*`. An event type is taken when it is well formed, known or
 * not: Seam keeps adding types, and a client newer than this server must be able to subscribe to
 * one before the server knows it (the webhook gets those events once they are published). An
 * older name of a renamed type is saved as its current name. A family no known type belongs to
 * is refused (unless unknown types are allowed), so that a typo in a pattern does not become a
 * webhook that silently receives nothing.
 */
function eventTypePatternParam({ allowUnknownEventTypes }: EventParamOptions) {
  return z
    .string()
    .refine(
      (pattern) => {
        if (pattern === '*') return true
        if (pattern.endsWith('.*')) {
          const prefix = pattern.slice(0, -1)
          if (!/^[a-z0-9_]+(\.[a-z0-9_]+)*\.$/.test(prefix)) return false
          return allowUnknownEventTypes || knownEventTypes.some((type) => type.startsWith(prefix))
        }
        return eventTypePattern.test(pattern)
      },
      (pattern) => ({
        message: `Invalid event type "${pattern}": use an event type such as "lock.unlocked", a "family.*" pattern of known types, or "*"`,
      }),
    )
    .transform(currentEventTypeName)
    .openapi(
      allowUnknownEventTypes
        ? { pattern: anyEventTypePattern, example: 'lock.*' }
        : {
            anyOf: [
              { type: 'string', enum: ['*', ...knownFamilyPatterns()] },
              { type: 'string', pattern: eventTypePattern.source },
            ],
            example: 'lock.*',
            description:
              '`*`, a `family.*` pattern of known types, or an event type (any well-formed name: ' +
              'docs/event-types.md lists the known ones).',
          },
    )
}

/** What the check above lets through when unknown types are allowed, as one regular expression. */
const anyEventTypePattern = String.raw`^(\*|[a-z0-9_]+(\.[a-z0-9_]+)*\.\*|[a-z0-9_]+(\.[a-z0-9_]+)+)$`

/** `lock.*`, `acs_system.*`...: every `family.*` that matches at least one of Seam's types. */
function knownFamilyPatterns(): string[] {
  const families = new Set<string>()
  for (const type of knownEventTypes) {
    const parts = type.split('.')
    for (let length = 1; length < parts.length; length++) {
      families.add(`${parts.slice(0, length).join('.')}.*`)
    }
  }
  return [...families].sort()
}

function eventTypesParam(options: EventParamOptions) {
  return listParam(eventTypePatternParam(options))
    .refine((patterns) => patterns.length > 0, {
      message: 'Must list at least one event type, or "*" for all',
    })
    // An older name and its current one are the same entry once renamed.
    .transform((patterns) => [...new Set(patterns)])
}

const webhookId = z.string().min(1)
const url = z.string().min(1).max(2048).openapi({ format: 'uri' })

/** The longest description a webhook may have, in characters. */
export const maxWebhookDescriptionLength = 500
const description = z
  .string()
  .max(maxWebhookDescriptionLength, `Must be at most ${maxWebhookDescriptionLength} characters`)
  .describe(`Ours: what the webhook is for, up to ${maxWebhookDescriptionLength} characters.`)

export const webhookIdParamsSchema = z.object({ webhook_id: webhookId })

function buildSchemas(options: EventParamOptions) {
  return {
    create: z.object({
      url: url.describe('Where deliveries are POSTed: a public http(s) URL.'),
      event_types: eventTypesParam(options)
        .default(['*'])
        .describe('Event types, `family.*` patterns, or `*` for every event.'),
      description: description.optional(),
    }),
    update: z
      .object({
        webhook_id: webhookId,
        event_types: eventTypesParam(options)
          .optional()
          .describe('Replaces the list: event types, `family.*` patterns, or `*`.'),
        url: url.optional(),
        disabled: booleanParam
          .optional()
          .describe('true parks new deliveries; false sends the parked ones.'),
        description: description
          .nullable()
          .optional()
          .describe('Ours: replaces the description; null or an empty string removes it.'),
      })
      .openapi({
        anyOf: [
          { required: ['event_types'] },
          { required: ['url'] },
          { required: ['disabled'] },
          { required: ['description'] },
        ],
      })
      .refine(
        (params) =>
          params.event_types !== undefined ||
          params.url !== undefined ||
          params.disabled !== undefined ||
          params.description !== undefined,
        { message: 'Must specify event_types, url, disabled or description' },
      ),
  }
}

const schemasFor = schemasPerOption(buildSchemas)

/** What /webhooks/create parses its parameters with, and what its API reference is made from. */
export function createWebhookParamsSchema(options: EventParamOptions) {
  return schemasFor(options).create
}

/** What /webhooks/update parses its parameters with, and what its API reference is made from. */
export function updateWebhookParamsSchema(options: EventParamOptions) {
  return schemasFor(options).update
}

export function parseCreateWebhookParams(
  params: Readonly<Record<string, unknown>>,
  options: EventParamOptions,
): { url: string; event_types: string[]; description: string | null } {
  const parsed = parseOrThrow(createWebhookParamsSchema(options), params)
  return { url: parsed.url, event_types: parsed.event_types, description: emptyToNull(parsed.description) }
}

/** A description of only spaces, or none, is no description. */
function emptyToNull(text: string | null | undefined): string | null {
  const trimmed = text?.trim() ?? ''
  return trimmed === '' ? null : trimmed
}

export function parseUpdateWebhookParams(
  params: Readonly<Record<string, unknown>>,
  options: EventParamOptions,
): { webhook_id: string; patch: WebhookPatch } {
  const { webhook_id, event_types, url, disabled, description } = parseOrThrow(
    updateWebhookParamsSchema(options),
    params,
  )
  const patch: WebhookPatch = {}
  if (event_types !== undefined) patch.event_types = event_types
  if (url !== undefined) patch.url = url
  if (disabled !== undefined) patch.disabled = disabled
  if (description !== undefined) patch.description = emptyToNull(description)
  return { webhook_id, patch }
}

export function parseWebhookIdParams(params: Readonly<Record<string, unknown>>): string {
  return parseOrThrow(webhookIdParamsSchema, params).webhook_id
}

const deliveryStatuses = ['pending', 'succeeded', 'failed'] as const satisfies DeliveryStatus[]

export const listDeliveriesParamsSchema = z.object({
  webhook_id: webhookId.optional(),
  event_id: uuid.optional(),
  status: z.enum(deliveryStatuses).optional(),
  since: timestamp.optional().describe('Deliveries queued at or after this instant.'),
  limit: numberParam(z.number().int().min(1).max(maxDeliveryListLimit)).default(
    defaultDeliveryListLimit,
  ),
  page_cursor: z.string().optional(),
})

export function parseListDeliveriesParams(
  params: Readonly<Record<string, unknown>>,
): DeliveryListQuery {
  const parsed = parseOrThrow(listDeliveriesParamsSchema, params)
  const query: DeliveryListQuery = { limit: parsed.limit }
  if (parsed.webhook_id !== undefined) query.webhook_id = parsed.webhook_id
  if (parsed.event_id !== undefined) query.event_id = parsed.event_id
  if (parsed.status !== undefined) query.status = parsed.status
  if (parsed.since !== undefined) query.created_at_min = parsed.since.ceil
  if (parsed.page_cursor !== undefined && parsed.page_cursor !== '') {
    const deliveryId = decodeDeliveryCursor(parsed.page_cursor)
    if (deliveryId === undefined) {
      throw invalidPageCursor()
    }
    query.before_delivery_id = deliveryId
  }
  return query
}

export function encodeDeliveryCursor(deliveryId: string): string {
  return Buffer.from(deliveryId).toString('base64url')
}

function decodeDeliveryCursor(cursor: string): string | undefined {
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8')
  return uuid.safeParse(decoded).success ? decoded : undefined
}

export const deliveryIdParamsSchema = z.object({ delivery_id: z.string().min(1) })

export function parseDeliveryIdParams(params: Readonly<Record<string, unknown>>): string {
  return parseOrThrow(deliveryIdParamsSchema, params).delivery_id
}

export const recoveryIdParamsSchema = z.object({ recovery_id: z.string().min(1) })

export function parseRecoveryIdParams(params: Readonly<Record<string, unknown>>): string {
  return parseOrThrow(recoveryIdParamsSchema, params).recovery_id
}

export const recoverParamsSchema = z
  .object({
    webhook_id: webhookId,
    since: timestamp.describe('Inclusive start of the window of events to send again.'),
    until: timestamp.optional().describe('Exclusive end of the window; default: now.'),
  })
  .refine((params) => params.until === undefined || params.until.floor > params.since.floor, {
    message: 'until must be after since',
    path: ['until'],
  })

/** `since` is inclusive and `until` exclusive, defaulting to now. */
export function parseRecoverParams(
  params: Readonly<Record<string, unknown>>,
  now: Date,
): NewRecovery {
  const parsed = parseOrThrow(recoverParamsSchema, params)
  return {
    webhook_id: parsed.webhook_id,
    since: parsed.since.ceil,
    until: parsed.until?.ceil ?? now.toISOString(),
  }
}

export const defaultRetryFailedLimit = 100
export const maxRetryFailedLimit = 1000

export const retryFailedParamsSchema = z.object({
  webhook_id: webhookId,
  failed_before: timestamp
    .optional()
    .describe(
      'Only deliveries that failed before this instant (default: now). Pass the `failed_before` of ' +
        'the first answer to every next batch, so that a delivery failing again is not retried twice.',
    ),
  limit: numberParam(z.number().int().min(1).max(maxRetryFailedLimit))
    .default(defaultRetryFailedLimit)
    .describe('At most this many deliveries per call; call again while `failed_remaining` > 0.'),
})

export function parseRetryFailedParams(
  params: Readonly<Record<string, unknown>>,
  now: Date,
): { webhook_id: string; failed_before: string; limit: number } {
  const parsed = parseOrThrow(retryFailedParamsSchema, params)
  return {
    webhook_id: parsed.webhook_id,
    failed_before: parsed.failed_before?.ceil ?? now.toISOString(),
    limit: parsed.limit,
  }
}

export const sendTestEventParamsSchema = z.object({
  webhook_id: webhookId,
  event_type: z
    .string()
    .optional()
    .describe(
      "A known event type for the sample (default: the first known type the webhook's event types match).",
    ),
})
