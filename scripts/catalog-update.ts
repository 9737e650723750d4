// `npm run catalog:update`: moves the server to the newest Seam catalog in one step.
//
//   1. reads the event catalog of the installed @seamapi/types (in a child process: a module
//      once imported cannot be imported again after npm replaced it);
//   2. asks the npm registry for the newest @seamapi/types, the newest @seamapi/http 1.x and 2.x
//      and the newest @seamapi/webhook, and installs them pinned exactly (`--save-exact`: their
//      `engines` ask for Node 22, and a caret range would quietly resolve to an older release on
//      Node 20); the oldest SDK releases the README promises (`seam-http-*-oldest`) stay;
//   3. reads the new catalog, regenerates docs/event-types.md, and prints what changed: types
//      added and removed, fields now required or optional, added, removed or of another type.
//
// Then `npm run typecheck` (a new type needs its sentence in src/domain/event-description.ts)
// and `npm test` (test/catalog-current.test.ts names any newly required snapshot list that no
// backfill migration covers). `--dry-run` prints the versions it would install and stops.

import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export interface CatalogSnapshot {
  typesVersion: string
  /** Per event type, each field's type in words, `?` after the name of an optional one. */
  types: Record<string, Record<string, string>>
}

export interface CatalogChanges {
  added: string[]
  removed: string[]
  /** `type: field ...` lines, one per changed field. */
  fields: string[]
}

/** What differs between two catalogs, in words a reviewer reads. */
export function diffCatalogs(before: CatalogSnapshot, after: CatalogSnapshot): CatalogChanges {
  const added = Object.keys(after.types).filter((type) => before.types[type] === undefined)
  const removed = Object.keys(before.types).filter((type) => after.types[type] === undefined)
  const fields: string[] = []
  for (const [type, newFields] of Object.entries(after.types)) {
    const oldFields = before.types[type]
    if (oldFields === undefined) continue
    const names = new Set([...Object.keys(oldFields), ...Object.keys(newFields)].map((name) => name.replace(/\?$/, '')))
    for (const name of names) {
      const was = fieldOf(oldFields, name)
      const is = fieldOf(newFields, name)
      if (was === undefined && is !== undefined) fields.push(`${type}: ${name} added (${is.required ? 'required' : 'optional'}, ${is.type})`)
      else if (was !== undefined && is === undefined) fields.push(`${type}: ${name} removed`)
      else if (was !== undefined && is !== undefined) {
        if (was.required !== is.required) fields.push(`${type}: ${name} now ${is.required ? 'required' : 'optional'}`)
        if (was.type !== is.type) fields.push(`${type}: ${name} was ${was.type}, now ${is.type}`)
      }
    }
  }
  return { added, removed, fields }
}

function fieldOf(fields: Record<string, string>, name: string): { required: boolean; type: string } | undefined {
  if (fields[name] !== undefined) return { required: true, type: fields[name] }
  if (fields[`${name}?`] !== undefined) return { required: false, type: fields[`${name}?`] as string }
  return undefined
}

async function snapshot(): Promise<CatalogSnapshot> {
  const { eventTypeReferences, seamTypesVersion } = await import('../src/domain/event-type-reference.ts')
  const types: CatalogSnapshot['types'] = {}
  for (const reference of eventTypeReferences()) {
    types[reference.eventType] = Object.fromEntries([
      ...reference.required.map((field) => [field.name, field.type]),
      ...reference.optional.map((field) => [`${field.name}?`, field.type]),
    ])
  }
  return { typesVersion: seamTypesVersion(), types }
}

const root = fileURLToPath(new URL('..', import.meta.url))
const self = fileURLToPath(import.meta.url)

function run(command: string, args: readonly string[]): string {
  return execFileSync(command, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
}

function snapshotInChild(): CatalogSnapshot {
  return JSON.parse(run(process.execPath, ['--import', 'tsx', self, '--snapshot'])) as CatalogSnapshot
}

function newestVersion(packageName: string): string {
  return JSON.parse(run('npm', ['view', packageName, 'version', '--json'])) as string
}

/** The newest release of one major, prereleases left out. */
function newestOfMajor(packageName: string, major: number): string {
  const versions = JSON.parse(run('npm', ['view', packageName, 'versions', '--json'])) as string[]
  const ofMajor = versions
    .filter((version) => new RegExp(`^${major}\\.\\d+\\.\\d+$`).test(version))
    .map((version) => ({ version, parts: version.split('.').map(Number) }))
    .sort((a, b) => (a.parts[1]! - b.parts[1]!) || (a.parts[2]! - b.parts[2]!))
  const newest = ofMajor.at(-1)?.version
  if (newest === undefined) throw new Error(`${packageName} has no ${major}.x release`)
  return newest
}

async function main(argv: readonly string[]): Promise<void> {
  if (argv.includes('--snapshot')) {
    process.stdout.write(JSON.stringify(await snapshot()))
    return
  }
  const versions = {
    types: newestVersion('@seamapi/types'),
    http1: newestOfMajor('@seamapi/http', 1),
    http2: newestOfMajor('@seamapi/http', 2),
    webhook: newestVersion('@seamapi/webhook'),
  }
  console.log(
    `newest: @seamapi/types ${versions.types}, @seamapi/http ${versions.http1} and ${versions.http2}, ` +
      `@seamapi/webhook ${versions.webhook}`,
  )
  if (argv.includes('--dry-run')) return

  const before = snapshotInChild()
  run('npm', ['install', '--save-exact', '--no-audit', '--no-fund', `@seamapi/types@${versions.types}`])
  run('npm', [
    'install',
    '--save-exact',
    '--save-dev',
    '--no-audit',
    '--no-fund',
    `seam-http-1@npm:@seamapi/http@${versions.http1}`,
    `seam-http-2@npm:@seamapi/http@${versions.http2}`,
    `@seamapi/webhook@${versions.webhook}`,
  ])
  const after = snapshotInChild()
  run(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('generate-event-types-doc.ts', import.meta.url))])

  const changes = diffCatalogs(before, after)
  console.log(
    `@seamapi/types ${before.typesVersion} -> ${after.typesVersion}: ` +
      `${Object.keys(before.types).length} -> ${Object.keys(after.types).length} event types`,
  )
  console.log(`added (${changes.added.length}):${changes.added.map((type) => `\n  + ${type}`).join('')}`)
  console.log(`removed (${changes.removed.length}):${changes.removed.map((type) => `\n  - ${type}`).join('')}`)
  console.log(`field changes (${changes.fields.length}):${changes.fields.map((line) => `\n  ${line}`).join('')}`)
  console.log('docs/event-types.md regenerated. Next: npm run typecheck && npm test, then commit package.json,')
  console.log('package-lock.json and docs/event-types.md.')
}

if (process.argv[1] === self) await main(process.argv.slice(2))
