// /events/histogram (ours, not Seam's): how many events of each type fall in each time bucket
// of a range, for the console's timeline chart. It takes exactly the filters of /events/list,
// so that a bar of the chart and the list below it always agree; the store counts in SQL, so
// that drawing a month of a busy workspace never pages through its events.

import { z } from './documented-zod.ts'

import type { EventBucketCount, EventFilters } from '../store/store.ts'
import { invalidParameter } from './errors.ts'
import { checkTimeRange, eventFilterParams, toEventFilters } from './list-events-params.ts'
import { type EventParamOptions, numberParam, parseOrThrow, schemasPerOption } from './param-schemas.ts'
import { type ParsedTimestamp, toStoredTimestamp } from './timestamps.ts'

/**
 * The widths a bucket may have, in seconds. Each is whole minutes and divides a day, so that
 * buckets aligned to the Unix epoch are also aligned to UTC midnight, and the store can find an
 * event's bucket from the text of its created_at (see compileCountEventsByBucket).
 */
export const histogramBucketSeconds = [60, 300, 900, 3600, 10_800, 21_600, 43_200, 86_400] as const

/** The default width is the narrowest that draws the range in at most this many buckets. */
export const defaultMaxBuckets = 120
/** A response never holds more buckets than this, whatever the width asked for. */
export const maxBuckets = 1000

const notPaged =
  'Not accepted here: the histogram has no pages, it counts every event of the range at once'
/** Refused by name, so that a client reusing its events/list parameters learns why. */
const pagingParams = ['limit', 'page_cursor', 'unstable_offset'] as const

function eventHistogramSchema(options: EventParamOptions) {
  return z
    .object({
      ...eventFilterParams(options),
      bucket_seconds: numberParam(z.number())
        .refine((value) => (histogramBucketSeconds as readonly number[]).includes(value), {
          message: `Must be one of ${histogramBucketSeconds.join(', ')}`,
        })
        .openapi({ type: 'integer', enum: [...histogramBucketSeconds] })
        .describe('The width of a bucket; by default the narrowest giving at most 120 buckets.')
        .optional(),
    })
    // For the API reference: the time range rule, and a body "Try it out" can send as it is.
    .openapi({
      oneOf: [{ required: ['since'] }, { required: ['between'] }],
      example: { between: ['2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z'], bucket_seconds: 3600 },
    })
    .superRefine(checkTimeRange)
}

/** The parameters of /events/histogram, per server setting, e.g. for documenting the route. */
export const eventHistogramParamsSchema = schemasPerOption(eventHistogramSchema)

export interface HistogramRequest {
  /** The events to count: list's filters, bounded above by the end of the last bucket. */
  filters: EventFilters
  bucketSeconds: number
  /** The range as asked: since (or between's start) and now (or between's end). */
  start: string
  end: string
  /** Seconds since the epoch of the first and the last bucket's start. */
  firstBucket: number
  lastBucket: number
}

/** `now` (ms since the epoch) ends a `since` range. */
export function parseEventHistogramParams(
  params: Readonly<Record<string, unknown>>,
  options: EventParamOptions,
  now: number,
): HistogramRequest {
  for (const name of pagingParams) {
    if (params[name] !== undefined) throw invalidParameter(name, notPaged)
  }
  const parsed = parseOrThrow(eventHistogramParamsSchema(options), params)
  const filters = toEventFilters(parsed)

  // The first and last millisecond an event of the range can have been created at.
  let start: string
  let end: string
  let firstMs: number
  let lastMs: number
  if (parsed.since !== undefined) {
    start = parsed.since.ceil
    firstMs = Date.parse(start)
    lastMs = Math.max(now, firstMs)
    end = toStoredTimestamp(lastMs)
  } else {
    // checkTimeRange made sure of two timestamps in order; between excludes both ends.
    const [from, to] = parsed.between as [ParsedTimestamp, ParsedTimestamp]
    start = from.floor
    end = to.ceil
    firstMs = Date.parse(start) + 1
    lastMs = Math.max(Date.parse(end) - 1, firstMs)
  }

  const bucketCount = (width: number) =>
    Math.floor(lastMs / (width * 1000)) - Math.floor(firstMs / (width * 1000)) + 1
  let bucketSeconds: number
  if (parsed.bucket_seconds !== undefined) {
    bucketSeconds = parsed.bucket_seconds
    const count = bucketCount(bucketSeconds)
    if (count > maxBuckets) {
      throw invalidParameter(
        'bucket_seconds',
        `${bucketSeconds}-second buckets would cut this range into ${count}; at most ${maxBuckets}: choose a wider bucket`,
      )
    }
  } else {
    const widest = histogramBucketSeconds[histogramBucketSeconds.length - 1] as number
    bucketSeconds = histogramBucketSeconds.find((width) => bucketCount(width) <= defaultMaxBuckets) ?? widest
    if (bucketCount(bucketSeconds) > maxBuckets) {
      throw invalidParameter(
        parsed.since !== undefined ? 'since' : 'between',
        `The range spans more than ${maxBuckets} days: a histogram has at most ${maxBuckets} buckets of at most a day`,
      )
    }
  }

  const firstBucket = Math.floor(firstMs / (bucketSeconds * 1000)) * bucketSeconds
  const lastBucket = Math.floor(lastMs / (bucketSeconds * 1000)) * bucketSeconds
  // A since range ends now: events stored after this moment but within the last bucket are
  // counted there, and none can land past the buckets of the response.
  const lastBucketEnd = toStoredTimestamp((lastBucket + bucketSeconds) * 1000)
  if (filters.created_at_before === undefined || filters.created_at_before > lastBucketEnd) {
    filters.created_at_before = lastBucketEnd
  }
  return { filters, bucketSeconds, start, end, firstBucket, lastBucket }
}

export interface HistogramBucket {
  start: string
  /** The types with events in this bucket, in the order of the histogram's event_types. */
  counts: Record<string, number>
  total: number
}

export interface EventHistogram {
  bucket_seconds: number
  start: string
  end: string
  /** Every type with events in the range, the most frequent first (ties by name). */
  event_types: string[]
  /** Every bucket of the range, oldest first, empty ones included. */
  buckets: HistogramBucket[]
  total_events: number
}

/** The response's histogram from the store's counts. */
export function buildEventHistogram(request: HistogramRequest, counts: readonly EventBucketCount[]): EventHistogram {
  const { bucketSeconds, firstBucket, lastBucket } = request
  const bucketCount = (lastBucket - firstBucket) / bucketSeconds + 1
  const perBucket = Array.from({ length: bucketCount }, () => new Map<string, number>())
  const totalByType = new Map<string, number>()
  for (const { bucket_start, event_type, count } of counts) {
    const bucket = perBucket[(bucket_start - firstBucket) / bucketSeconds]
    // The store's query is bounded to the buckets' range; a row outside it is a bug there.
    if (bucket === undefined) {
      throw new Error(`store counted a bucket at ${bucket_start} outside ${firstBucket}..${lastBucket}`)
    }
    bucket.set(event_type, (bucket.get(event_type) ?? 0) + count)
    totalByType.set(event_type, (totalByType.get(event_type) ?? 0) + count)
  }
  const eventTypes = [...totalByType.entries()]
    .sort(([typeA, totalA], [typeB, totalB]) => totalB - totalA || (typeA < typeB ? -1 : typeA > typeB ? 1 : 0))
    .map(([type]) => type)

  let totalEvents = 0
  const buckets = perBucket.map((bucket, index) => {
    const bucketCounts: Record<string, number> = {}
    let total = 0
    for (const type of eventTypes) {
      const count = bucket.get(type)
      if (count === undefined) continue
      bucketCounts[type] = count
      total += count
    }
    totalEvents += total
    return {
      start: toStoredTimestamp((firstBucket + index * bucketSeconds) * 1000),
      counts: bucketCounts,
      total,
    }
  })
  return {
    bucket_seconds: bucketSeconds,
    start: request.start,
    end: request.end,
    event_types: eventTypes,
    buckets,
    total_events: totalEvents,
  }
}
