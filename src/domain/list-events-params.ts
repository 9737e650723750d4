// The parameters of /events/list and /events/get, as Seam's OpenAPI declares them, and of
// /events/stream, which takes the same filters; checked once here so that the routes and the
// store only see well-formed queries. /events/histogram takes the same filters as list
// (eventFilterParams, checkTimeRange, toEventFilters).

import { z } from './documented-zod.ts'

import {
  eventFilterColumns,
  type EventFilterColumn,
  type EventFilters,
  type EventListQuery,
  type EventLookup,
  type EventPosition,
} from '../store/store.ts'
import { currentEventTypeName, eventTypeNames, eventTypePattern } from './event-catalog.ts'
import { decodePageCursor, decodeStreamPosition } from './page-cursor.ts'
import {
  type EventParamOptions,
  invalidPageCursor,
  listParam,
  numberParam,
  parseOrThrow,
  schemasPerOption,
  timestamp,
  uuid,
} from './param-schemas.ts'
import type { ParsedTimestamp } from './timestamps.ts'
import { invalidInput } from './validation-errors.ts'

export const defaultListLimit = 500
/** The most events one page holds; a larger `limit` gets this many, and the cursor the rest. */
export const maxListLimit = 10_000

/**
 * An event type in a read filter (list, get, stream, histogram): any well-formed name, known or
 * not. Seam keeps adding types, and a client newer than this server (an SDK whose types already
 * list them) must get an empty list for a type it has not seen here, not a 400. An older name
 * of a renamed type (renamedEventTypes) matches the type it became.
 */
export const eventTypeFilterParam = z
  .string()
  .refine(
    (value) => eventTypePattern.test(value),
    (value) => ({
      message: `Invalid event type "${value}": expected a dotted lower-case name such as "lock.unlocked"`,
    }),
  )
  .openapi({
    pattern: eventTypePattern.source,
    example: 'lock.unlocked',
    description:
      'An event type (docs/event-types.md, /docs/event-types). Any well-formed name is taken: ' +
      'one this server does not know matches no event.',
  })

/**
 * `limit` as Seam's OpenAPI has it (a number, no maximum): any positive number, a fraction
 * rounded down (at least 1), and more than a page holds capped rather than refused, the cursor
 * giving the rest.
 */
const limitParam = numberParam(
  z.number({ invalid_type_error: 'Expected a positive number' }).positive(),
)
  .transform((limit) => Math.min(Math.max(1, Math.floor(limit)), maxListLimit))
  .openapi({ type: 'number', exclusiveMinimum: 0, default: defaultListLimit })
  .default(defaultListLimit)
  .describe(
    `Events per page: any positive number, a fraction rounded down; above ${maxListLimit.toLocaleString('en-US')} the page holds ` +
      `${maxListLimit.toLocaleString('en-US')} and next_page_cursor gives the rest.`,
  )

/** Single-id filters: every indexed column but customer_key, which is free text. */
const singleIdFilters = eventFilterColumns.filter(
  (column): column is Exclude<EventFilterColumn, 'customer_key'> => column !== 'customer_key',
)

/** List filters and the column each one matches ("any of these ids"). */
const idListFilters = {
  device_ids: 'device_id',
  access_code_ids: 'access_code_id',
  acs_system_ids: 'acs_system_id',
  access_grant_ids: 'access_grant_id',
  access_method_ids: 'access_method_id',
  space_ids: 'space_id',
} as const satisfies Record<string, EventFilterColumn>

/**
 * The filter parameters of /events/list: which events, leaving out how to page through them.
 * /events/histogram counts the events the same filters select, so it takes these too.
 */
export function eventFilterParams(_options: EventParamOptions) {
  const eventType = eventTypeFilterParam
  return {
    since: timestamp.optional().describe('Events created at or after this instant.'),
    between: listParam(timestamp)
      .optional()
      .describe('[start, end]: events created strictly between the two instants.'),
    event_type: eventType.optional(),
    event_types: listParam(eventType).optional(),
    event_ids: listParam(uuid).optional(),
    customer_key: z.string().optional().describe('Events of this customer (free text).'),
    ...Object.fromEntries(singleIdFilters.map((name) => [name, uuid.optional()])),
    ...Object.fromEntries(Object.keys(idListFilters).map((name) => [name, listParam(uuid).optional()])),
  }
}

type EventFilterParams = z.output<z.ZodObject<ReturnType<typeof eventFilterParams>>>

/** The time range of the filters: since or between, one of them, and a between that is a range. */
export function checkTimeRange(
  params: Pick<EventFilterParams, 'since' | 'between'>,
  context: z.RefinementCtx,
): void {
  if (params.since === undefined && params.between === undefined) {
    context.addIssue({ code: 'custom', message: 'Must specify either since or between' })
  }
  if (params.since !== undefined && params.between !== undefined) {
    context.addIssue({
      code: 'custom',
      path: ['between'],
      message: 'Must specify either since or between, not both',
    })
  }
  const { between } = params
  if (between !== undefined) {
    const [start, end] = between
    if (between.length !== 2 || start === undefined || end === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['between'],
        message: 'Must hold exactly two timestamps: [start, end]',
      })
    } else if (start.floor > end.floor) {
      context.addIssue({
        code: 'custom',
        path: ['between'],
        message: 'The start must not be after the end',
      })
    }
  }
}

function listEventsSchema(options: EventParamOptions) {
  return z
    .object({
      ...eventFilterParams(options),
      limit: limitParam,
      unstable_offset: numberParam(z.number().min(0))
        .transform(Math.floor)
        .openapi({ type: 'number', minimum: 0, default: 0 })
        .default(0)
        .describe('Events to skip, as Seam has it; page_cursor pages without gaps or repeats.'),
      page_cursor: z
        .string()
        .optional()
        .describe('The next_page_cursor of the previous page, as it was returned.'),
    })
    // The time range rule for the API reference (a JSON body's schema can say it), and a body
    // that "Try it out" can send as it is.
    .openapi({
      oneOf: [{ required: ['since'] }, { required: ['between'] }],
      example: { since: '2024-01-01T00:00:00Z', limit: 100 },
    })
    .superRefine(checkTimeRange)
}

function eventLookupSchema(_options: EventParamOptions) {
  return z
    .object({
      event_id: uuid.optional(),
      device_id: uuid.optional(),
      event_type: eventTypeFilterParam.optional(),
    })
    .openapi({
      anyOf: [{ required: ['event_id'] }, { required: ['device_id'] }, { required: ['event_type'] }],
    })
    .refine(
      (params) =>
        params.event_id !== undefined ||
        params.device_id !== undefined ||
        params.event_type !== undefined,
      { message: 'Must specify event_id, device_id or event_type' },
    )
}

/**
 * Parameters of events/list that a stream refuses rather than ignores, with why: a caller who
 * passes them expects something the stream does not do.
 */
const refusedStreamParams: Readonly<Record<string, string>> = {
  between:
    'A stream has no end: pass since (replay from a time, then live), or use /events/list for a closed window',
  limit: 'A stream is not paged: it sends every matching event',
  page_cursor: 'A stream is not paged: resume with the Last-Event-ID header (or last_event_id)',
  unstable_offset: 'A stream is not paged: resume with the Last-Event-ID header (or last_event_id)',
}

/**
 * The query parameters of GET /events/stream: the filters of events/list, `since` to replay
 * from a time, and `last_event_id` (for clients that cannot send the Last-Event-ID header).
 * Exported for documentation (OpenAPI).
 */
export function eventStreamParamsSchema(options: EventParamOptions) {
  const { between: _refused, ...filters } = eventFilterParams(options)
  return z.object({
    ...filters,
    since: filters.since.describe('Replay the events created at or after this instant, then go live.'),
    last_event_id: z
      .string()
      .optional()
      .describe('Resume after the event with this id (the Last-Event-ID header wins over it).'),
  })
}

const schemasFor = schemasPerOption((options) => ({
  listEvents: listEventsSchema(options),
  eventLookup: eventLookupSchema(options),
  eventStream: eventStreamParamsSchema(options),
}))

/** What /events/list parses its parameters with, and what its API reference is made from. */
export function listEventsParamsSchema(options: EventParamOptions) {
  return schemasFor(options).listEvents
}

/** What /events/get parses its parameters with, and what its API reference is made from. */
export function eventLookupParamsSchema(options: EventParamOptions) {
  return schemasFor(options).eventLookup
}

export interface ListEventsRequest {
  query: EventListQuery
  /** The parameters as given, for building next_page_url. */
  params: Readonly<Record<string, unknown>>
}

export function parseListEventsParams(
  params: Readonly<Record<string, unknown>>,
  options: EventParamOptions,
): ListEventsRequest {
  const parsed = parseOrThrow(listEventsParamsSchema(options), params)
  const query: EventListQuery = {
    ...toEventFilters(parsed),
    limit: parsed.limit,
    offset: parsed.unstable_offset,
  }
  if (parsed.page_cursor !== undefined && parsed.page_cursor !== '') {
    const position = decodePageCursor(parsed.page_cursor)
    if (position === undefined) {
      throw invalidPageCursor()
    }
    query.before = position
  }
  return { query, params }
}

/** The store's filters for parameters that passed eventFilterParams and checkTimeRange. */
export function toEventFilters(parsed: EventFilterParams): EventFilters {
  const filters: EventFilters = {}
  if (parsed.since !== undefined) filters.created_at_min = parsed.since.ceil
  if (parsed.between !== undefined) {
    const [start, end] = parsed.between as [ParsedTimestamp, ParsedTimestamp]
    // Exclusive at both ends, at the precision the events are stored with.
    filters.created_at_after = start.floor
    filters.created_at_before = end.ceil
  }
  if (parsed.event_ids !== undefined) filters.event_ids = parsed.event_ids
  const eventTypes = intersect(
    parsed.event_type === undefined ? undefined : currentEventTypeName(parsed.event_type),
    parsed.event_types?.map(currentEventTypeName),
  )
  if (eventTypes !== undefined) filters.event_types = [...new Set(eventTypes.flatMap(eventTypeNames))]

  const ids = parsed as unknown as Record<string, string | string[] | undefined>
  const columns: Partial<Record<EventFilterColumn, readonly string[]>> = {}
  for (const name of singleIdFilters) {
    const value = ids[name] as string | undefined
    if (value !== undefined) columns[name] = [value]
  }
  for (const [name, column] of Object.entries(idListFilters)) {
    const values = intersect(columns[column]?.[0], ids[name] as string[] | undefined)
    if (values !== undefined) columns[column] = values
  }
  if (parsed.customer_key !== undefined) columns.customer_key = [parsed.customer_key]
  filters.columns = columns
  return filters
}

export interface EventStreamRequest {
  filters: EventFilters
  /** Resume strictly after this event; from the last_event_id parameter or the header. */
  lastEventId: EventPosition | undefined
  /** Whether `since` was given: then the stream replays from it rather than starting live. */
  replay: boolean
}

/**
 * `lastEventIdHeader` is the Last-Event-ID header, which EventSource sends when it reconnects;
 * it wins over the parameter, since a reconnect repeats the URL it first opened.
 */
export function parseEventStreamParams(
  params: Readonly<Record<string, unknown>>,
  lastEventIdHeader: string | undefined,
  options: EventParamOptions,
): EventStreamRequest {
  const refused = Object.entries(refusedStreamParams)
    .filter(([name]) => params[name] !== undefined)
    .map(([name, message]) => ({ path: [name], message }))
  if (refused.length > 0) throw invalidInput('Invalid parameters', refused)
  const parsed = parseOrThrow(schemasFor(options).eventStream, params)
  const filters: EventFilters = toEventFilters(parsed)

  let lastEventId: EventPosition | undefined
  const [name, given] =
    lastEventIdHeader !== undefined && lastEventIdHeader !== ''
      ? ['Last-Event-ID', lastEventIdHeader]
      : ['last_event_id', parsed.last_event_id]
  if (given !== undefined && given !== '') {
    lastEventId = decodeStreamPosition(given)
    if (lastEventId === undefined) {
      throw invalidInput('Invalid parameters', [
        { path: [name], message: 'Invalid event id: pass the id of an event this stream sent' },
      ])
    }
  }
  return { filters, lastEventId, replay: parsed.since !== undefined }
}

export function parseEventLookupParams(
  params: Readonly<Record<string, unknown>>,
  options: EventParamOptions,
): EventLookup {
  const parsed = parseOrThrow(eventLookupParamsSchema(options), params)
  const lookup: EventLookup = {}
  if (parsed.event_id !== undefined) lookup.event_id = parsed.event_id
  if (parsed.device_id !== undefined) lookup.device_id = parsed.device_id
  if (parsed.event_type !== undefined) lookup.event_types = eventTypeNames(parsed.event_type)
  return lookup
}

/** `x_id` and `x_ids` together: an event must match both, i.e. the intersection. */
function intersect(
  single: string | undefined,
  list: readonly string[] | undefined,
): readonly string[] | undefined {
  if (single === undefined) return list
  if (list === undefined) return [single]
  return list.includes(single) ? [single] : []
}
