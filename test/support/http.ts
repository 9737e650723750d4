// Raw HTTP for what the SDK cannot send: malformed bodies, odd methods, hand-built queries.

export interface RawResponse {
  status: number
  headers: Headers
  text: string
  /** The parsed body; undefined when it is not JSON. */
  json: any
}

export async function rawRequest(
  url: string,
  init: RequestInit & { apiKey?: string } = {},
): Promise<RawResponse> {
  const headers = new Headers(init.headers)
  if (init.apiKey !== undefined) headers.set('authorization', `Bearer ${init.apiKey}`)
  const response = await fetch(url, { ...init, headers })
  const text = await response.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: response.status, headers: response.headers, text, json }
}

export async function publish(
  endpoint: string,
  apiKey: string,
  events: readonly Record<string, unknown>[],
): Promise<Record<string, any>[]> {
  const response = await rawRequest(`${endpoint}/events/publish`, {
    method: 'POST',
    apiKey,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ events }),
  })
  if (response.status !== 200) {
    throw new Error(`publish failed with ${response.status}: ${response.text}`)
  }
  return response.json.events
}
