// What happens in a fleet, as stories: short sequences of events on one subject (a lock, a
// thermostat, an access-system user...) in the order they happen in a real installation, each
// step a delay after the one before. An access code is created, set on the lock, then used to
// unlock it; a device that disconnects connects again; a thermostat adjusted by hand reports
// its temperature until it reaches the set point. The generator (fleet-events.ts) runs one
// story at a time per subject, so a story's state (the codes on a lock) is its own until it ends.
//
// Weights are per subject: a fleet with more thermostats has more thermostat stories. The last
// story, the catalog's tail, goes round the types that no other story tells, with ids from the
// fleet, so that a long enough run holds every type of the catalog.

import { catalogEventTypes } from '../event-examples.ts'
import {
  accessCode,
  type Fleet,
  type FleetAccessCode,
  type FleetAcsUser,
  type FleetDevice,
  type FleetLock,
  type FleetThermostat,
} from './fleet.ts'
import { eventFieldsOf, fleetEvent } from './fleet-event-builder.ts'
import type { SeededRandom } from './seeded-random.ts'

export interface StoryStep {
  /** After the previous step; the first step happens when the story starts, whatever it says. */
  afterMs: number
  /** Made when the step is due, so that it sees (and may change) the state of that moment. */
  event: (at: number) => Record<string, unknown>
}

export interface StoryStart {
  /** Ids that no other story may use until this one has ended. */
  subjects: readonly string[]
  steps: readonly StoryStep[]
}

export interface StoryContext {
  fleet: Fleet
  state: FleetState
  random: SeededRandom
  isFree(subject: string): boolean
}

export interface Story {
  name: string
  /** Every type the story may publish (test/fleet.test.ts holds each story to its list). */
  eventTypes: readonly string[]
  /** How often it starts, relative to the others, for this fleet. */
  weight(fleet: Fleet): number
  /** Starts it on a free subject, or undefined when none is free (or none fits). */
  begin(context: StoryContext): StoryStart | undefined
}

interface Climate {
  celsius: number
  heating: number
  cooling: number
}

interface Grant {
  access_grant_id: string
  access_method_id: string
  acs_entrance_ids: readonly string[]
}

/** What changes as the stories run: codes on locks, batteries, temperatures, credentials, grants. */
export class FleetState {
  readonly codes = new Map<string, FleetAccessCode[]>()
  readonly battery = new Map<string, number>()
  readonly climate = new Map<string, Climate>()
  readonly credentials = new Map<string, string[]>()
  /** Access-system users that exist now (offboarding deletes one, onboarding brings it back). */
  readonly enrolled = new Set<string>()
  readonly grants = new Map<string, Grant>()
  /** The catalog tail's next type. */
  nextTailIndex = 0

  constructor(fleet: Fleet, random: SeededRandom) {
    for (const lock of fleet.locks) this.codes.set(lock.device_id, [...lock.access_codes])
    for (const device of fleet.devices) {
      if (device.kind !== 'thermostat') this.battery.set(device.device_id, round(random.between(0.35, 1), 2))
    }
    for (const thermostat of fleet.thermostats) {
      const heating = random.pick([19, 20, 21])
      this.climate.set(thermostat.device_id, { celsius: heating + round(random.between(-1, 1), 1), heating, cooling: 25 })
    }
    for (const user of fleet.acsSystem.users) {
      this.credentials.set(user.acs_user_id, [user.acs_credential_id])
      this.enrolled.add(user.acs_user_id)
    }
  }

  codesOf(lock: FleetLock): FleetAccessCode[] {
    return this.codes.get(lock.device_id) as FleetAccessCode[]
  }

  climateOf(thermostat: FleetThermostat): Climate {
    return this.climate.get(thermostat.device_id) as Climate
  }
}

const second = 1000
const minute = 60 * second

function round(value: number, digits: number): number {
  const factor = 10 ** digits
  return Math.round(value * factor) / factor
}

function fahrenheit(celsius: number): number {
  return round((celsius * 9) / 5 + 32, 1)
}

function seconds(random: SeededRandom, min: number, max: number): number {
  return Math.round(random.between(min, max) * second)
}

function minutes(random: SeededRandom, min: number, max: number): number {
  return Math.round(random.between(min, max) * minute)
}

function step(afterMs: number, event: (at: number) => Record<string, unknown>): StoryStep {
  return { afterMs, event }
}

/** A free member of `pool` that `fits`, from a random place in it; undefined when none is. */
function freeOf<T>(
  context: StoryContext,
  pool: readonly T[],
  subjectOf: (item: T) => string,
  fits: (item: T) => boolean = () => true,
): T | undefined {
  if (pool.length === 0) return undefined
  const offset = Math.floor(context.random.next() * pool.length)
  for (let index = 0; index < pool.length; index++) {
    const item = pool[(offset + index) % pool.length] as T
    if (context.isFree(subjectOf(item)) && fits(item)) return item
  }
  return undefined
}

const byDevice = (device: FleetDevice): string => device.device_id
const byUser = (user: FleetAcsUser): string => user.acs_user_id

/** The ids every device event carries. */
function deviceFields(device: FleetDevice) {
  return { device_id: device.device_id, connected_account_id: device.connected_account_id, customer_key: device.customer_key }
}

/** Access code events carry no customer key. */
function codeFields(lock: FleetLock, code: FleetAccessCode) {
  return { device_id: lock.device_id, connected_account_id: lock.connected_account_id, access_code_id: code.access_code_id }
}

function batteryStatus(level: number): 'critical' | 'low' | 'good' | 'full' {
  if (level < 0.1) return 'critical'
  if (level < 0.25) return 'low'
  if (level < 0.95) return 'good'
  return 'full'
}

const lockStories: Story[] = [
  {
    name: 'a door unlocked by hand, then locked',
    eventTypes: ['lock.unlocked', 'lock.locked'],
    weight: (fleet) => 10 * fleet.locks.length,
    begin(context) {
      const lock = freeOf(context, context.fleet.locks, byDevice)
      if (lock === undefined) return undefined
      const relock = context.random.chance(0.6) ? 'automatic' : 'manual'
      return {
        subjects: [lock.device_id],
        steps: [
          step(0, () => fleetEvent('lock.unlocked', { ...deviceFields(lock), method: 'manual' })),
          step(seconds(context.random, 10, 180), () => fleetEvent('lock.locked', { ...deviceFields(lock), method: relock })),
        ],
      }
    },
  },
  {
    name: 'an access code on the lock used to unlock it',
    eventTypes: ['lock.unlocked', 'lock.locked'],
    weight: (fleet) => 12 * fleet.locks.length,
    begin(context) {
      const lock = freeOf(context, context.fleet.locks, byDevice, (candidate) => context.state.codesOf(candidate).length > 0)
      if (lock === undefined) return undefined
      const code = context.random.pick(context.state.codesOf(lock))
      return {
        subjects: [lock.device_id],
        steps: [
          step(0, () => unlockedWithCode(lock, code)),
          step(seconds(context.random, 20, 120), () => fleetEvent('lock.locked', { ...deviceFields(lock), method: 'automatic' })),
        ],
      }
    },
  },
  {
    name: 'a guest code created, set on the lock, then used',
    eventTypes: [
      'access_code.created',
      'access_code.scheduled_on_device',
      'access_code.set_on_device',
      'lock.unlocked',
      'lock.locked',
    ],
    weight: (fleet) => 4 * fleet.locks.length,
    begin(context) {
      const { random, state } = context
      const lock = freeOf(context, context.fleet.locks, byDevice, (candidate) => state.codesOf(candidate).length < 8)
      if (lock === undefined) return undefined
      const code = accessCode(random)
      const steps = [step(0, () => fleetEvent('access_code.created', codeFields(lock, code)))]
      if (random.chance(0.25)) {
        steps.push(
          step(seconds(random, 2, 10), () =>
            fleetEvent('access_code.scheduled_on_device', { ...codeFields(lock, code), code: code.code }),
          ),
        )
      }
      steps.push(
        step(seconds(random, 3, 30), () => {
          state.codesOf(lock).push(code)
          return fleetEvent('access_code.set_on_device', { ...codeFields(lock, code), code: code.code })
        }),
        step(minutes(random, 1, 20), () => unlockedWithCode(lock, code)),
        step(seconds(random, 20, 90), () => fleetEvent('lock.locked', { ...deviceFields(lock), method: 'automatic' })),
      )
      return { subjects: [lock.device_id], steps }
    },
  },
  {
    name: 'an access code removed from the lock, then deleted',
    eventTypes: ['access_code.removed_from_device', 'access_code.deleted'],
    weight: (fleet) => 3 * fleet.locks.length,
    begin(context) {
      const { random, state } = context
      const lock = freeOf(context, context.fleet.locks, byDevice, (candidate) => state.codesOf(candidate).length > 1)
      if (lock === undefined) return undefined
      const code = random.pick(state.codesOf(lock))
      return {
        subjects: [lock.device_id],
        steps: [
          step(0, () => {
            removeCode(state.codesOf(lock), code)
            return fleetEvent('access_code.removed_from_device', codeFields(lock, code))
          }),
          step(seconds(random, 1, 5), () => fleetEvent('access_code.deleted', { ...codeFields(lock, code), code: code.code })),
        ],
      }
    },
  },
  {
    name: "an access code's name, code or time frame changed",
    eventTypes: [
      'access_code.changed',
      'access_code.name_changed',
      'access_code.code_changed',
      'access_code.time_frame_changed',
      'access_code.set_on_device',
    ],
    weight: (fleet) => 1.5 * fleet.locks.length,
    begin(context) {
      const { random, state } = context
      const lock = freeOf(context, context.fleet.locks, byDevice, (candidate) => state.codesOf(candidate).length > 0)
      if (lock === undefined) return undefined
      const codes = state.codesOf(lock)
      const code = random.pick(codes)
      const renamed = { ...code, name: accessCode(random).name }
      const recoded = { ...code, code: accessCode(random).code }
      const variant = random.int(0, 2)
      const steps: StoryStep[] = []
      if (variant === 0) {
        steps.push(
          step(0, () => {
            replaceCode(codes, renamed)
            return fleetEvent('access_code.name_changed', {
              ...codeFields(lock, code),
              from: { name: code.name },
              to: { name: renamed.name },
              description: `Renamed from "${code.name}" to "${renamed.name}"`,
            })
          }),
          step(seconds(random, 0, 2), () =>
            fleetEvent('access_code.changed', {
              ...codeFields(lock, code),
              changed_properties: [{ property: 'name', from: code.name, to: renamed.name }],
            }),
          ),
        )
      } else if (variant === 1) {
        steps.push(
          step(0, () => {
            replaceCode(codes, recoded)
            return fleetEvent('access_code.code_changed', {
              ...codeFields(lock, code),
              from: { code: code.code },
              to: { code: recoded.code },
              description: 'The code was changed',
            })
          }),
          step(seconds(random, 3, 30), () =>
            fleetEvent('access_code.set_on_device', { ...codeFields(lock, code), code: recoded.code }),
          ),
        )
      } else {
        steps.push(
          step(0, (at) => {
            const startsAt = new Date(at + 60 * minute).toISOString()
            return fleetEvent('access_code.time_frame_changed', {
              ...codeFields(lock, code),
              from: { starts_at: null, ends_at: null },
              to: { starts_at: startsAt, ends_at: new Date(at + 3 * 24 * 60 * minute).toISOString() },
              description: 'The code now works only during the booking',
            })
          }),
        )
      }
      return { subjects: [lock.device_id], steps }
    },
  },
  {
    name: 'an access code that takes long to set, or fails to',
    eventTypes: [
      'access_code.created',
      'access_code.delay_in_setting_on_device',
      'access_code.set_on_device',
      'access_code.failed_to_set_on_device',
      'access_code.deleted',
    ],
    weight: (fleet) => 0.6 * fleet.locks.length,
    begin(context) {
      const { random, state } = context
      const lock = freeOf(context, context.fleet.locks, byDevice, (candidate) => state.codesOf(candidate).length < 8)
      if (lock === undefined) return undefined
      const code = accessCode(random)
      const fails = random.chance(0.3)
      return {
        subjects: [lock.device_id],
        steps: [
          step(0, () => fleetEvent('access_code.created', codeFields(lock, code))),
          step(minutes(random, 1, 5), () => fleetEvent('access_code.delay_in_setting_on_device', codeFields(lock, code))),
          fails
            ? step(minutes(random, 5, 20), () => fleetEvent('access_code.failed_to_set_on_device', codeFields(lock, code)))
            : step(minutes(random, 2, 15), () => {
                state.codesOf(lock).push(code)
                return fleetEvent('access_code.set_on_device', { ...codeFields(lock, code), code: code.code })
              }),
          ...(fails
            ? [step(seconds(random, 5, 60), () => fleetEvent('access_code.deleted', { ...codeFields(lock, code), code: null }))]
            : []),
        ],
      }
    },
  },
  {
    name: 'an access code that takes long to remove, or fails to',
    eventTypes: [
      'access_code.delay_in_removing_from_device',
      'access_code.removed_from_device',
      'access_code.failed_to_remove_from_device',
      'access_code.deleted',
    ],
    weight: (fleet) => 0.3 * fleet.locks.length,
    begin(context) {
      const { random, state } = context
      const lock = freeOf(context, context.fleet.locks, byDevice, (candidate) => state.codesOf(candidate).length > 1)
      if (lock === undefined) return undefined
      const code = random.pick(state.codesOf(lock))
      const fails = random.chance(0.3)
      return {
        subjects: [lock.device_id],
        steps: [
          step(0, () => fleetEvent('access_code.delay_in_removing_from_device', codeFields(lock, code))),
          fails
            ? step(minutes(random, 5, 20), () => fleetEvent('access_code.failed_to_remove_from_device', codeFields(lock, code)))
            : step(minutes(random, 1, 10), () => {
                removeCode(state.codesOf(lock), code)
                return fleetEvent('access_code.removed_from_device', codeFields(lock, code))
              }),
          ...(fails
            ? []
            : [step(seconds(random, 1, 5), () => fleetEvent('access_code.deleted', { ...codeFields(lock, code), code: code.code }))]),
        ],
      }
    },
  },
  {
    name: 'a code entered that the lock refuses',
    eventTypes: ['lock.access_denied'],
    weight: (fleet) => 2 * fleet.locks.length,
    begin(context) {
      const lock = freeOf(context, context.fleet.locks, byDevice)
      if (lock === undefined) return undefined
      const reason_code = context.random.pick(['unknown_code', 'expired_code', 'too_many_attempts'] as const)
      const messages = {
        unknown_code: 'The code entered is not on the lock',
        expired_code: 'The code entered is outside its time frame',
        too_many_attempts: 'Too many wrong codes: the keypad is locked for a while',
      }
      return {
        subjects: [lock.device_id],
        steps: [
          step(0, () =>
            fleetEvent('lock.access_denied', { ...deviceFields(lock), reason: { reason_code, message: messages[reason_code] } }),
          ),
        ],
      }
    },
  },
  {
    name: 'a door unlocked from the app, then locked from it',
    eventTypes: [
      'lock.unlocked',
      'action_attempt.unlock_door.succeeded',
      'action_attempt.unlock_door.failed',
      'lock.locked',
      'action_attempt.lock_door.succeeded',
      'action_attempt.lock_door.failed',
    ],
    weight: (fleet) => 2 * fleet.locks.length,
    begin(context) {
      const { random } = context
      const lock = freeOf(context, context.fleet.locks, byDevice)
      if (lock === undefined) return undefined
      const attempt = (type: string, action_type: string, succeeded: boolean, action_attempt_id: string) => () =>
        fleetEvent(type, {
          device_id: lock.device_id,
          connected_account_id: lock.connected_account_id,
          action_attempt_id,
          action_type,
          status: succeeded ? 'success' : 'error',
        })
      const unlockId = random.uuid()
      if (random.chance(0.08)) {
        return {
          subjects: [lock.device_id],
          steps: [step(0, attempt('action_attempt.unlock_door.failed', 'UNLOCK_DOOR', false, unlockId))],
        }
      }
      const lockId = random.uuid()
      const lockFails = random.chance(0.05)
      return {
        subjects: [lock.device_id],
        steps: [
          step(0, () => fleetEvent('lock.unlocked', { ...deviceFields(lock), method: 'remote', action_attempt_id: unlockId })),
          step(seconds(random, 0, 2), attempt('action_attempt.unlock_door.succeeded', 'UNLOCK_DOOR', true, unlockId)),
          ...(lockFails
            ? [step(minutes(random, 1, 10), attempt('action_attempt.lock_door.failed', 'LOCK_DOOR', false, lockId))]
            : [
                step(minutes(random, 1, 10), () =>
                  fleetEvent('lock.locked', { ...deviceFields(lock), method: 'remote', action_attempt_id: lockId }),
                ),
                step(seconds(random, 0, 2), attempt('action_attempt.lock_door.succeeded', 'LOCK_DOOR', true, lockId)),
              ]),
        ],
      }
    },
  },
  {
    name: "a sandbox lock's keypad simulated",
    eventTypes: [
      'action_attempt.simulate_keypad_code_entry.succeeded',
      'action_attempt.simulate_keypad_code_entry.failed',
      'action_attempt.simulate_manual_lock_via_keypad.succeeded',
      'action_attempt.simulate_manual_lock_via_keypad.failed',
      'lock.unlocked',
      'lock.locked',
    ],
    weight: (fleet) => 0.3 * fleet.locks.length,
    begin(context) {
      const { random, state } = context
      const lock = freeOf(context, context.fleet.locks, byDevice, (candidate) => state.codesOf(candidate).length > 0)
      if (lock === undefined) return undefined
      const code = random.pick(state.codesOf(lock))
      const attempt = (type: string, action_type: string, succeeded: boolean) => {
        const action_attempt_id = random.uuid()
        return () =>
          fleetEvent(type, {
            device_id: lock.device_id,
            connected_account_id: lock.connected_account_id,
            action_attempt_id,
            action_type,
            status: succeeded ? 'success' : 'error',
          })
      }
      if (random.chance(0.1)) {
        const failed = random.chance(0.5)
          ? attempt('action_attempt.simulate_keypad_code_entry.failed', 'SIMULATE_KEYPAD_CODE_ENTRY', false)
          : attempt('action_attempt.simulate_manual_lock_via_keypad.failed', 'SIMULATE_MANUAL_LOCK_VIA_KEYPAD', false)
        return { subjects: [lock.device_id], steps: [step(0, failed)] }
      }
      return {
        subjects: [lock.device_id],
        steps: [
          step(0, () => unlockedWithCode(lock, code)),
          step(seconds(random, 0, 2), attempt('action_attempt.simulate_keypad_code_entry.succeeded', 'SIMULATE_KEYPAD_CODE_ENTRY', true)),
          step(seconds(random, 10, 60), () => fleetEvent('lock.locked', { ...deviceFields(lock), method: 'keycode' })),
          step(
            seconds(random, 0, 2),
            attempt('action_attempt.simulate_manual_lock_via_keypad.succeeded', 'SIMULATE_MANUAL_LOCK_VIA_KEYPAD', true),
          ),
        ],
      }
    },
  },
]

const deviceStories: Story[] = [
  {
    name: 'a device disconnected, then connected again',
    eventTypes: ['device.disconnected', 'device.connected'],
    weight: (fleet) => 1 * fleet.devices.length,
    begin(context) {
      const { random } = context
      const device = freeOf(context, context.fleet.devices, byDevice)
      if (device === undefined) return undefined
      const error_code = random.pick(['device_disconnected', 'hub_disconnected'] as const)
      return {
        subjects: [device.device_id],
        steps: [
          step(0, () => fleetEvent('device.disconnected', { ...deviceFields(device), error_code })),
          step(minutes(random, 1, 30), () => fleetEvent('device.connected', deviceFields(device))),
        ],
      }
    },
  },
  {
    name: 'a connection that becomes flaky, then stable',
    eventTypes: ['device.connection_became_flaky', 'device.connection_stabilized'],
    weight: (fleet) => 0.6 * fleet.devices.length,
    begin(context) {
      const device = freeOf(context, context.fleet.devices, byDevice)
      if (device === undefined) return undefined
      return {
        subjects: [device.device_id],
        steps: [
          step(0, () => fleetEvent('device.connection_became_flaky', deviceFields(device))),
          step(minutes(context.random, 5, 60), () => fleetEvent('device.connection_stabilized', deviceFields(device))),
        ],
      }
    },
  },
  {
    name: 'a battery running down, and replaced when low',
    eventTypes: ['device.battery_status_changed', 'device.low_battery'],
    weight: (fleet) => 2 * (fleet.devices.length - fleet.thermostats.length),
    begin(context) {
      const { random, state } = context
      const device = freeOf(context, context.fleet.devices, byDevice, (candidate) => state.battery.has(candidate.device_id))
      if (device === undefined) return undefined
      const level = round(Math.max(0, (state.battery.get(device.device_id) as number) - random.between(0.01, 0.06)), 2)
      const steps = [
        step(0, () => {
          state.battery.set(device.device_id, level)
          return fleetEvent('device.battery_status_changed', {
            ...deviceFields(device),
            battery_level: level,
            battery_status: batteryStatus(level),
          })
        }),
      ]
      if (level < 0.2) {
        steps.push(step(seconds(random, 0, 2), () => fleetEvent('device.low_battery', { ...deviceFields(device), battery_level: level })))
      }
      if (level < 0.1) {
        steps.push(
          step(minutes(random, 10, 60), () => {
            state.battery.set(device.device_id, 1)
            return fleetEvent('device.battery_status_changed', { ...deviceFields(device), battery_level: 1, battery_status: 'full' })
          }),
        )
      }
      return { subjects: [device.device_id], steps }
    },
  },
  {
    name: 'a lock tampered with',
    eventTypes: ['device.tampered', 'lock.access_denied'],
    weight: (fleet) => 0.2 * fleet.locks.length,
    begin(context) {
      const lock = freeOf(context, context.fleet.locks, byDevice)
      if (lock === undefined) return undefined
      return {
        subjects: [lock.device_id],
        steps: [
          step(0, () =>
            fleetEvent('lock.access_denied', {
              ...deviceFields(lock),
              reason: { reason_code: 'too_many_attempts', message: 'Too many wrong codes: the keypad is locked for a while' },
            }),
          ),
          step(seconds(context.random, 5, 60), () => fleetEvent('device.tampered', deviceFields(lock))),
        ],
      }
    },
  },
  {
    name: "a lock's keypad or privacy mode going off and on",
    eventTypes: [
      'device.accessory_keypad_disconnected',
      'device.accessory_keypad_connected',
      'device.salto.privacy_mode_activated',
      'device.salto.privacy_mode_deactivated',
    ],
    weight: (fleet) => 0.3 * fleet.locks.length,
    begin(context) {
      const { random } = context
      const lock = freeOf(context, context.fleet.locks, byDevice)
      if (lock === undefined) return undefined
      const [off, on] = random.chance(0.5)
        ? ['device.accessory_keypad_disconnected', 'device.accessory_keypad_connected']
        : ['device.salto.privacy_mode_activated', 'device.salto.privacy_mode_deactivated']
      return {
        subjects: [lock.device_id],
        steps: [
          step(0, () => fleetEvent(off, deviceFields(lock))),
          step(minutes(random, 5, 120), () => fleetEvent(on, deviceFields(lock))),
        ],
      }
    },
  },
]

const climateStories: Story[] = [
  {
    name: 'a thermostat adjusted by hand, heating or cooling to the new set point',
    eventTypes: ['thermostat.manually_adjusted', 'thermostat.temperature_changed', 'thermostat.temperature_reached_set_point'],
    weight: (fleet) => 6 * fleet.thermostats.length,
    begin(context) {
      const { random, state } = context
      const thermostat = freeOf(context, context.fleet.thermostats, byDevice)
      if (thermostat === undefined) return undefined
      const climate = state.climateOf(thermostat)
      const target = random.pick([18, 19, 20, 21, 22, 23])
      const method = random.chance(0.7) ? 'external' : 'seam'
      const changes = random.int(1, 3)
      const steps = [
        step(0, () => {
          climate.heating = target
          return fleetEvent('thermostat.manually_adjusted', {
            ...deviceFields(thermostat),
            method,
            hvac_mode_setting: 'heat',
            heating_set_point_celsius: target,
            heating_set_point_fahrenheit: fahrenheit(target),
          })
        }),
      ]
      for (let change = 1; change <= changes; change++) {
        steps.push(
          step(minutes(random, 2, 10), () => {
            climate.celsius = round(climate.celsius + (target - climate.celsius) * (change / changes) * 0.9, 1)
            return temperatureChanged(thermostat, climate.celsius)
          }),
        )
      }
      steps.push(
        step(minutes(random, 2, 10), () => {
          climate.celsius = target
          return fleetEvent('thermostat.temperature_reached_set_point', {
            ...deviceFields(thermostat),
            temperature_celsius: target,
            temperature_fahrenheit: fahrenheit(target),
            desired_temperature_celsius: target,
            desired_temperature_fahrenheit: fahrenheit(target),
          })
        }),
      )
      return { subjects: [thermostat.device_id], steps }
    },
  },
  {
    name: 'a room temperature drifting',
    eventTypes: ['thermostat.temperature_changed'],
    weight: (fleet) => 8 * fleet.thermostats.length,
    begin(context) {
      const thermostat = freeOf(context, context.fleet.thermostats, byDevice)
      if (thermostat === undefined) return undefined
      const climate = context.state.climateOf(thermostat)
      const drift = context.random.pick([-0.5, -0.3, 0.3, 0.5])
      return {
        subjects: [thermostat.device_id],
        steps: [
          step(0, () => {
            // Drifting back toward the set point when it is more than 2 degrees away.
            const away = climate.celsius - climate.heating
            climate.celsius = round(climate.celsius + (Math.abs(away) > 2 ? -Math.sign(away) * 0.5 : drift), 1)
            return temperatureChanged(thermostat, climate.celsius)
          }),
        ],
      }
    },
  },
  {
    name: 'a climate preset activated by its schedule',
    eventTypes: ['thermostat.climate_preset_activated', 'thermostat.temperature_changed'],
    weight: (fleet) => 2 * fleet.thermostats.length,
    begin(context) {
      const { random, state } = context
      const thermostat = freeOf(context, context.fleet.thermostats, byDevice)
      if (thermostat === undefined) return undefined
      const climate = state.climateOf(thermostat)
      const preset = random.pick([
        { key: 'home', heating: 21 },
        { key: 'away', heating: 16 },
        { key: 'sleep', heating: 18 },
        { key: 'eco', heating: 17 },
      ])
      const fallback = random.chance(0.05)
      return {
        subjects: [thermostat.device_id],
        steps: [
          step(0, () => {
            climate.heating = preset.heating
            return fleetEvent('thermostat.climate_preset_activated', {
              ...deviceFields(thermostat),
              thermostat_schedule_id: fallback ? null : thermostat.thermostat_schedule_id,
              climate_preset_key: preset.key,
              is_fallback_climate_preset: fallback,
            })
          }),
          step(minutes(random, 5, 20), () => {
            climate.celsius = round((climate.celsius + preset.heating) / 2, 1)
            return temperatureChanged(thermostat, climate.celsius)
          }),
        ],
      }
    },
  },
  {
    name: 'a room too warm, then back within its limits',
    eventTypes: ['thermostat.temperature_threshold_exceeded', 'thermostat.temperature_threshold_no_longer_exceeded'],
    weight: (fleet) => 0.5 * fleet.thermostats.length,
    begin(context) {
      const { random, state } = context
      const thermostat = freeOf(context, context.fleet.thermostats, byDevice)
      if (thermostat === undefined) return undefined
      const climate = state.climateOf(thermostat)
      const limits = { upper: 26, lower: 15 }
      const threshold = (type: string, celsius: number) =>
        fleetEvent(type, {
          ...deviceFields(thermostat),
          temperature_celsius: celsius,
          temperature_fahrenheit: fahrenheit(celsius),
          upper_limit_celsius: limits.upper,
          upper_limit_fahrenheit: fahrenheit(limits.upper),
          lower_limit_celsius: limits.lower,
          lower_limit_fahrenheit: fahrenheit(limits.lower),
        })
      const hot = round(limits.upper + random.between(0.2, 2), 1)
      return {
        subjects: [thermostat.device_id],
        steps: [
          step(0, () => {
            climate.celsius = hot
            return threshold('thermostat.temperature_threshold_exceeded', hot)
          }),
          step(minutes(random, 10, 60), () => {
            climate.celsius = round(limits.upper - random.between(0.5, 2), 1)
            return threshold('thermostat.temperature_threshold_no_longer_exceeded', climate.celsius)
          }),
        ],
      }
    },
  },
]

const sensorStories: Story[] = [
  {
    name: 'noise above a threshold, a few times',
    eventTypes: ['noise_sensor.noise_threshold_triggered'],
    weight: (fleet) => 6 * fleet.noiseSensors.length,
    begin(context) {
      const { random } = context
      const sensor = freeOf(context, context.fleet.noiseSensors, byDevice)
      if (sensor === undefined) return undefined
      const threshold = random.pick(sensor.noise_thresholds)
      return {
        subjects: [sensor.device_id],
        steps: Array.from({ length: random.int(1, 3) }, (_, index) =>
          step(index === 0 ? 0 : minutes(random, 1, 5), () =>
            fleetEvent('noise_sensor.noise_threshold_triggered', {
              ...deviceFields(sensor),
              noise_level_decibels: round(threshold.decibels + random.between(1, 20), 1),
              noise_threshold_id: threshold.noise_threshold_id,
              noise_threshold_name: threshold.noise_threshold_name,
            }),
          ),
        ),
      }
    },
  },
  {
    name: 'motion at the door, or the doorbell',
    eventTypes: ['camera.activated', 'device.doorbell_rang'],
    weight: (fleet) => 6 * fleet.cameras.length,
    begin(context) {
      const { random } = context
      const camera = freeOf(context, context.fleet.cameras, byDevice)
      if (camera === undefined) return undefined
      const motion = (motion_sub_type: string) => () =>
        fleetEvent('camera.activated', { ...deviceFields(camera), activation_reason: 'motion_detected', motion_sub_type })
      if (random.chance(0.6)) {
        return {
          subjects: [camera.device_id],
          steps: [step(0, motion(random.pick(['human', 'vehicle', 'package', 'other'])))],
        }
      }
      return {
        subjects: [camera.device_id],
        steps: [step(0, motion('human')), step(seconds(random, 3, 20), () => fleetEvent('device.doorbell_rang', deviceFields(camera)))],
      }
    },
  },
]

const accessSystemStories: Story[] = [
  {
    name: 'a user entering with their card or phone',
    eventTypes: ['lock.unlocked'],
    weight: (fleet) => 6 * fleet.acsSystem.users.length,
    begin(context) {
      const { random, state, fleet } = context
      const user = freeOf(context, fleet.acsSystem.users, byUser, (candidate) => (state.credentials.get(candidate.acs_user_id)?.length ?? 0) > 0)
      if (user === undefined) return undefined
      const entrance = random.pick(fleet.acsSystem.acs_entrance_ids)
      const phone = random.chance(0.3)
      return {
        subjects: [user.acs_user_id],
        steps: [step(0, () => acsEntry(fleet, user, entrance, phone))],
      }
    },
  },
  {
    name: 'a credential issued, then used at an entrance',
    eventTypes: ['acs_credential.issued', 'lock.unlocked'],
    weight: (fleet) => 1.5 * fleet.acsSystem.users.length,
    begin(context) {
      const { random, state, fleet } = context
      const user = freeOf(context, fleet.acsSystem.users, byUser, (candidate) => state.enrolled.has(candidate.acs_user_id))
      if (user === undefined) return undefined
      const credentialId = random.uuid()
      const entrance = random.pick(fleet.acsSystem.acs_entrance_ids)
      return {
        subjects: [user.acs_user_id],
        steps: [
          step(0, () => {
            state.credentials.get(user.acs_user_id)?.push(credentialId)
            return fleetEvent('acs_credential.issued', acsFields(fleet, { acs_credential_id: credentialId }))
          }),
          step(minutes(random, 1, 30), () => acsEntry(fleet, user, entrance, random.chance(0.3))),
        ],
      }
    },
  },
  {
    name: 'a credential reissued, or invalidated and deleted',
    eventTypes: ['acs_credential.reissued', 'acs_credential.invalidated', 'acs_credential.deleted', 'lock.access_denied'],
    weight: (fleet) => 0.6 * fleet.acsSystem.users.length,
    begin(context) {
      const { random, state, fleet } = context
      const user = freeOf(context, fleet.acsSystem.users, byUser, (candidate) => (state.credentials.get(candidate.acs_user_id)?.length ?? 0) > 1)
      if (user === undefined) return undefined
      const credentials = state.credentials.get(user.acs_user_id) as string[]
      const credentialId = random.pick(credentials)
      if (random.chance(0.5)) {
        return {
          subjects: [user.acs_user_id],
          steps: [step(0, () => fleetEvent('acs_credential.reissued', acsFields(fleet, { acs_credential_id: credentialId })))],
        }
      }
      return {
        subjects: [user.acs_user_id],
        steps: [
          step(0, () => {
            credentials.splice(credentials.indexOf(credentialId), 1)
            return fleetEvent('acs_credential.invalidated', acsFields(fleet, { acs_credential_id: credentialId }))
          }),
          step(minutes(random, 1, 10), () =>
            fleetEvent('lock.access_denied', {
              connected_account_id: fleet.acsSystem.connected_account_id,
              acs_system_id: fleet.acsSystem.acs_system_id,
              acs_user_id: user.acs_user_id,
              acs_entrance_id: random.pick(fleet.acsSystem.acs_entrance_ids),
              user_identity_id: user.user_identity_id,
              reason: { reason_code: 'credential_error', message: 'The credential was invalidated' },
            }),
          ),
          step(minutes(random, 1, 10), () => fleetEvent('acs_credential.deleted', acsFields(fleet, { acs_credential_id: credentialId }))),
        ],
      }
    },
  },
  {
    name: 'a user offboarded (credentials, then the user deleted), or onboarded again',
    eventTypes: ['acs_credential.deleted', 'acs_user.deleted', 'acs_user.created', 'acs_credential.issued', 'phone.deactivated'],
    weight: (fleet) => 0.4 * fleet.acsSystem.users.length,
    begin(context) {
      const { random, state, fleet } = context
      const user = freeOf(context, fleet.acsSystem.users, byUser)
      if (user === undefined) return undefined
      const credentials = state.credentials.get(user.acs_user_id) as string[]
      if (state.enrolled.has(user.acs_user_id)) {
        if (state.enrolled.size < 2) return undefined
        const gone = [...credentials]
        return {
          subjects: [user.acs_user_id],
          steps: [
            ...gone.map((acs_credential_id, index) =>
              step(index === 0 ? 0 : seconds(random, 0, 3), () => {
                credentials.splice(credentials.indexOf(acs_credential_id), 1)
                return fleetEvent('acs_credential.deleted', acsFields(fleet, { acs_credential_id }))
              }),
            ),
            step(seconds(random, 1, 10), () => {
              state.enrolled.delete(user.acs_user_id)
              return fleetEvent('acs_user.deleted', acsFields(fleet, { acs_user_id: user.acs_user_id }))
            }),
            ...(random.chance(0.5) ? [step(seconds(random, 1, 10), () => fleetEvent('phone.deactivated', { device_id: user.phone_device_id }))] : []),
          ],
        }
      }
      const credentialId = random.uuid()
      return {
        subjects: [user.acs_user_id],
        steps: [
          step(0, () => {
            state.enrolled.add(user.acs_user_id)
            return fleetEvent('acs_user.created', acsFields(fleet, { acs_user_id: user.acs_user_id }))
          }),
          step(seconds(random, 5, 60), () => {
            credentials.push(credentialId)
            return fleetEvent('acs_credential.issued', acsFields(fleet, { acs_credential_id: credentialId }))
          }),
        ],
      }
    },
  },
  {
    name: 'the access system disconnected, then connected again',
    eventTypes: ['acs_system.disconnected', 'acs_system.connected'],
    weight: () => 0.5,
    begin(context) {
      const { fleet } = context
      const system = fleet.acsSystem
      if (!context.isFree(system.acs_system_id)) return undefined
      return {
        subjects: [system.acs_system_id],
        steps: [
          step(0, () => fleetEvent('acs_system.disconnected', acsFields(fleet, {}))),
          step(minutes(context.random, 5, 30), () => fleetEvent('acs_system.connected', acsFields(fleet, {}))),
        ],
      }
    },
  },
]

const accessGrantStories: Story[] = [
  {
    name: 'an access grant created, its access method issued, access granted to its doors',
    eventTypes: [
      'access_grant.created',
      'access_method.created',
      'access_method.card_encoding_required',
      'access_method.issued',
      'access_grant.access_granted_to_door',
      'access_grant.access_granted_to_all_doors',
      'access_grant.access_times_changed',
    ],
    weight: (fleet) => 1 * fleet.acsSystem.users.length,
    begin(context) {
      const { random, state, fleet } = context
      const user = freeOf(context, fleet.acsSystem.users, (candidate) => candidate.user_identity_id, (candidate) => !state.grants.has(candidate.user_identity_id))
      if (user === undefined) return undefined
      const entrances = fleet.acsSystem.acs_entrance_ids
      const allDoors = random.chance(0.2)
      const doors = allDoors ? entrances : [...new Set([random.pick(entrances), random.pick(entrances)])]
      const grant: Grant = { access_grant_id: random.uuid(), access_method_id: random.uuid(), acs_entrance_ids: doors }
      const access_grant_key = `booking_${random.int(10_000, 99_999)}`
      const method = { access_method_id: grant.access_method_id, access_grant_ids: [grant.access_grant_id], access_grant_keys: [access_grant_key] }
      const card = random.chance(0.15)
      const steps = [
        step(0, () => {
          state.grants.set(user.user_identity_id, grant)
          return fleetEvent('access_grant.created', { access_grant_id: grant.access_grant_id })
        }),
        step(seconds(random, 1, 5), () => fleetEvent('access_method.created', method)),
        ...(card ? [step(seconds(random, 1, 10), () => fleetEvent('access_method.card_encoding_required', method))] : []),
        step(card ? minutes(random, 1, 15) : seconds(random, 2, 30), () =>
          fleetEvent('access_method.issued', card ? method : { ...method, code: accessCode(random).code, is_backup_code: false }),
        ),
        ...(allDoors
          ? [step(seconds(random, 1, 10), () => fleetEvent('access_grant.access_granted_to_all_doors', { access_grant_id: grant.access_grant_id }))]
          : doors.map((acs_entrance_id) =>
              step(seconds(random, 1, 10), () =>
                fleetEvent('access_grant.access_granted_to_door', { access_grant_id: grant.access_grant_id, acs_entrance_id }),
              ),
            )),
      ]
      if (random.chance(0.3)) {
        steps.push(
          step(minutes(random, 1, 10), (at) =>
            fleetEvent('access_grant.access_times_changed', {
              access_grant_id: grant.access_grant_id,
              access_grant_key,
              starts_at: new Date(at + 60 * minute).toISOString(),
              ends_at: new Date(at + 4 * 24 * 60 * minute).toISOString(),
            }),
          ),
        )
      }
      return { subjects: [user.user_identity_id], steps }
    },
  },
  {
    name: 'an access grant ending: doors lost, its access method revoked and deleted',
    eventTypes: ['access_grant.access_to_door_lost', 'access_method.revoked', 'access_method.deleted', 'access_grant.deleted'],
    weight: (fleet) => 0.8 * fleet.acsSystem.users.length,
    begin(context) {
      const { random, state, fleet } = context
      const user = freeOf(context, fleet.acsSystem.users, (candidate) => candidate.user_identity_id, (candidate) => state.grants.has(candidate.user_identity_id))
      if (user === undefined) return undefined
      const grant = state.grants.get(user.user_identity_id) as Grant
      const method = { access_method_id: grant.access_method_id, access_grant_ids: [grant.access_grant_id] }
      return {
        subjects: [user.user_identity_id],
        steps: [
          ...grant.acs_entrance_ids.map((acs_entrance_id, index) =>
            step(index === 0 ? 0 : seconds(random, 0, 5), () =>
              fleetEvent('access_grant.access_to_door_lost', { access_grant_id: grant.access_grant_id, acs_entrance_id }),
            ),
          ),
          step(seconds(random, 1, 10), () => fleetEvent('access_method.revoked', method)),
          step(seconds(random, 1, 10), () => fleetEvent('access_method.deleted', method)),
          step(seconds(random, 1, 10), () => {
            state.grants.delete(user.user_identity_id)
            return fleetEvent('access_grant.deleted', { access_grant_id: grant.access_grant_id })
          }),
        ],
      }
    },
  },
  {
    name: 'an access method slow to issue, reissued, or failing',
    eventTypes: [
      'access_grant.created',
      'access_method.created',
      'access_method.delay_in_issuing',
      'access_method.issued',
      'access_method.reissued',
      'access_method.failed_to_issue',
      'access_grant.could_not_create_requested_access_methods',
      'access_grant.deleted',
    ],
    weight: (fleet) => 0.2 * fleet.acsSystem.users.length,
    begin(context) {
      const { random, state, fleet } = context
      const user = freeOf(context, fleet.acsSystem.users, (candidate) => candidate.user_identity_id, (candidate) => !state.grants.has(candidate.user_identity_id))
      if (user === undefined) return undefined
      const access_grant_id = random.uuid()
      const method = { access_method_id: random.uuid(), access_grant_ids: [access_grant_id] }
      const fails = random.chance(0.4)
      const lock = fleet.locks.length > 0 ? random.pick(fleet.locks) : undefined
      return {
        subjects: [user.user_identity_id],
        steps: [
          step(0, () => fleetEvent('access_grant.created', { access_grant_id })),
          step(seconds(random, 1, 5), () => fleetEvent('access_method.created', method)),
          step(minutes(random, 1, 5), () => fleetEvent('access_method.delay_in_issuing', method)),
          ...(fails
            ? [
                step(minutes(random, 5, 15), () => fleetEvent('access_method.failed_to_issue', method)),
                step(seconds(random, 1, 5), () =>
                  fleetEvent('access_grant.could_not_create_requested_access_methods', {
                    access_grant_id,
                    error_message: 'The lock could not be reached to set the access code',
                    missing_device_ids: lock === undefined ? [] : [lock.device_id],
                  }),
                ),
                step(minutes(random, 1, 5), () => fleetEvent('access_grant.deleted', { access_grant_id })),
              ]
            : [
                step(minutes(random, 1, 10), () => fleetEvent('access_method.issued', { ...method, code: accessCode(random).code, is_backup_code: false })),
                step(minutes(random, 1, 10), () => fleetEvent('access_method.reissued', { ...method, code: accessCode(random).code, is_backup_code: false })),
                step(seconds(random, 1, 5), () => fleetEvent('access_grant.deleted', { access_grant_id })),
              ]),
        ],
      }
    },
  },
]

const accountStories: Story[] = [
  {
    name: 'an account disconnected, reauthorized through a Connect Webview, synced again',
    eventTypes: [
      'connected_account.disconnected',
      'connected_account.reauthorization_requested',
      'connect_webview.login_failed',
      'connect_webview.login_succeeded',
      'connected_account.connected',
      'connected_account.completed_first_sync_after_reconnection',
    ],
    weight: (fleet) => 0.6 * fleet.accounts.length,
    begin(context) {
      const { random, fleet } = context
      const account = freeOf(context, fleet.accounts, (candidate) => candidate.connected_account_id)
      if (account === undefined) return undefined
      const ids = { connected_account_id: account.connected_account_id }
      const webview = random.uuid()
      return {
        subjects: [account.connected_account_id],
        steps: [
          step(0, () => fleetEvent('connected_account.disconnected', ids)),
          step(seconds(random, 1, 10), () => fleetEvent('connected_account.reauthorization_requested', ids)),
          ...(random.chance(0.4)
            ? [step(minutes(random, 5, 60), () => fleetEvent('connect_webview.login_failed', { connect_webview_id: webview }))]
            : []),
          step(minutes(random, 5, 60), () =>
            fleetEvent('connect_webview.login_succeeded', { ...ids, connect_webview_id: webview, customer_key: account.customer_key }),
          ),
          step(seconds(random, 1, 5), () =>
            fleetEvent('connected_account.connected', { ...ids, connect_webview_id: webview, customer_key: account.customer_key }),
          ),
          step(minutes(random, 1, 5), () => fleetEvent('connected_account.completed_first_sync_after_reconnection', ids)),
        ],
      }
    },
  },
]

/** The types that the stories above tell; the catalog's tail takes every other one. */
const toldTypes = new Set(
  [...lockStories, ...deviceStories, ...climateStories, ...sensorStories, ...accessSystemStories, ...accessGrantStories, ...accountStories].flatMap(
    (story) => story.eventTypes,
  ),
)
export const untoldEventTypes: readonly string[] = catalogEventTypes.filter((type) => !toldTypes.has(type))

/**
 * Ids from the fleet for an event of any type: each field the type has, from the first subject
 * that fits (a lock for device events, the access system's ids for acs_* events...). Fields
 * the fleet has no value for keep the catalog's sample (fleetEvent).
 */
export function fleetIdsFor(eventType: string, fleet: Fleet, random: SeededRandom): Record<string, unknown> {
  const fields = eventFieldsOf(eventType)
  const family = eventType.split('.')[0] as string
  const device =
    family === 'thermostat'
      ? fleet.thermostats[0]
      : family === 'noise_sensor'
        ? fleet.noiseSensors[0]
        : family === 'camera'
          ? fleet.cameras[0]
          : undefined
  const subject: FleetDevice = device ?? random.pick(fleet.locks.length > 0 ? fleet.locks : fleet.devices)
  const lock = fleet.locks.find((candidate) => candidate.device_id === subject.device_id)
  const code = lock?.access_codes[0]
  const user = random.pick(fleet.acsSystem.users)
  const space = random.pick(fleet.spaces)
  const account = fleet.accounts.find((candidate) => candidate.connected_account_id === subject.connected_account_id)
  const acsFamily = family.startsWith('acs_')
  const values: Record<string, unknown> = {
    device_id: family === 'phone' ? user.phone_device_id : subject.device_id,
    connected_account_id: acsFamily ? fleet.acsSystem.connected_account_id : subject.connected_account_id,
    customer_key: account?.customer_key,
    access_code_id: code?.access_code_id,
    acs_system_id: fleet.acsSystem.acs_system_id,
    acs_user_id: user.acs_user_id,
    acs_credential_id: user.acs_credential_id,
    acs_entrance_id: random.pick(fleet.acsSystem.acs_entrance_ids),
    acs_encoder_id: random.pick(fleet.acsSystem.acs_encoder_ids),
    acs_access_group_id: random.pick(fleet.acsSystem.acs_access_group_ids),
    user_identity_id: user.user_identity_id,
    space_id: space.space_id,
    space_key: space.space_key,
    device_ids: space.device_ids,
    acs_entrance_ids: space.acs_entrance_ids,
    connect_webview_id: account?.connect_webview_id,
    client_session_id: random.pick(fleet.client_session_ids),
    enrollment_automation_id: random.pick(fleet.enrollment_automation_ids),
    access_grant_id: random.uuid(),
    access_method_id: random.uuid(),
    access_grant_ids: [random.uuid()],
    action_attempt_id: random.uuid(),
  }
  // Only what the type has, and of its optional ids only those that place it in the fleet (and
  // a lock event's code: the catalog's example of one is an unlock with a code).
  const placing = new Set(['device_id', 'connected_account_id', 'customer_key', ...(family === 'lock' ? ['access_code_id'] : [])])
  const required = new Set(Object.keys(fleetEvent(eventType, {})))
  return Object.fromEntries(
    Object.entries(values).filter(
      ([field, value]) => value !== undefined && fields.has(field) && (required.has(field) || placing.has(field)),
    ),
  )
}

/**
 * The catalog's tail: one event of a type no other story tells (a device removed, an encoder
 * added, a client session deleted), the types taken in turn so that each comes up.
 */
const catalogTail: Story = {
  name: 'a rarer event of the catalog',
  eventTypes: untoldEventTypes,
  weight: (fleet) => 0.04 * fleet.devices.length * untoldEventTypes.length,
  begin(context) {
    if (untoldEventTypes.length === 0) return undefined
    const eventType = untoldEventTypes[context.state.nextTailIndex++ % untoldEventTypes.length] as string
    const fields = fleetIdsFor(eventType, context.fleet, context.random)
    return { subjects: [], steps: [step(0, () => fleetEvent(eventType, fields))] }
  },
}

export const fleetStories: readonly Story[] = [
  ...lockStories,
  ...deviceStories,
  ...climateStories,
  ...sensorStories,
  ...accessSystemStories,
  ...accessGrantStories,
  ...accountStories,
  catalogTail,
]

function unlockedWithCode(lock: FleetLock, code: FleetAccessCode): Record<string, unknown> {
  return fleetEvent('lock.unlocked', {
    ...deviceFields(lock),
    method: 'keycode',
    access_code_id: code.access_code_id,
    access_code_is_managed: true,
  })
}

function temperatureChanged(thermostat: FleetThermostat, celsius: number): Record<string, unknown> {
  return fleetEvent('thermostat.temperature_changed', {
    ...deviceFields(thermostat),
    temperature_celsius: celsius,
    temperature_fahrenheit: fahrenheit(celsius),
  })
}

function acsFields(fleet: Fleet, ids: Record<string, string>): Record<string, string> {
  return { connected_account_id: fleet.acsSystem.connected_account_id, acs_system_id: fleet.acsSystem.acs_system_id, ...ids }
}

/** An entrance unlocked by an access-system user: no device id, the entrance and user instead. */
function acsEntry(fleet: Fleet, user: FleetAcsUser, acs_entrance_id: string, phone: boolean): Record<string, unknown> {
  return fleetEvent('lock.unlocked', {
    connected_account_id: fleet.acsSystem.connected_account_id,
    method: 'card',
    acs_system_id: fleet.acsSystem.acs_system_id,
    acs_user_id: user.acs_user_id,
    acs_entrance_id,
    user_identity_id: user.user_identity_id,
    is_via_bluetooth: phone ? true : undefined,
    is_via_nfc: phone ? undefined : true,
  })
}

function replaceCode(codes: FleetAccessCode[], code: FleetAccessCode): void {
  const index = codes.findIndex((candidate) => candidate.access_code_id === code.access_code_id)
  if (index >= 0) codes[index] = code
}

function removeCode(codes: FleetAccessCode[], code: FleetAccessCode): void {
  const index = codes.findIndex((candidate) => candidate.access_code_id === code.access_code_id)
  if (index >= 0) codes.splice(index, 1)
}
