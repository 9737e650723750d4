// docs/errors.md is part of the wire contract: it must list exactly the registry's types and
// statuses.

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { it } from 'node:test'

import { errorStatusByType } from '../src/domain/errors.ts'

it('docs/errors.md lists every error type with its status, and nothing else', () => {
  const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8')
  const documented = Object.fromEntries(
    [...doc.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm)].map((match) => [match[1], Number(match[2])]),
  )
  assert.deepEqual(documented, { ...errorStatusByType })
})
