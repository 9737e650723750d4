// `npm run docs:event-types`: writes docs/event-types.md from the installed @seamapi/types
// (src/domain/event-type-reference.ts). `npm run catalog:update` runs it after an upgrade;
// test/event-types-doc.test.ts fails when the committed file differs from what this writes.

import { writeFileSync } from 'node:fs'

import { eventTypesDocPath, renderEventTypesMarkdown } from '../src/domain/event-type-reference.ts'

const path = new URL(`../${eventTypesDocPath}`, import.meta.url)
writeFileSync(path, renderEventTypesMarkdown())
console.log(`wrote ${eventTypesDocPath}`)
