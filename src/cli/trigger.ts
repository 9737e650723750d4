// `seam-events trigger EVENT_TYPE`: publishes one valid event of a type to a running server and
// prints it as stored, like `stripe trigger`. The event is the fleet's (src/domain/fleet/): the
// type's required fields from the catalog's example, the ids of one made-up fleet (the same
// devices on every run, so that triggered events can be filtered on them), then what --device-id
// and --set say.

import { randomUUID } from 'node:crypto'

import type { Command } from 'commander'

import { resolveClientConfig } from '../config.ts'
import { currentEventTypeName, isKnownEventType, knownEventTypes } from '../domain/event-catalog.ts'
import { closestEventTypes } from '../domain/event-type-suggestions.ts'
import { eventFieldsOf, fleetEvent } from '../domain/fleet/fleet-event-builder.ts'
import { fleetIdsFor } from '../domain/fleet/fleet-stories.ts'
import { createFleet } from '../domain/fleet/fleet.ts'
import { SeededRandom } from '../domain/fleet/seeded-random.ts'
import { postJson } from './api-client.ts'
import { CliError } from './database-command.ts'
import { formatEventLine } from './event-line.ts'

interface TriggerOptions {
  deviceId?: string
  set: string[]
  endpoint?: string
  apiKey?: string
  json?: boolean
}

/** The fleet whose ids triggered events carry. */
const triggerFleetSeed = 0

export function registerTriggerCommand(program: Command): void {
  program
    .command('trigger')
    .description('Publish one valid event of a type to a running server, and print it as stored')
    .argument('<event_type>', 'a type of the catalog, such as lock.unlocked (all of them: /docs/event-types on the server)')
    .option('--device-id <id>', 'the device the event is about (for types that have a device_id)')
    .option(
      '--set <field=value>',
      'a field to set, again for more; the value is JSON when it parses (42, true, null, \'"0042"\', \'["a"]\'), ' +
        'else a string; a dotted path sets a nested field (reason.reason_code=expired_code)',
      (assignment: string, previous: string[]) => [...previous, assignment],
      [],
    )
    .option('--endpoint <url>', 'the server (SEAM_ENDPOINT, default http://127.0.0.1:$PORT or :3000)')
    .option('--api-key <key>', 'a key that can publish (SEAM_API_KEY)')
    .option('--json', 'print only the stored event, as one JSON object')
    .action(async (eventType: string, options: TriggerOptions) => {
      const event = triggeredEvent(eventType, options)
      const config = resolveClientConfig(options, undefined, 'publish')
      const body = (await postJson(config, '/events/publish', { event })) as { event: Record<string, unknown> }
      process.stdout.write(
        options.json === true
          ? `${JSON.stringify(body.event)}\n`
          : `${formatEventLine(body.event)}\n${JSON.stringify(body.event, null, 2)}\n`,
      )
    })
}

/** The event `trigger` publishes, or a one-line error about the type or a --set. */
export function triggeredEvent(
  eventType: string,
  { deviceId, set = [] }: { deviceId?: string | undefined; set?: readonly string[] },
): Record<string, unknown> {
  if (!isKnownEventType(eventType)) throw new CliError(unknownTypeMessage(eventType))
  const fleet = createFleet({ seed: triggerFleetSeed, devices: 10 })
  const event = fleetEvent(eventType, fleetIdsFor(eventType, fleet, new SeededRandom(randomUUID())))
  if (deviceId !== undefined) {
    if (!eventFieldsOf(eventType).has('device_id')) {
      throw new CliError(`${eventType} has no device_id; set its ids with --set (its fields: ${[...eventFieldsOf(eventType)].join(', ')})`)
    }
    event['device_id'] = deviceId
  }
  for (const assignment of set) applyAssignment(event, assignment)
  return event
}

function unknownTypeMessage(eventType: string): string {
  const current = currentEventTypeName(eventType)
  if (current !== eventType) return `${eventType} is the name Seam used before renaming the type: trigger ${current}`
  const close = closestEventTypes(eventType)
  const hint = close.length === 0 ? 'no type is close to it' : `did you mean ${close.join(', ')}?`
  return `unknown event type "${eventType}": ${hint} (the ${knownEventTypes.length} types are listed at /docs/event-types on the server)`
}

const forbiddenSegments = new Set(['__proto__', 'prototype', 'constructor'])

/** `field=value` or `a.b.c=value`, into `event`; the value is JSON when it parses. */
export function applyAssignment(event: Record<string, unknown>, assignment: string): void {
  const equals = assignment.indexOf('=')
  if (equals <= 0) throw new CliError(`--set takes field=value; got ${JSON.stringify(assignment)}`)
  const path = assignment.slice(0, equals).split('.')
  const text = assignment.slice(equals + 1)
  if (path.some((segment) => segment === '' || forbiddenSegments.has(segment))) {
    throw new CliError(`--set: not a field path: ${assignment.slice(0, equals)}`)
  }
  if (path[0] === 'event_type') throw new CliError('--set cannot change event_type: it is the first argument')
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    value = text
  }
  let node: Record<string, unknown> | unknown[] = event
  for (const [index, segment] of path.entries()) {
    const last = index === path.length - 1
    const key: string | number = Array.isArray(node) && /^\d+$/.test(segment) ? Number(segment) : segment
    const container = node as Record<string | number, unknown>
    if (last) {
      container[key] = value
      break
    }
    const child = container[key]
    if (typeof child !== 'object' || child === null) container[key] = {}
    node = container[key] as Record<string, unknown> | unknown[]
  }
}
