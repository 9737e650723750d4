// The simulated fleet (src/domain/fleet/): the same seed gives the same fleet and events, every
// event passes the publish validation the server runs, a long enough run holds every family and
// type of the catalog, and stories keep their order.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import { catalogEventTypes } from '../src/domain/event-examples.ts'
import { createFleet, type Fleet } from '../src/domain/fleet/fleet.ts'
import { fleetEvents, takeFleetEvents, type TimedEvent } from '../src/domain/fleet/fleet-events.ts'
import { FleetState, fleetStories, untoldEventTypes } from '../src/domain/fleet/fleet-stories.ts'
import { SeededRandom } from '../src/domain/fleet/seeded-random.ts'
import { parsePublishRequest } from '../src/domain/publish-events.ts'

const start = Date.UTC(2025, 0, 1)
const familyOf = (type: string): string => type.split('.')[0] as string

function run(fleet: Fleet, count: number, intervalMs = 250): TimedEvent[] {
  return takeFleetEvents(fleet, { start, intervalMs }, count)
}

function assertPublishable(events: readonly TimedEvent[]): void {
  for (let index = 0; index < events.length; index += 1000) {
    const batch = events.slice(index, index + 1000).map(({ event }) => event)
    // Throws Seam's invalid_input naming each bad event and field.
    const { drafts } = parsePublishRequest({ events: batch }, { allowUnknownEventTypes: false })
    assert.equal(drafts.length, batch.length)
  }
}

describe('the simulated fleet', { timeout: 120_000 }, () => {
  it('is the same for the same seed, event for event, and another for another seed', () => {
    const first = createFleet({ seed: 7, devices: 30 })
    assert.deepEqual(createFleet({ seed: 7, devices: 30 }), first)
    assert.deepEqual(run(createFleet({ seed: 7, devices: 30 }), 3000), run(first, 3000))
    const other = createFleet({ seed: 8, devices: 30 })
    assert.notEqual(other.locks[0]?.device_id, first.locks[0]?.device_id)
    assert.notDeepEqual(run(other, 100).map(({ event }) => event), run(first, 100).map(({ event }) => event))
    // Two generators over one fleet do not share state.
    const generator = fleetEvents(first, { start, intervalMs: 250 })
    generator.next()
    assert.deepEqual(run(first, 50), run(first, 50))
  })

  it('is consistent: each device belongs to one of the accounts, each space holds fleet ids', () => {
    const fleet = createFleet({ seed: 1, devices: 45 })
    assert.equal(fleet.devices.length, 45)
    assert.deepEqual(
      { locks: fleet.locks.length, thermostats: fleet.thermostats.length, noise: fleet.noiseSensors.length, cameras: fleet.cameras.length },
      { locks: 27, thermostats: 9, noise: 5, cameras: 4 },
    )
    const accounts = new Set(fleet.accounts.map((account) => account.connected_account_id))
    for (const device of fleet.devices) assert.ok(accounts.has(device.connected_account_id))
    assert.ok(accounts.has(fleet.acsSystem.connected_account_id))
    const deviceIds = new Set(fleet.devices.map((device) => device.device_id))
    assert.equal(deviceIds.size, 45)
    for (const space of fleet.spaces) for (const id of space.device_ids) assert.ok(deviceIds.has(id))
    assert.ok(Object.isFrozen(fleet.locks[0]))
    assert.throws(() => createFleet({ seed: 1, devices: 0 }), RangeError)
  })

  it('publishes only events that pass the server\'s publish validation, for fleets of every size', () => {
    for (const [devices, count, intervalMs] of [
      [1, 3000, 1000],
      [20, 10_000, 100],
      [500, 10_000, 5],
    ] as const) {
      const events = run(createFleet({ seed: devices, devices }), count, intervalMs)
      assertPublishable(events)
      // Ids fill what the schema asks for, not the catalog sample's fixed values.
      assert.ok(new Set(events.map(({ event }) => event['connected_account_id'])).size > 1 || devices === 1)
    }
  })

  it('holds every family of the catalog within 10,000 events, and every type within 30,000', () => {
    const events = run(createFleet({ seed: 42, devices: 20 }), 30_000)
    const families = new Set(events.slice(0, 10_000).map(({ event }) => familyOf(event['event_type'] as string)))
    assert.deepEqual(families, new Set(catalogEventTypes.map(familyOf)))
    const types = new Set(events.map(({ event }) => event['event_type'] as string))
    assert.deepEqual(catalogEventTypes.filter((type) => !types.has(type)), [])
    // Mostly locks and codes, as a smart-lock fleet is; the catalog's tail is a small share.
    const count = (predicate: (type: string) => boolean) => events.filter(({ event }) => predicate(event['event_type'] as string)).length
    assert.ok(count((type) => type.startsWith('lock.')) > count((type) => untoldEventTypes.includes(type)) * 5)
  })

  it('keeps a pace of one event per interval on average, time never going backwards', () => {
    const events = run(createFleet({ seed: 3, devices: 10 }), 5000, 200)
    events.forEach(({ at }, index) => {
      assert.ok(at >= start + index * 200 && at < start + (index + 1) * 200, `event ${index} at ${at}`)
    })
  })

  it('keeps each story in order: a code created, set on the lock, then used; a device back before it acts again', () => {
    const events = run(createFleet({ seed: 11, devices: 15 }), 20_000).map(({ event }) => event)
    const positions = (predicate: (event: Record<string, unknown>) => boolean) =>
      events.flatMap((event, index) => (predicate(event) ? [index] : []))

    let checkedCodes = 0
    const created = new Map<string, number>()
    events.forEach((event, index) => {
      if (event['event_type'] === 'access_code.created') created.set(event['access_code_id'] as string, index)
    })
    for (const [codeId, createdAt] of created) {
      const set = positions((event) => event['event_type'] === 'access_code.set_on_device' && event['access_code_id'] === codeId)
      const used = positions((event) => event['event_type'] === 'lock.unlocked' && event['access_code_id'] === codeId)
      const deleted = positions((event) => event['event_type'] === 'access_code.deleted' && event['access_code_id'] === codeId)
      if (used.length > 0) {
        assert.ok(set.length > 0 && (set[0] as number) > createdAt && (set[0] as number) < (used[0] as number), `code ${codeId}`)
        checkedCodes += 1
      }
      if (deleted.length > 0) assert.ok(used.every((position) => position < (deleted[0] as number)), `code ${codeId} used after deletion`)
    }
    assert.ok(checkedCodes > 10, `only ${checkedCodes} codes created and used`)

    // Nothing happens on a device between its disconnection and its connection.
    let checkedOutages = 0
    const offline = new Set<string>()
    for (const event of events) {
      const deviceId = event['device_id'] as string | undefined
      if (deviceId === undefined || untoldEventTypes.includes(event['event_type'] as string)) continue
      if (event['event_type'] === 'device.disconnected') {
        assert.ok(!offline.has(deviceId))
        offline.add(deviceId)
      } else if (event['event_type'] === 'device.connected') {
        assert.ok(offline.delete(deviceId), `${deviceId} connected without having disconnected`)
        checkedOutages += 1
      } else {
        assert.ok(!offline.has(deviceId), `${event['event_type']} on ${deviceId} while it is disconnected`)
      }
    }
    assert.ok(checkedOutages > 5)

    // A remote unlock: the lock reports it, then the action attempt succeeds, with one id.
    for (const index of positions((event) => event['event_type'] === 'action_attempt.unlock_door.succeeded')) {
      const attemptId = events[index]?.['action_attempt_id']
      const unlocked = events.findIndex((event) => event['event_type'] === 'lock.unlocked' && event['action_attempt_id'] === attemptId)
      assert.ok(unlocked >= 0 && unlocked < index)
    }
    // An access grant: created, then its doors, then (if it ends) deleted last.
    for (const index of positions((event) => event['event_type'] === 'access_grant.access_granted_to_door')) {
      const grantId = events[index]?.['access_grant_id']
      const grantCreated = events.findIndex((event) => event['event_type'] === 'access_grant.created' && event['access_grant_id'] === grantId)
      const grantDeleted = events.findIndex((event) => event['event_type'] === 'access_grant.deleted' && event['access_grant_id'] === grantId)
      assert.ok(grantCreated >= 0 && grantCreated < index)
      assert.ok(grantDeleted === -1 || grantDeleted > index)
    }
    // An access-system user enters only with a credential issued to... someone; after
    // offboarding, not at all until onboarded again.
    const deletedUsers = new Set<string>()
    for (const event of events) {
      const userId = event['acs_user_id'] as string | undefined
      if (userId === undefined || untoldEventTypes.includes(event['event_type'] as string)) continue
      if (event['event_type'] === 'acs_user.deleted') deletedUsers.add(userId)
      else if (event['event_type'] === 'acs_user.created') deletedUsers.delete(userId)
      else if (event['event_type'] === 'lock.unlocked') assert.ok(!deletedUsers.has(userId), `${userId} entered after offboarding`)
    }
  })

  it('has each story publish only the types it declares', () => {
    const fleet = createFleet({ seed: 5, devices: 20 })
    for (const story of fleetStories) {
      const random = new SeededRandom(story.name)
      const state = new FleetState(fleet, random)
      let at = start
      for (let attempt = 0; attempt < 200; attempt++) {
        const started = story.begin({ fleet, state, random, isFree: () => true })
        if (started === undefined) continue
        for (const step of started.steps) {
          at += step.afterMs
          const type = step.event(at)['event_type'] as string
          assert.ok(story.eventTypes.includes(type), `${story.name}: ${type}`)
        }
      }
    }
  })
})
