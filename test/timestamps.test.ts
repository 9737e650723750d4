import assert from 'node:assert/strict'
import { it } from 'node:test'

import { parseTimestamp } from '../src/domain/timestamps.ts'

it('reads every ISO 8601 form Seam accepts, as UTC instants at millisecond precision', () => {
  const cases: [input: string, floor: string, ceil: string][] = [
    ['2024-01-01', '2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z'],
    ['2024-01-01T10:20:30Z', '2024-01-01T10:20:30.000Z', '2024-01-01T10:20:30.000Z'],
    ['2024-01-01T10:20:30.123Z', '2024-01-01T10:20:30.123Z', '2024-01-01T10:20:30.123Z'],
    ['2024-01-01T10:20:30.123456Z', '2024-01-01T10:20:30.123Z', '2024-01-01T10:20:30.124Z'],
    ['2024-01-01T10:20:30.123000Z', '2024-01-01T10:20:30.123Z', '2024-01-01T10:20:30.123Z'],
    ['2024-01-01T10:20:30+02:00', '2024-01-01T08:20:30.000Z', '2024-01-01T08:20:30.000Z'],
    ['2024-01-01T00:20:30-0130', '2024-01-01T01:50:30.000Z', '2024-01-01T01:50:30.000Z'],
    ['2024-01-01T10:20', '2024-01-01T10:20:00.000Z', '2024-01-01T10:20:00.000Z'],
    ['2024-01-01 10:20:30.5', '2024-01-01T10:20:30.500Z', '2024-01-01T10:20:30.500Z'],
    // An unencoded "+" in a query string arrives as a space.
    ['2024-01-01T10:20:30 02:00', '2024-01-01T08:20:30.000Z', '2024-01-01T08:20:30.000Z'],
  ]
  for (const [input, floor, ceil] of cases) {
    assert.deepEqual(parseTimestamp(input), { floor, ceil }, input)
  }
})

it('refuses what is not a real instant', () => {
  for (const input of ['', 'yesterday', '2024-02-30', '2024-13-01', '2024-01-01T24:00:00Z', '2024-01-01T10:61:00Z', '12024-01-01', '1700000000']) {
    assert.equal(parseTimestamp(input), undefined, input)
  }
})
