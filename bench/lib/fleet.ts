// Realistic publish payloads: a fleet of smart locks, thermostats and sensors of one workspace.
// Each event is a valid sample of its type from Seam's catalog (every field, optional ones
// included, see test/support/sample-events.ts), with its ids drawn from a consistent fleet: a
// device belongs to one of 10 connected accounts and has 5 access codes; 200 user identities.
// Ids matter for what a benchmark measures: each id a filter can ask for is an index entry,
// and how many distinct values an index sees decides how many pages a commit writes.

import { randomUUID } from 'node:crypto'

import { sampleEventFor } from '../../test/support/sample-events.ts'

/** The 20 types of a smart-lock and thermostat fleet, roughly in order of how often they occur. */
export const fleetEventTypes = [
  'lock.unlocked',
  'lock.locked',
  'device.connected',
  'device.disconnected',
  'access_code.set_on_device',
  'access_code.created',
  'access_code.removed_from_device',
  'access_code.deleted',
  'access_code.changed',
  'lock.access_denied',
  'device.battery_status_changed',
  'device.low_battery',
  'device.connection_became_flaky',
  'device.connection_stabilized',
  'device.tampered',
  'thermostat.temperature_changed',
  'thermostat.manually_adjusted',
  'thermostat.climate_preset_activated',
  'thermostat.temperature_reached_set_point',
  'noise_sensor.noise_threshold_triggered',
] as const

export interface FleetDevice {
  device_id: string
  connected_account_id: string
  access_code_ids: readonly string[]
}

export interface Fleet {
  devices: readonly FleetDevice[]
  /** The `i`th event of a deterministic stream over every device and type. */
  event(i: number): Record<string, unknown>
}

export function createFleet(deviceCount = 1000): Fleet {
  const accounts = Array.from({ length: 10 }, () => randomUUID())
  const identities = Array.from({ length: 200 }, () => randomUUID())
  const devices = Array.from({ length: deviceCount }, (_, index) => ({
    device_id: randomUUID(),
    connected_account_id: accounts[index % accounts.length] as string,
    access_code_ids: Array.from({ length: 5 }, () => randomUUID()),
  }))
  // One template per type: the catalog's sample, without the ids the fleet supplies and
  // without access-system ids (this fleet's locks are not part of an access system).
  const templates = fleetEventTypes.map((type) => {
    const template = sampleEventFor(type, 0)
    for (const field of Object.keys(template)) {
      if (field.startsWith('acs_')) delete template[field]
    }
    return template
  })
  return {
    devices,
    event(i) {
      // Multiplying by a number coprime to the fleet size spreads consecutive events over it.
      const device = devices[(i * 7919) % devices.length] as FleetDevice
      const type = i % templates.length
      const event: Record<string, unknown> = { ...templates[type] }
      event['device_id'] = device.device_id
      event['connected_account_id'] = device.connected_account_id
      if ('access_code_id' in event) event['access_code_id'] = device.access_code_ids[i % 5]
      if ('user_identity_id' in event) event['user_identity_id'] = identities[i % identities.length]
      if ('action_attempt_id' in event) event['action_attempt_id'] = randomUUID()
      return event
    },
  }
}

/** `count` publish bodies of `batchSize` events each, from consecutive events of the fleet. */
export function publishBodies(fleet: Fleet, count: number, batchSize: number): string[] {
  return Array.from({ length: count }, (_, body) =>
    JSON.stringify({
      events: Array.from({ length: batchSize }, (_, n) => fleet.event(body * batchSize + n)),
    }),
  )
}
