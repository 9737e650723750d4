// A page of rows as events/list sends it: their JSON texts joined into the inside of one array,
// and the last row's keys for the next page's cursor. Made where the rows are read: on SQLite by
// the reader thread, so that the main thread receives one string rather than a string a row (a
// 10,000-event page was 10,000 strings to copy in, join and collect, during which nothing else
// on the main thread ran).

export interface JsonPage<K> {
  /** The page's `json` texts in order, joined by commas: the inside of a JSON array. */
  jsonText: string
  /** The page's last row without its JSON (for the next page's cursor); undefined when it is empty. */
  last: K | undefined
  /** More rows than the page's limit were read: there is a next page. */
  more: boolean
}

/** The first `limit` of `rows` (read with one more, to tell whether a next page exists). */
export function jsonPageOf<K>(rows: readonly (K & { json: string })[], limit: number): JsonPage<K> {
  const more = rows.length > limit
  const count = more ? limit : rows.length
  let jsonText = ''
  for (let index = 0; index < count; index += 1) {
    jsonText += index === 0 ? (rows[index] as { json: string }).json : `,${(rows[index] as { json: string }).json}`
  }
  const lastRow = count === 0 ? undefined : (rows[count - 1] as K & { json: string })
  let last: K | undefined
  if (lastRow !== undefined) {
    const { json: _json, ...keys } = lastRow
    last = keys as K
  }
  return { jsonText, last, more }
}
