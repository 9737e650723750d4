// The service's API as the workloads call it outside the timed load: setting up webhooks,
// publishing what a run then measures, reading back to check.

export interface ApiTarget {
  endpoint: string
  apiKey: string
}

/** POSTs a JSON body with the key; any answer but 200 fails the run, naming the route. */
export async function postJson(target: ApiTarget, path: string, body: string): Promise<unknown> {
  const response = await fetch(`${target.endpoint}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${target.apiKey}`, 'content-type': 'application/json' },
    body,
  })
  const text = await response.text()
  if (response.status !== 200) {
    throw new Error(`${path} on ${target.endpoint} answered ${response.status}: ${text.slice(0, 500)}`)
  }
  return JSON.parse(text)
}

/** POST /events/publish; the ids of the stored events, in order. */
export async function publishEventIds(target: ApiTarget, body: string): Promise<string[]> {
  const answer = (await postJson(target, '/events/publish', body)) as { events: { event_id: string }[] }
  return answer.events.map((event) => event.event_id)
}
