// The console talks to the service only through its public HTTP API, with the signed-in key.
// The bodies it reads are typed by the server's own types (type-only imports: nothing of the
// server is bundled), so that the console cannot drift from what the routes answer.

import type { EventHistogram } from '../../src/domain/event-histogram.ts'
import type { webhookJson } from '../../src/http/routes/webhooks/webhook-json.ts'
import type { Delivery, DeliveryAttempt, Recovery } from '../../src/store/store.ts'

export type { Delivery, DeliveryAttempt, Recovery }
export type Histogram = EventHistogram

export interface ApiErrorBody {
  type: string
  message: string
  request_id?: string
}

/** A Seam error envelope (or a network failure) as the console shows it. */
export class ApiError extends Error {
  readonly type: string
  readonly status: number

  constructor(status: number, body: ApiErrorBody) {
    super(body.message)
    this.type = body.type
    this.status = status
  }
}

/** What the console shows for a failed call: the server's message, or what went wrong. */
export function errorMessage(caught: unknown): string {
  return caught instanceof ApiError ? caught.message : String(caught)
}

export type Params = Record<string, unknown>

/** POSTs JSON (every route takes it), so that no parameter ever lands in a URL or an access log. */
export async function callApi<T>(apiKey: string, path: string, params: Params = {}): Promise<T> {
  let response: Response
  try {
    response = await fetch(path, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(withoutEmpty(params)),
    })
  } catch {
    throw new ApiError(0, { type: 'network_error', message: 'The server could not be reached' })
  }
  const body = (await response.json().catch(() => null)) as
    | ({ ok: true } & T)
    | { ok: false; error: ApiErrorBody }
    | null
  if (body === null) {
    throw new ApiError(response.status, {
      type: 'invalid_response',
      message: `The server answered ${response.status} without JSON`,
    })
  }
  if (!response.ok || body.ok === false) {
    const error = 'error' in body ? body.error : { type: 'unknown', message: `HTTP ${response.status}` }
    throw new ApiError(response.status, error)
  }
  return body
}

/** Unset form fields are left out rather than sent as empty strings. */
export function withoutEmpty(params: Params): Params {
  return Object.fromEntries(
    Object.entries(params).filter(
      ([, value]) =>
        value !== undefined && value !== '' && !(Array.isArray(value) && value.length === 0),
    ),
  )
}

export interface SeamEvent {
  event_id: string
  event_type: string
  workspace_id: string
  created_at: string
  occurred_at: string
  event_description?: string
  device_id?: string
  [field: string]: unknown
}

export interface EventPage {
  events: SeamEvent[]
  pagination: { next_page_cursor: string | null; has_next_page: boolean }
}

/** A webhook as the routes write it (webhookJson). */
export type Webhook = ReturnType<typeof webhookJson>
export type WebhookStats = NonNullable<Webhook['delivery_stats']>

/** A delivery with its request as sent (webhooks/deliveries/get). */
export interface DeliveryWithRequest {
  delivery: Delivery
  webhook_url: string | null
  request: {
    method: 'POST'
    url: string
    body: string | null
    attempts: { attempted_at: string; headers: Record<string, string> }[]
  } | null
}
