// Every event events/list returns for a key, page by page with the cursor: each as its JSON text
// (re-stringified from the page, which is how the server wrote it) and the raw pages, for
// byte-for-byte comparisons.

import assert from 'node:assert/strict'

import { rawRequest } from './http.ts'
import type { ApiTarget } from './webhook-api.ts'

export async function listEveryEvent(target: ApiTarget, since = '1900-01-01T00:00:00Z'): Promise<{ events: string[]; pages: string[] }> {
  const events: string[] = []
  const pages: string[] = []
  let cursor: string | null = null
  do {
    const query: string = new URLSearchParams({ since, limit: '10000', ...(cursor === null ? {} : { page_cursor: cursor }) }).toString()
    const page = await rawRequest(`${target.endpoint}/events/list?${query}`, { apiKey: target.apiKey })
    assert.equal(page.status, 200, page.text)
    pages.push(page.text)
    for (const event of page.json.events as unknown[]) events.push(JSON.stringify(event))
    cursor = page.json.pagination.next_page_cursor
  } while (cursor !== null)
  return { events, pages }
}
