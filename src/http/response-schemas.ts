// The bodies the routes answer with, as zod schemas for the API reference. The routes write
// their JSON by hand (stored events are joined as text, never re-encoded), so each schema here is
// tied to the type the route writes: a field added to a store type without its schema does not
// compile.

import { z } from '../domain/documented-zod.ts'
import { errorStatusByType, type ErrorType } from '../domain/errors.ts'
import type { EventHistogram } from '../domain/event-histogram.ts'
import type { Delivery, Recovery } from '../store/store.ts'

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false

/** Compiles only when the schema's output is exactly T, neither more nor less. */
function schemaOf<T>() {
  return <S extends z.ZodType<T>>(
    schema: S,
    ..._exactly: Same<z.output<S>, T> extends true ? [] : [never]
  ): S => schema
}

export const timestampField = z.string().datetime()

/** A 200 body: the route's members and `ok: true`. */
export function okBody<T extends z.ZodRawShape>(shape: T) {
  return z.object({ ...shape, ok: z.literal(true) })
}

/**
 * Where a body holds events: stand-ins that the generator writes as a `$ref` to the components
 * that openapi-document.ts registers from Seam's schemas. zod-to-openapi regenerates a registered
 * schema at each reference (to compare metadata), and with Seam's union of ~100 event types that
 * was a third of a second of start-up.
 */
export const eventSchema = componentStandIn('Event')
export const publishedEventSchema = componentStandIn('PublishedEvent')

function componentStandIn(name: string) {
  // Refusing undefined makes a member holding it required, as the component would.
  return z
    .unknown()
    .refine((value) => value !== undefined)
    .openapi(name)
}

export const deliveryStatusSchema = z.enum(['pending', 'succeeded', 'failed'])

export const deliverySchema = schemaOf<Delivery>()(
  z
    .object({
      delivery_id: z.string().uuid(),
      webhook_id: z.string(),
      event_id: z.string().uuid(),
      event_type: z.string(),
      status: deliveryStatusSchema,
      attempt_count: z.number().int(),
      next_attempt_at: timestampField
        .nullable()
        .describe('Null when the delivery is done, or waits for its disabled webhook.'),
      last_error: z.string().nullable(),
      created_at: timestampField,
      completed_at: timestampField.nullable(),
      recovery_id: z.string().nullable().describe('Set when a recovery queued this delivery.'),
      is_test_event: z
        .boolean()
        .describe('A test delivery (`/webhooks/send_test_event`): a sample event, in no event log.'),
      attempts: z.array(
        z.object({
          attempted_at: timestampField,
          duration_ms: z.number(),
          status_code: z
            .number()
            .int()
            .nullable()
            .describe('Null when no response arrived (timeout, refused connection or target).'),
          error: z.string().nullable(),
          response_body: z.string().nullable().describe('The first 4 KB of the response body.'),
        }),
      ),
    })
    .openapi('Delivery'),
)

export const recoverySchema = schemaOf<Recovery>()(
  z
    .object({
      recovery_id: z.string().uuid(),
      webhook_id: z.string(),
      since: timestampField,
      until: timestampField,
      status: z.enum(['running', 'completed']),
      events_total: z
        .number()
        .int()
        .describe('Events of the workspace in the window, counted when the recovery was created.'),
      events_scanned: z.number().int(),
      deliveries_queued: z.number().int(),
      deliveries: z
        .object({
          pending: z.number().int(),
          succeeded: z.number().int(),
          failed: z.number().int(),
        })
        .describe('Where the queued deliveries are now.'),
      created_at: timestampField,
      completed_at: timestampField.nullable(),
    })
    .openapi('Recovery'),
)

export const errorTypes = Object.keys(errorStatusByType) as [ErrorType, ...ErrorType[]]

/** Seam's error envelope, which every error response is (docs/errors.md). */
export const errorBodySchema = z
  .object({
    error: z.object({
      type: z.enum(errorTypes),
      message: z.string(),
      request_id: z.string().uuid().describe('Also in the seam-request-id header.'),
      validation_errors: z
        .object({ _errors: z.array(z.string()) })
        .catchall(z.unknown())
        .optional()
        .describe(
          "Only on invalid_input: zod's format() shape, each parameter (or event index) under " +
            'its name with its own _errors.',
        ),
    }),
    ok: z.literal(false),
  })
  .openapi('Error')

export const eventHistogramSchema = schemaOf<EventHistogram>()(
  z
    .object({
      bucket_seconds: z.number().int().describe('The width of each bucket.'),
      start: timestampField.describe('The start of the range: since, or the start of between.'),
      end: timestampField.describe('The end of the range: now for since, or the end of between.'),
      event_types: z
        .array(z.string())
        .describe('Every type with events in the range, the most frequent first.'),
      buckets: z
        .array(
          z.object({
            start: timestampField.describe('Aligned to a multiple of bucket_seconds since the Unix epoch.'),
            counts: z
              .record(z.string(), z.number().int())
              .describe('Events per type in this bucket; types without events are left out.'),
            total: z.number().int(),
          }),
        )
        .describe('Every bucket of the range, oldest first, empty ones included.'),
      total_events: z.number().int(),
    })
    .openapi('EventHistogram'),
)
