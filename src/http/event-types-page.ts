// GET /docs/event-types: every event type with its fields and an example, as a page; the same
// content as docs/event-types.md, which GET /docs/event-types.md serves as it is. Both come from
// Seam's schema (src/domain/event-type-reference.ts), are made on first request (a hundred
// types' walk that start-up need not pay for) and kept, as the schema does not change while the
// process runs. The page has no script and loads nothing: its policy allows inline styles only.

import type { FastifyInstance } from 'fastify'

import {
  anchorOf,
  eventTypeReferences,
  familiesOf,
  renderEventTypesMarkdown,
  seamTypesVersion,
  type FieldReference,
} from '../domain/event-type-reference.ts'
import { renamedEventTypes } from '../domain/event-catalog.ts'

export const eventTypesPagePath = '/docs/event-types'

const contentSecurityPolicy = [
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

export function registerEventTypesPage(app: FastifyInstance): void {
  let page: string | undefined
  let markdown: string | undefined
  app.get(eventTypesPagePath, async (_request, reply) => {
    page ??= renderEventTypesPage()
    reply.type('text/html; charset=utf-8').header('content-security-policy', contentSecurityPolicy)
    return page
  })
  app.get(`${eventTypesPagePath}.md`, async (_request, reply) => {
    markdown ??= renderEventTypesMarkdown()
    reply.type('text/markdown; charset=utf-8')
    return markdown
  })
}

function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
}

/** Seam's descriptions use Markdown's `code` and [links](https://...); nothing else is read. */
function inlineMarkdown(text: string): string {
  return escapeHtml(text)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\[([^\]]+)\]\((https:\/\/[^)\s]+)\)/g, '<a href="$2">$1</a>')
}

function fieldRow(field: FieldReference, kind: 'required' | 'optional'): string {
  const notes = [
    inlineMarkdown(field.description),
    field.unreleased ? '<em>Unreleased in Seam.</em>' : '',
    field.serverNote === undefined ? '' : `<strong>Server:</strong> ${escapeHtml(field.serverNote)}.`,
  ].filter((note) => note !== '')
  return `<tr><td><code>${escapeHtml(field.name)}</code></td><td>${kind}</td><td>${inlineMarkdown(field.type)}</td><td>${notes.join(' ')}</td></tr>`
}

function renderEventTypesPage(): string {
  const references = eventTypeReferences()
  const index = familiesOf(references)
    .map(
      (family) =>
        `<li>${escapeHtml(family.name)}: ${family.types
          .map((type) => `<a href="#${anchorOf(type)}"><code>${escapeHtml(type)}</code></a>`)
          .join(', ')}</li>`,
    )
    .join('\n')
  const sections = references
    .map(
      (reference) => `<section id="${anchorOf(reference.eventType)}">
<h2><code>${escapeHtml(reference.eventType)}</code></h2>
${reference.description === '' ? '' : `<p>${inlineMarkdown(reference.description)}</p>`}
<table><thead><tr><th>field</th><th></th><th>type</th><th>description</th></tr></thead><tbody>
${[...reference.required.map((field) => fieldRow(field, 'required')), ...reference.optional.map((field) => fieldRow(field, 'optional'))].join('\n')}
</tbody></table>
<pre>${escapeHtml(JSON.stringify(reference.example, null, 2))}</pre>
</section>`,
    )
    .join('\n')
  const renamed = Object.entries(renamedEventTypes)
    .map(([older, current]) => `<code>${escapeHtml(older)}</code> is <code>${escapeHtml(current)}</code>`)
    .join('; ')
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Event types · seam-events-server</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 72rem; padding: 1rem; color: #1a1a1a; }
table { border-collapse: collapse; width: 100%; margin: 0.5rem 0; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
pre { background: #f5f5f5; padding: 0.75rem; overflow-x: auto; }
code { font-size: 0.92em; }
section { margin-top: 2rem; }
@media (max-width: 40rem) { td:nth-child(4), th:nth-child(4) { display: none; } }
</style>
</head>
<body>
<p><a href="/docs">API reference</a> · <a href="${eventTypesPagePath}.md">Markdown</a></p>
<h1>Event types</h1>
<p>Every event type of Seam's catalog that this server knows: ${references.length} types from
<code>@seamapi/types</code> ${escapeHtml(seamTypesVersion())}, with their fields and a valid example.
<code>/events/publish</code> checks each event against these fields. Read filters and webhooks take any
well-formed type name, not only these: one the server does not know matches no event. Lists marked
"filled with [] when absent" are stored as <code>[]</code> when a publisher leaves them out, as Seam fills them.
Older names taken for the type they became: ${renamed}.</p>
<ul>
${index}
</ul>
${sections}
</body>
</html>
`
}
