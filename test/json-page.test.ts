// The page events/list sends (src/store/json-page.ts): the first `limit` rows' JSON joined into the
// inside of one array, the last row's keys for the cursor, and whether a next page exists.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import { jsonPageOf } from '../src/store/json-page.ts'

const row = (n: number) => ({ seq: n, event_id: `id-${n}`, json: JSON.stringify({ n, text: 'a, "quoted", [bracketed] value' }) })

describe('a JSON page', () => {
  it('joins the first limit rows into the inside of an array, in order, and says there is more', () => {
    const rows = [row(3), row(2), row(1)]
    const page = jsonPageOf(rows, 2)
    assert.deepEqual(JSON.parse(`[${page.jsonText}]`), [JSON.parse(row(3).json), JSON.parse(row(2).json)])
    assert.deepEqual(page.last, { seq: 2, event_id: 'id-2' })
    assert.equal(page.more, true)
  })

  it('is the whole of a last page, with nothing more', () => {
    const page = jsonPageOf([row(5), row(4)], 2)
    assert.equal(page.jsonText, `${row(5).json},${row(4).json}`)
    assert.deepEqual(page.last, { seq: 4, event_id: 'id-4' })
    assert.equal(page.more, false)
  })

  it('is empty, with no last row, when nothing was read', () => {
    assert.deepEqual(jsonPageOf([], 50), { jsonText: '', last: undefined, more: false })
    assert.deepEqual(JSON.parse(`[${jsonPageOf([], 50).jsonText}]`), [])
  })
})
