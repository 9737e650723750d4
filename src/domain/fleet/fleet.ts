// A consistent fleet of one workspace, made from a seed: the connected accounts that own its
// devices, the locks with their access codes, thermostats, noise sensors and cameras, an access
// system with its entrances, users and credentials, the user identities with access grants, and
// the spaces that group them. Only who exists and how they relate: what happens to them over
// time (codes set, doors unlocked) is the event generator's state (fleet-events.ts), so that two
// generators over one fleet do not disturb each other.

import { SeededRandom } from './seeded-random.ts'

export type DeviceKind = 'lock' | 'thermostat' | 'noise_sensor' | 'camera'

export interface FleetAccount {
  connected_account_id: string
  /** The Connect Webview the account was connected through. */
  connect_webview_id: string
  customer_key: string
}

export interface FleetDevice {
  device_id: string
  kind: DeviceKind
  name: string
  connected_account_id: string
  customer_key: string
}

export interface FleetAccessCode {
  access_code_id: string
  name: string
  code: string
}

export interface FleetLock extends FleetDevice {
  kind: 'lock'
  /** The codes set on the lock when the fleet starts. */
  access_codes: readonly FleetAccessCode[]
}

export interface FleetThermostat extends FleetDevice {
  kind: 'thermostat'
  thermostat_schedule_id: string
}

export interface FleetNoiseSensor extends FleetDevice {
  kind: 'noise_sensor'
  noise_thresholds: readonly { noise_threshold_id: string; noise_threshold_name: string; decibels: number }[]
}

export interface FleetAcsUser {
  acs_user_id: string
  user_identity_id: string
  /** The phone of the user's mobile key. */
  phone_device_id: string
  /** The user's credential when the fleet starts. */
  acs_credential_id: string
}

export interface FleetAcsSystem {
  acs_system_id: string
  /** The account the access system is connected through (not one of the devices' accounts). */
  connected_account_id: string
  acs_entrance_ids: readonly string[]
  acs_access_group_ids: readonly string[]
  acs_encoder_ids: readonly string[]
  users: readonly FleetAcsUser[]
}

export interface FleetSpace {
  space_id: string
  space_key: string
  device_ids: readonly string[]
  acs_entrance_ids: readonly string[]
}

export interface Fleet {
  seed: number
  /** The devices' accounts, then the access system's. */
  accounts: readonly FleetAccount[]
  devices: readonly FleetDevice[]
  locks: readonly FleetLock[]
  thermostats: readonly FleetThermostat[]
  noiseSensors: readonly FleetNoiseSensor[]
  cameras: readonly FleetDevice[]
  acsSystem: FleetAcsSystem
  spaces: readonly FleetSpace[]
  client_session_ids: readonly string[]
  enrollment_automation_ids: readonly string[]
}

export interface FleetOptions {
  seed: number
  /** Locks, thermostats, noise sensors and cameras together; at least 1. */
  devices: number
}

export const maxFleetDevices = 100_000

/**
 * Of every ten devices: six locks, two thermostats, a noise sensor and a camera (a doorbell),
 * about the mix of a short-term rental or office portfolio. A small fleet gets a lock first.
 */
const kindPattern: readonly DeviceKind[] = [
  'lock',
  'thermostat',
  'lock',
  'noise_sensor',
  'lock',
  'camera',
  'lock',
  'thermostat',
  'lock',
  'lock',
]

const lockModels = ['Front door', 'Back door', 'Garage', 'Unit', 'Side gate', 'Storage']
const codeNames = ['Cleaner', 'Owner', 'Guest', 'Maintenance', 'Dog walker', 'Backup']
const thresholdNames = ['Quiet hours', 'Daytime', 'Party alert']

export function createFleet({ seed, devices: deviceCount }: FleetOptions): Fleet {
  if (!Number.isInteger(deviceCount) || deviceCount < 1 || deviceCount > maxFleetDevices) {
    throw new RangeError(`a fleet has 1 to ${maxFleetDevices} devices; got ${deviceCount}`)
  }
  const random = new SeededRandom(`${seed}:fleet`)
  const account = (index: number): FleetAccount => ({
    connected_account_id: random.uuid(),
    connect_webview_id: random.uuid(),
    customer_key: `customer_${index + 1}`,
  })
  // About eight devices per account: one per property manager or building.
  const deviceAccounts = Array.from({ length: Math.ceil(deviceCount / 8) }, (_, index) => account(index))
  const acsAccount = account(deviceAccounts.length)

  const locks: FleetLock[] = []
  const thermostats: FleetThermostat[] = []
  const noiseSensors: FleetNoiseSensor[] = []
  const cameras: FleetDevice[] = []
  const devices: FleetDevice[] = []
  for (let index = 0; index < deviceCount; index++) {
    const owner = deviceAccounts[index % deviceAccounts.length] as FleetAccount
    const kind = kindPattern[index % kindPattern.length] as DeviceKind
    const base = {
      device_id: random.uuid(),
      connected_account_id: owner.connected_account_id,
      customer_key: owner.customer_key,
    }
    const number = index + 1
    let device: FleetDevice
    if (kind === 'lock') {
      const lock: FleetLock = {
        ...base,
        kind,
        name: `${random.pick(lockModels)} ${number}`,
        access_codes: Array.from({ length: random.int(1, 3) }, () => accessCode(random)),
      }
      locks.push(lock)
      device = lock
    } else if (kind === 'thermostat') {
      const thermostat: FleetThermostat = {
        ...base,
        kind,
        name: `Thermostat ${number}`,
        thermostat_schedule_id: random.uuid(),
      }
      thermostats.push(thermostat)
      device = thermostat
    } else if (kind === 'noise_sensor') {
      const sensor: FleetNoiseSensor = {
        ...base,
        kind,
        name: `Noise sensor ${number}`,
        noise_thresholds: thresholdNames.slice(0, 2).map((noise_threshold_name, position) => ({
          noise_threshold_id: random.uuid(),
          noise_threshold_name,
          decibels: position === 0 ? 60 : 75,
        })),
      }
      noiseSensors.push(sensor)
      device = sensor
    } else {
      device = { ...base, kind, name: `Doorbell ${number}` }
      cameras.push(device)
    }
    devices.push(device)
  }

  // One access system (a building's), with an entrance per four devices and a user per two.
  const userCount = Math.max(3, Math.ceil(deviceCount / 2))
  const acsSystem: FleetAcsSystem = {
    acs_system_id: random.uuid(),
    connected_account_id: acsAccount.connected_account_id,
    acs_entrance_ids: Array.from({ length: Math.max(2, Math.ceil(deviceCount / 4)) }, () => random.uuid()),
    acs_access_group_ids: Array.from({ length: 3 }, () => random.uuid()),
    acs_encoder_ids: Array.from({ length: 2 }, () => random.uuid()),
    users: Array.from({ length: userCount }, () => ({
      acs_user_id: random.uuid(),
      user_identity_id: random.uuid(),
      phone_device_id: random.uuid(),
      acs_credential_id: random.uuid(),
    })),
  }

  // Spaces: a property each of about ten devices, with a share of the entrances.
  const spaceCount = Math.max(1, Math.ceil(deviceCount / 10))
  const spaces: FleetSpace[] = Array.from({ length: spaceCount }, (_, index) => ({
    space_id: random.uuid(),
    space_key: `property_${index + 1}`,
    device_ids: devices.filter((_, position) => position % spaceCount === index).map((device) => device.device_id),
    acs_entrance_ids: acsSystem.acs_entrance_ids.filter((_, position) => position % spaceCount === index),
  }))

  return deepFreeze({
    seed,
    accounts: [...deviceAccounts, acsAccount],
    devices,
    locks,
    thermostats,
    noiseSensors,
    cameras,
    acsSystem,
    spaces,
    client_session_ids: Array.from({ length: 3 }, () => random.uuid()),
    enrollment_automation_ids: Array.from({ length: 2 }, () => random.uuid()),
  })
}

/** A new access code: a name such as "Guest 4821" and a 4 to 6 digit code. */
export function accessCode(random: SeededRandom): FleetAccessCode {
  const code = String(random.int(0, 10 ** random.int(4, 6) - 1)).padStart(4, '0')
  return { access_code_id: random.uuid(), name: `${random.pick(codeNames)} ${random.int(100, 9999)}`, code }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.values(value).forEach(deepFreeze)
    Object.freeze(value)
  }
  return value
}
