// The console talks to the service only through its public HTTP API, with the signed-in key.

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

export interface Histogram {
  bucket_seconds: number
  start: string
  end: string
  event_types: string[]
  buckets: { start: string; counts: Record<string, number>; total: number }[]
  total_events: number
}

export interface Webhook {
  webhook_id: string
  url: string
  event_types: string[]
  secret: string
  disabled: boolean
  disabled_reason: string | null
  disabled_at: string | null
  failing_since: string | null
  created_at: string
  updated_at: string
}

export interface DeliveryAttempt {
  attempted_at: string
  duration_ms: number
  status_code: number | null
  error: string | null
  response_body: string | null
}

export interface Delivery {
  delivery_id: string
  webhook_id: string
  event_id: string
  event_type: string
  status: 'pending' | 'succeeded' | 'failed'
  attempt_count: number
  next_attempt_at: string | null
  last_error: string | null
  created_at: string
  completed_at: string | null
  recovery_id: string | null
  attempts: DeliveryAttempt[]
}

export interface Recovery {
  recovery_id: string
  webhook_id: string
  since: string
  until: string
  status: 'running' | 'completed'
  events_total: number
  events_scanned: number
  deliveries_queued: number
  deliveries: Record<Delivery['status'], number>
  created_at: string
  completed_at: string | null
}
