// docs/event-types.md is generated from Seam's schema: the committed file must be what the
// generator writes for the installed @seamapi/types, its examples must be valid events, and the
// server must serve the same content at /docs/event-types, reachable from /docs. Also the change
// report of `npm run catalog:update`.
// Single backend (any): the page is generated from the schema, not read from the store.

import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'

import { schemas } from '@seamapi/types/connect'

import { knownEventTypes } from '../src/domain/event-catalog.ts'
import {
  eventTypeReferences,
  eventTypesDocPath,
  generatedNotice,
  renderEventTypesMarkdown,
} from '../src/domain/event-type-reference.ts'
import { diffCatalogs } from '../scripts/catalog-update.ts'
import { anyBackend } from './support/backends.ts'
import { rawRequest } from './support/http.ts'
import { startTestServer, type TestServer } from './support/test-server.ts'

const committed = readFileSync(new URL(`../${eventTypesDocPath}`, import.meta.url), 'utf8')

describe('docs/event-types.md', { timeout: 60_000 }, () => {
  it('is what `npm run docs:event-types` writes for the installed @seamapi/types', () => {
    const generated = renderEventTypesMarkdown()
    if (committed !== generated) {
      const committedLines = committed.split('\n')
      const line = generated.split('\n').findIndex((text, index) => text !== committedLines[index])
      assert.fail(
        `${eventTypesDocPath} has drifted from the schema (first difference at line ${line + 1}): ` +
          'run `npm run docs:event-types` and commit the file',
      )
    }
    assert.equal(committed.split('\n')[0], generatedNotice)
    assert.match(generatedNotice, /Generated/)
  })

  it('has a section for every known type, with a valid example', () => {
    const references = eventTypeReferences()
    assert.deepEqual(references.map((reference) => reference.eventType), [...knownEventTypes])
    for (const reference of references) {
      assert.ok(committed.includes(`\n## ${reference.eventType}\n`), reference.eventType)
      const parsed = schemas.seam_event.safeParse(reference.example)
      assert.ok(parsed.success, `${reference.eventType}: ${parsed.success ? '' : parsed.error.message}`)
      const required = reference.required.map((field) => field.name)
      for (const field of required) assert.ok(field in reference.example, `${reference.eventType}.${field}`)
    }
    // What the server fills is said where it applies.
    const disconnected = references.find((reference) => reference.eventType === 'device.disconnected')!
    assert.equal(
      disconnected.required.find((field) => field.name === 'device_errors')?.serverNote,
      'filled with [] when absent',
    )
  })

  it('is linked from the README', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
    assert.match(readme, /\(docs\/event-types\.md\)/)
  })
})

describe('GET /docs/event-types', { timeout: 60_000 }, () => {
  let server: TestServer
  before(async () => {
    server = await startTestServer({ backend: anyBackend, worker: false })
  })
  after(() => server.close())

  it('serves every type as a page, and the Markdown as committed', async () => {
    const page = await rawRequest(`${server.endpoint}/docs/event-types`)
    assert.equal(page.status, 200)
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8')
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'/)
    for (const eventType of knownEventTypes) assert.ok(page.text.includes(`<code>${eventType}</code></h2>`), eventType)
    assert.doesNotMatch(page.text, /<script/)

    const markdown = await rawRequest(`${server.endpoint}/docs/event-types.md`)
    assert.equal(markdown.status, 200)
    assert.equal(markdown.headers.get('content-type'), 'text/markdown; charset=utf-8')
    assert.equal(markdown.text, committed)
  })

  it('is linked from the API reference that /docs shows', async () => {
    const docs = await rawRequest(`${server.endpoint}/docs`)
    assert.equal(docs.status, 200)
    const document = (await rawRequest(`${server.endpoint}/openapi.json`)).json
    assert.equal(document.externalDocs.url, '/docs/event-types')
    assert.match(document.info.description, /\[\/docs\/event-types\]\(\/docs\/event-types\)/)
  })
})

describe('npm run catalog:update', () => {
  it('reports types added and removed and fields whose rules changed', () => {
    const changes = diffCatalogs(
      {
        typesVersion: '1.0.0',
        types: {
          'lock.unlocked': { method: 'one of `keycode`, `seamapi`', 'device_id': 'uuid' },
          'lock.gone': {},
        },
      },
      {
        typesVersion: '1.1.0',
        types: {
          'lock.unlocked': { method: 'one of `keycode`, `card`', 'device_id?': 'uuid', device_errors: 'list of object {}' },
          'camera.activated': { device_id: 'uuid' },
        },
      },
    )
    assert.deepEqual(changes, {
      added: ['camera.activated'],
      removed: ['lock.gone'],
      fields: [
        'lock.unlocked: method was one of `keycode`, `seamapi`, now one of `keycode`, `card`',
        'lock.unlocked: device_id now optional',
        'lock.unlocked: device_errors added (required, list of object {})',
      ],
    })
  })
})
