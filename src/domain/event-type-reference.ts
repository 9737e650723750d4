// The reference of every event type: its fields, required and optional, with their types, Seam's
// descriptions and what the server does with them, and a valid example, all read from Seam's
// published schema (`schemas.seam_event` of @seamapi/types). docs/event-types.md is this
// rendered as Markdown (`npm run docs:event-types`; test/event-types-doc.test.ts fails when the
// file drifts), and GET /docs/event-types serves it as a page.

import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

import { schemas } from '@seamapi/types/connect'
import type { ZodTypeAny } from 'zod'

import { knownEventTypes, listsFilledWhenAbsent, renamedEventTypes } from './event-catalog.ts'
import { describeEvent } from './event-description.ts'
import { sampleEventFor } from './event-examples.ts'

export interface FieldReference {
  name: string
  /** The field's type in words: `uuid`, `list of object {…}`, `one of \`a\`, \`b\``. */
  type: string
  /** Seam's description, first sentence; empty when it has none. */
  description: string
  /** What this server does with it, when it does something: sets it, fills it. */
  serverNote: string | undefined
  /** Seam marks the field unreleased ("undocumented") in its own reference. */
  unreleased: boolean
}

export interface EventTypeReference {
  eventType: string
  /** Seam's sentence for the type, when it has one. */
  description: string
  required: FieldReference[]
  optional: FieldReference[]
  /** A valid event of the type, as events/list returns it. */
  example: Record<string, unknown>
}

const serverNotes: Readonly<Record<string, string>> = {
  event_id: 'set by the server unless given (a uuid; the same id again stores nothing new)',
  event_type: '',
  workspace_id: "set by the server: the API key's workspace",
  created_at: 'set by the server: when it was stored',
  occurred_at: 'defaults to created_at',
  event_description: 'written by the server when absent',
}

/** The installed @seamapi/types release, as its own package.json says. */
export function seamTypesVersion(): string {
  // The package exports no ./package.json: walk up from a module it does export.
  let directory = dirname(createRequire(import.meta.url).resolve('@seamapi/types/connect'))
  for (;;) {
    try {
      const packageJson = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as {
        name?: string
        version?: string
      }
      if (packageJson.name === '@seamapi/types' && packageJson.version !== undefined) return packageJson.version
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
    const parent = dirname(directory)
    if (parent === directory) throw new Error('found no package.json of @seamapi/types')
    directory = parent
  }
}

export function eventTypeReferences(): EventTypeReference[] {
  const optionByType = new Map(
    schemas.seam_event.options.map((option) => [option.shape.event_type.value as string, option]),
  )
  return knownEventTypes.map((eventType) => {
    const option = optionByType.get(eventType)
    if (option === undefined) throw new Error(`${eventType} is not in schemas.seam_event`)
    const filled = new Set(listsFilledWhenAbsent(eventType))
    const required: FieldReference[] = []
    const optional: FieldReference[] = []
    for (const [name, schema] of Object.entries(option.shape as Record<string, ZodTypeAny>)) {
      if (name === 'event_type') continue
      const field: FieldReference = {
        name,
        type: typeInWords(schema),
        description: firstSentence(cleanDescription(schema.description)),
        serverNote: filled.has(name) ? 'filled with [] when absent' : serverNotes[name] || undefined,
        unreleased: /undocumented:/.test(schema.description ?? ''),
      }
      ;(schema.isOptional() ? optional : required).push(field)
    }
    return {
      eventType,
      description: firstSentence(cleanDescription(option.description)),
      required,
      optional,
      example: exampleEvent(eventType),
    }
  })
}

/** An event as events/list would return it: the server's fields first, then the type's. */
function exampleEvent(eventType: string): Record<string, unknown> {
  const fields = sampleEventFor(eventType)
  delete fields['event_description']
  return {
    event_id: '4f9c6a1e-8d2b-4c3a-9e7f-1a2b3c4d5e6f',
    event_type: eventType,
    workspace_id: '7d3e2a10-5b4c-4f6e-8a9b-0c1d2e3f4a5b',
    created_at: '2025-01-01T12:00:00.000Z',
    occurred_at: '2025-01-01T12:00:00.000Z',
    ...fields,
    event_description: describeEvent({ event_type: eventType, ...fields }),
  }
}

// Seam's descriptions carry front matter (`---\nroute_path: /locks\n---`) and markers such as
// `undocumented: Unreleased.` before the text itself.
function cleanDescription(description: string | undefined): string {
  if (description === undefined) return ''
  const parts = description.split(/^\s*---\s*$/m)
  const text = (parts.at(-1) ?? '').trim()
  return text.replace(/\s+/g, ' ')
}

function firstSentence(text: string): string {
  const match = /^(.+?[.!?])(\s|$)/.exec(text)
  return (match?.[1] ?? text).trim()
}

interface ZodCheck {
  kind: string
  value?: number
}

/** The type of a field in words, recursing into lists and objects. */
export function typeInWords(schema: ZodTypeAny): string {
  const def = schema._def as Record<string, any>
  switch (def['typeName'] as string) {
    case 'ZodOptional':
    case 'ZodDefault':
    case 'ZodCatch':
    case 'ZodReadonly':
      return typeInWords(def['innerType'])
    case 'ZodNullable':
      return `${typeInWords(def['innerType'])} or null`
    case 'ZodBranded':
      return typeInWords(def['type'])
    case 'ZodEffects':
      return typeInWords(def['schema'])
    case 'ZodLazy':
      return typeInWords(def['getter']())
    case 'ZodLiteral':
      return `\`${JSON.stringify(def['value'])}\``
    case 'ZodEnum':
      return `one of ${(def['values'] as string[]).map((value) => `\`${value}\``).join(', ')}`
    case 'ZodNativeEnum':
      return `one of ${Object.values(def['values'] as object).map((value) => `\`${String(value)}\``).join(', ')}`
    case 'ZodBoolean':
      return 'boolean'
    case 'ZodString': {
      const kinds = new Set((def['checks'] as ZodCheck[]).map((check) => check.kind))
      if (kinds.has('uuid')) return 'uuid'
      if (kinds.has('datetime')) return 'date-time (ISO 8601)'
      if (kinds.has('url')) return 'URL'
      if (kinds.has('email')) return 'email address'
      return 'string'
    }
    case 'ZodNumber': {
      const checks = def['checks'] as ZodCheck[]
      const min = checks.find((check) => check.kind === 'min')?.value
      const max = checks.find((check) => check.kind === 'max')?.value
      const kind = checks.some((check) => check.kind === 'int') ? 'integer' : 'number'
      if (min !== undefined && max !== undefined) return `${kind}, ${min} to ${max}`
      if (min !== undefined) return `${kind}, at least ${min}`
      if (max !== undefined) return `${kind}, at most ${max}`
      return kind
    }
    case 'ZodArray':
      return `list of ${typeInWords(def['type'])}`
    case 'ZodObject': {
      const shape = (def['shape'] as () => Record<string, ZodTypeAny>)()
      const members = Object.entries(shape).map(
        ([key, value]) => `${key}${value.isOptional() ? '?' : ''}: ${typeInWords(value)}`,
      )
      return `object {${members.join('; ')}}`
    }
    case 'ZodRecord':
      return `map of string to ${typeInWords(def['valueType'])}`
    case 'ZodUnion':
    case 'ZodDiscriminatedUnion': {
      const options = def['options'] as ZodTypeAny[] | Map<unknown, ZodTypeAny>
      return [...(Array.isArray(options) ? options : options.values())].map(typeInWords).join(' or ')
    }
    case 'ZodUnknown':
    case 'ZodAny':
      return 'any JSON'
    default:
      throw new Error(`no words for zod type ${def['typeName']}`)
  }
}

// ---------------------------------------------------------------------------------------------
// docs/event-types.md

export const eventTypesDocPath = 'docs/event-types.md'

/** The first line of the file says it is generated, and how to regenerate it. */
export const generatedNotice =
  '<!-- Generated by `npm run docs:event-types` from @seamapi/types; do not edit: test/event-types-doc.test.ts fails when it drifts. -->'

export function renderEventTypesMarkdown(): string {
  const references = eventTypeReferences()
  const lines: string[] = [
    generatedNotice,
    '',
    '# Event types',
    '',
    `Every event type of Seam's catalog that this server knows: ${references.length} types from ` +
      `\`@seamapi/types\` ${seamTypesVersion()} (\`schemas.seam_event\`), with the fields each one ` +
      'has and a valid example. Publishing checks each event against these fields; events/list ' +
      'and webhooks return them as stored. Served by the server at `/docs/event-types`.',
    '',
    '- **Required** fields must be in every event of the type, as Seam\'s schema has it (the ' +
      'one SDK users parse events with); the server sets or fills those marked so, and a ' +
      'publisher gives the rest.',
    '- `*_errors` and `*_warnings` lists marked "filled with [] when absent" are snapshots of ' +
      "another object's state that a device bridge often cannot know: an event published " +
      'without one is stored with `[]`, as Seam fills it.',
    '- Read filters (`event_type`, `event_types` of events/list, events/get, events/stream, ' +
      'events/histogram) and webhooks take any well-formed type name, not only these: one ' +
      'the server does not know matches no event.',
    '- Older names Seam has renamed are taken as filters and webhook types for the type they ' +
      `became: ${Object.entries(renamedEventTypes)
        .map(([older, current]) => `\`${older}\` is \`${current}\``)
        .join('; ')}.`,
    '',
    '## Types',
    '',
  ]
  for (const family of familiesOf(references)) {
    lines.push(
      `- ${family.name}: ${family.types.map((type) => `[\`${type}\`](#${anchorOf(type)})`).join(', ')}`,
    )
  }
  for (const reference of references) {
    lines.push('', `## ${reference.eventType}`, '')
    if (reference.description !== '') lines.push(reference.description, '')
    lines.push('| field | | type | description |', '| --- | --- | --- | --- |')
    for (const [kind, fields] of [
      ['required', reference.required],
      ['optional', reference.optional],
    ] as const) {
      for (const field of fields) {
        const description = [
          field.description,
          field.unreleased ? '(Unreleased in Seam.)' : '',
          field.serverNote === undefined ? '' : `**Server:** ${field.serverNote}.`,
        ]
          .filter((part) => part !== '')
          .join(' ')
        lines.push(`| \`${field.name}\` | ${kind} | ${cell(field.type)} | ${cell(description)} |`)
      }
    }
    lines.push('', '```json', JSON.stringify(reference.example, null, 2), '```')
  }
  return `${lines.join('\n')}\n`
}

export function familiesOf(references: readonly EventTypeReference[]): { name: string; types: string[] }[] {
  const families = new Map<string, string[]>()
  for (const { eventType } of references) {
    const family = eventType.split('.')[0] as string
    families.set(family, [...(families.get(family) ?? []), eventType])
  }
  return [...families].map(([name, types]) => ({ name, types }))
}

/** GitHub's heading anchors: lower case, dots and other punctuation dropped. */
export function anchorOf(eventType: string): string {
  return eventType.toLowerCase().replace(/[^a-z0-9_ -]/g, '').replace(/ /g, '-')
}

/** Text in a Markdown table cell: no line breaks, and pipes escaped. */
function cell(text: string): string {
  return text.replace(/\s+/g, ' ').replaceAll('|', '\\|')
}
