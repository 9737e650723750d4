// The `event_description` the server fills in when a producer leaves it out: one short sentence per
// event type, in the style of Seam's own events ("The lock was unlocked with an access code.").
// Descriptions are read by people scanning a list of events, so they use payload fields that say
// what happened (method, battery level, temperature) and leave out ids, which the payload already
// carries. They never include `code`: an access code's PIN is a secret, and descriptions get shown
// and logged in places that the code itself would not be.

import type { SeamEvent } from '@seamapi/types/connect'

type EventFields = Readonly<Record<string, unknown>>
type Describer = (event: EventFields) => string

// Keyed by Seam's own union, so that a type added by an upgrade of @seamapi/types fails `tsc`
// until it has a sentence here.
type SeamEventType = SeamEvent['event_type']

const genericDescription = 'An event occurred.'

// Free text from a producer (device names, error messages) is kept short so that one field cannot
// turn the sentence into a paragraph.
const maxQuotedTextLength = 60
const maxErrorTextLength = 120

// ---------------------------------------------------------------------------------------------
// Reading payload fields: every reader tolerates a missing field or a value of the wrong type,
// because producers of unknown types (and bugs) can send anything.

function stringField(event: EventFields, field: string): string | undefined {
  const value = event[field]
  return typeof value === 'string' ? value : undefined
}

function numberField(event: EventFields, field: string): number | undefined {
  const value = event[field]
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined
}

/** A snake_case value such as an enum member or error code; anything else is not worth echoing. */
function codeField(event: EventFields, field: string): string | undefined {
  return asCode(event[field])
}

/** Plain-object tables inherit `constructor`, `toString` and the like, which are not phrases. */
function phraseFor(
  phrases: Readonly<Record<string, string>>,
  key: string | undefined,
): string | undefined {
  return key !== undefined && Object.hasOwn(phrases, key) ? phrases[key] : undefined
}

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function asCode(value: unknown): string | undefined {
  return typeof value === 'string' && /^[a-z0-9_]{1,60}$/.test(value) ? value : undefined
}

// ---------------------------------------------------------------------------------------------
// Formatting.

function humanize(code: string): string {
  return code.replace(/[._]+/g, ' ').trim()
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}

/** Collapses whitespace and control characters and truncates, so the text stays on one short line. */
function shortText(value: string | undefined, maxLength: number): string | undefined {
  if (value === undefined) return undefined
  const singleLine = value.replace(/[\s\u0000-\u001f\u007f]+/g, ' ').trim()
  if (singleLine === '') return undefined
  if (singleLine.length <= maxLength) return singleLine
  return `${singleLine.slice(0, maxLength - 1).trimEnd()}…`
}

function quoted(value: string | undefined): string | undefined {
  const text = shortText(value, maxQuotedTextLength)
  return text === undefined ? undefined : `"${text}"`
}

/** Text that will be followed by the sentence's own period, so its final punctuation goes. */
function withoutFinalPunctuation(text: string): string {
  return text.replace(/[.!?;:,\s]+$/, '')
}

function formatPercentage(fraction: number | undefined): string | undefined {
  if (fraction === undefined || fraction < 0 || fraction > 1) return undefined
  return `${Math.round(fraction * 100)}%`
}

function formatNumber(value: number): string {
  // One decimal is what thermostats and noise sensors report; `+ 0` turns -0 into 0.
  return String(Math.round(value * 10) / 10 + 0)
}

/** Celsius is what the server reports; Fahrenheit only stands in when a producer sent nothing else. */
function temperatureField(event: EventFields, prefix: string): string | undefined {
  const celsius = numberField(event, `${prefix}_celsius`)
  if (celsius !== undefined) return `${formatNumber(celsius)} °C`
  const fahrenheit = numberField(event, `${prefix}_fahrenheit`)
  if (fahrenheit !== undefined) return `${formatNumber(fahrenheit)} °F`
  return undefined
}

function formatTimestamp(value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  const time = Date.parse(value)
  if (Number.isNaN(time)) return undefined
  // Minutes are the precision access schedules are set in; seconds would only add noise.
  return `${new Date(time).toISOString().slice(0, 16).replace('T', ' ')} UTC`
}

function withDetails(sentence: string, details: ReadonlyArray<string | undefined>): string {
  const present = details.filter((detail) => detail !== undefined)
  return present.length === 0 ? `${sentence}.` : `${sentence} (${present.join(', ')}).`
}

// ---------------------------------------------------------------------------------------------
// Sentences shared by several types.

const lockMethodPhrases: Readonly<Record<string, string>> = {
  keycode: ' with an access code',
  manual: ' manually',
  automatic: ' automatically',
  remote: ' remotely',
  card: ' with a card',
  // Dropped from Seam's schema, but events stored before that may carry it.
  seamapi: ' through Seam',
}

function describeLockAction(action: 'locked' | 'unlocked'): Describer {
  return (event) => {
    // 'unknown' (and anything newer) says nothing about how, so the sentence doesn't either.
    const phrase = phraseFor(lockMethodPhrases, codeField(event, 'method')) ?? ''
    return `The lock was ${action}${phrase}.`
  }
}

const disconnectionReasons: Readonly<Record<string, string>> = {
  account_disconnected: ' because its connected account was disconnected',
  hub_disconnected: ' because its hub was disconnected',
  device_disconnected: '',
}

function describeDeviceDisconnection(subject: string): Describer {
  return (event) => {
    const errorCode = codeField(event, 'error_code')
    if (errorCode === undefined) return `${subject} went offline.`
    const reason = phraseFor(disconnectionReasons, errorCode)
    if (reason !== undefined) return `${subject} went offline${reason}.`
    return `${subject} went offline (${humanize(errorCode)}).`
  }
}

function describeAccessMethodIssue(action: 'issued' | 'reissued'): Describer {
  return (event) =>
    event['is_backup_code'] === true
      ? `The access method was ${action} with a backup access code.`
      : `The access method was ${action}.`
}

function describeThresholdCrossing(event: EventFields): string {
  const temperature = temperatureField(event, 'temperature')
  const celsius = numberField(event, 'temperature_celsius')
  const upperLimit = numberField(event, 'upper_limit_celsius')
  const lowerLimit = numberField(event, 'lower_limit_celsius')
  if (temperature === undefined) return 'The thermostat temperature went outside its set limits.'
  if (celsius !== undefined && upperLimit !== undefined && celsius > upperLimit) {
    const limit = `${formatNumber(upperLimit)} °C`
    return `The thermostat temperature of ${temperature} went above the upper limit of ${limit}.`
  }
  if (celsius !== undefined && lowerLimit !== undefined && celsius < lowerLimit) {
    const limit = `${formatNumber(lowerLimit)} °C`
    return `The thermostat temperature of ${temperature} went below the lower limit of ${limit}.`
  }
  return `The thermostat temperature of ${temperature} went outside its set limits.`
}

const hvacModeNames: Readonly<Record<string, string>> = {
  off: 'off',
  heat: 'heat mode',
  cool: 'cool mode',
  heat_cool: 'heat and cool mode',
  eco: 'eco mode',
}

function describeManualThermostatAdjustment(event: EventFields): string {
  const method = codeField(event, 'method')
  const by = method === 'seam' ? ' through Seam' : method === 'external' ? ' outside of Seam' : ''
  const hvacMode = codeField(event, 'hvac_mode_setting')
  const fanMode = codeField(event, 'fan_mode_setting')
  const heatingSetPoint = temperatureField(event, 'heating_set_point')
  const coolingSetPoint = temperatureField(event, 'cooling_set_point')
  return withDetails(`The thermostat was adjusted manually${by}`, [
    hvacMode === undefined
      ? undefined
      : (phraseFor(hvacModeNames, hvacMode) ?? `${humanize(hvacMode)} mode`),
    heatingSetPoint === undefined ? undefined : `heating to ${heatingSetPoint}`,
    coolingSetPoint === undefined ? undefined : `cooling to ${coolingSetPoint}`,
    fanMode === undefined ? undefined : `fan ${humanize(fanMode)}`,
  ])
}

function describeConnectedAccountDisconnection(event: EventFields): string {
  const errors: unknown = event['connected_account_errors']
  const errorCodes = new Set<string>()
  for (const error of Array.isArray(errors) ? errors : []) {
    const errorCode = isRecord(error) ? asCode(error['error_code']) : undefined
    if (errorCode !== undefined) errorCodes.add(errorCode)
  }
  if (errorCodes.size === 0) return 'The connected account was disconnected.'
  // A few reasons tell the reader what to fix; a long list would bury the sentence.
  const reasons = [...errorCodes].slice(0, 3).map(humanize)
  return `The connected account was disconnected: ${reasons.join(', ')}.`
}

// ---------------------------------------------------------------------------------------------
// One sentence per Seam event type.

export const describerByEventType: Readonly<Record<SeamEventType, Describer>> = {
  'access_code.created': () => 'An access code was created.',
  'access_code.changed': () => 'The access code was changed.',
  'access_code.name_changed': (event) => {
    const to = event['to']
    const name = quoted(isRecord(to) ? (typeof to['name'] === 'string' ? to['name'] : undefined) : undefined)
    return name === undefined ? 'The access code was renamed.' : `The access code was renamed to ${name}.`
  },
  // Never the code itself (see the top of this file): only that it changed.
  'access_code.code_changed': () => 'The code of the access code was changed.',
  'access_code.time_frame_changed': (event) => {
    const to = event['to']
    const startsAt = formatTimestamp(isRecord(to) && typeof to['starts_at'] === 'string' ? to['starts_at'] : undefined)
    const endsAt = formatTimestamp(isRecord(to) && typeof to['ends_at'] === 'string' ? to['ends_at'] : undefined)
    return withDetails("The access code's start or end time changed", [
      startsAt === undefined ? undefined : `now starts ${startsAt}`,
      endsAt === undefined ? undefined : `ends ${endsAt}`,
    ])
  },
  'access_code.mutations_requested': () => 'Changes to the access code were requested from the device.',
  'access_code.scheduled_on_device': () => 'The access code was scheduled on the device.',
  'access_code.set_on_device': () => 'The access code was set on the device.',
  'access_code.removed_from_device': () => 'The access code was removed from the device.',
  'access_code.delay_in_setting_on_device': () =>
    'Setting the access code on the device is taking longer than usual.',
  'access_code.failed_to_set_on_device': () => 'The access code could not be set on the device.',
  'access_code.deleted': () => 'The access code was deleted.',
  'access_code.delay_in_removing_from_device': () =>
    'Removing the access code from the device is taking longer than usual.',
  'access_code.failed_to_remove_from_device': () => 'The access code could not be removed from the device.',
  'access_code.modified_external_to_seam': () => 'The access code was modified outside of Seam.',
  'access_code.deleted_external_to_seam': () => 'The access code was deleted outside of Seam.',
  'access_code.backup_access_code_pulled': () => 'A backup access code was pulled from the backup pool.',
  'access_code.unmanaged.converted_to_managed': () =>
    'The unmanaged access code was converted to a managed access code.',
  'access_code.unmanaged.failed_to_convert_to_managed': () =>
    'The unmanaged access code could not be converted to a managed access code.',
  'access_code.unmanaged.created': () => 'An unmanaged access code was created on the device.',
  'access_code.unmanaged.removed': () => 'An unmanaged access code was removed from the device.',

  'access_grant.created': () => 'An access grant was created.',
  'access_grant.deleted': () => 'The access grant was deleted.',
  'access_grant.access_granted_to_all_doors': () => 'All access requested by the access grant was granted.',
  'access_grant.access_granted_to_door': () => 'The access grant was given access to a door.',
  'access_grant.access_to_door_lost': () => 'The access grant lost access to a door.',
  'access_grant.access_times_changed': (event) => {
    const startsAt = formatTimestamp(stringField(event, 'starts_at'))
    const endsAt = formatTimestamp(stringField(event, 'ends_at'))
    return withDetails("The access grant's start or end time changed", [
      startsAt === undefined ? undefined : `now starts ${startsAt}`,
      endsAt === undefined ? undefined : `ends ${endsAt}`,
    ])
  },
  'access_grant.could_not_create_requested_access_methods': (event) => {
    const errorMessage = shortText(stringField(event, 'error_message'), maxErrorTextLength)
    const reason = errorMessage === undefined ? '' : withoutFinalPunctuation(errorMessage)
    return reason === ''
      ? 'Some access methods requested by the access grant could not be created.'
      : `Some access methods requested by the access grant could not be created: ${reason}.`
  },

  'access_method.issued': describeAccessMethodIssue('issued'),
  'access_method.revoked': () => 'The access method was revoked.',
  'access_method.card_encoding_required': () => "The access method's card needs to be encoded.",
  'access_method.deleted': () => 'The access method was deleted.',
  'access_method.reissued': describeAccessMethodIssue('reissued'),
  'access_method.created': () => 'An access method was created.',
  'access_method.delay_in_issuing': () => 'Issuing the access method is taking longer than usual.',
  'access_method.failed_to_issue': () => 'The access method could not be issued.',

  'acs_system.connected': () => 'The access system was connected.',
  'acs_system.added': () => 'An access system was added.',
  'acs_system.disconnected': () => 'The access system was disconnected.',
  'acs_credential.deleted': () => 'The access system credential was deleted.',
  'acs_credential.issued': () => 'The access system credential was issued.',
  'acs_credential.reissued': () => 'The access system credential was reissued.',
  'acs_credential.invalidated': () =>
    'The access system credential was invalidated and can no longer be used.',
  'acs_user.created': () => 'An access system user was created.',
  'acs_user.deleted': () => 'The access system user was deleted.',
  'acs_encoder.added': () => 'A card encoder was added to the access system.',
  'acs_encoder.removed': () => 'The card encoder was removed from the access system.',
  'acs_access_group.deleted': () => 'The access group was deleted.',
  'acs_entrance.added': () => 'An entrance was added to the access system.',
  'acs_entrance.removed': () => 'The entrance was removed from the access system.',

  'client_session.deleted': () => 'The client session was deleted.',

  'connected_account.connected': () => 'The connected account was connected.',
  'connected_account.created': () => 'A connected account was created.',
  'connected_account.successful_login': () => 'The connected account logged in successfully.',
  'connected_account.disconnected': describeConnectedAccountDisconnection,
  'connected_account.completed_first_sync': () => 'The connected account finished its first sync.',
  'connected_account.deleted': () => 'The connected account was deleted.',
  'connected_account.completed_first_sync_after_reconnection': () =>
    'The connected account finished its first sync after reconnecting.',
  'connected_account.reauthorization_requested': () => 'The connected account needs to be reauthorized.',

  'action_attempt.lock_door.succeeded': () => 'The request to lock the door succeeded.',
  'action_attempt.lock_door.failed': () => 'The request to lock the door failed.',
  'action_attempt.unlock_door.succeeded': () => 'The request to unlock the door succeeded.',
  'action_attempt.unlock_door.failed': () => 'The request to unlock the door failed.',
  'action_attempt.simulate_keypad_code_entry.succeeded': () =>
    'The simulated entry of a code on the keypad succeeded.',
  'action_attempt.simulate_keypad_code_entry.failed': () =>
    'The simulated entry of a code on the keypad failed.',
  'action_attempt.simulate_manual_lock_via_keypad.succeeded': () =>
    'The simulated manual lock from the keypad succeeded.',
  'action_attempt.simulate_manual_lock_via_keypad.failed': () =>
    'The simulated manual lock from the keypad failed.',

  'connect_webview.login_succeeded': () => 'A login through the Connect Webview succeeded.',
  'connect_webview.login_failed': () => 'A login through the Connect Webview failed.',

  'device.connected': () => 'The device came online.',
  'device.added': () => 'A device was added.',
  'device.converted_to_unmanaged': () => 'The device was converted to an unmanaged device.',
  'device.unmanaged.converted_to_managed': () => 'The unmanaged device was converted to a managed device.',
  'device.unmanaged.connected': () => 'The unmanaged device came online.',
  'device.disconnected': describeDeviceDisconnection('The device'),
  'device.unmanaged.disconnected': describeDeviceDisconnection('The unmanaged device'),
  'device.tampered': () => 'The device was tampered with.',
  'device.low_battery': (event) =>
    withDetails('The device battery is low', [formatPercentage(numberField(event, 'battery_level'))]),
  'device.battery_status_changed': (event) => {
    const status = codeField(event, 'battery_status')
    const level = formatPercentage(numberField(event, 'battery_level'))
    const sentence =
      status === undefined
        ? 'The device battery status changed'
        : `The device battery status changed to ${humanize(status)}`
    return withDetails(sentence, [level])
  },
  'device.removed': () => 'The device was removed from its connected account outside of Seam.',
  'device.deleted': () => 'The device was deleted.',
  'device.third_party_integration_detected': () =>
    'A third-party integration that interferes with Seam was detected on the device.',
  'device.third_party_integration_no_longer_detected': () =>
    'The interfering third-party integration is no longer detected on the device.',
  'device.salto.privacy_mode_activated': () => 'Privacy mode was turned on for the Salto lock.',
  'device.salto.privacy_mode_deactivated': () => 'Privacy mode was turned off for the Salto lock.',
  'device.connection_became_flaky': () => 'The device connection became unstable.',
  'device.connection_stabilized': () => 'The device connection is stable again.',
  'device.error.subscription_required': () =>
    'The device needs a third-party subscription to use all of its features.',
  'device.error.subscription_required.resolved': () =>
    'The device no longer needs a third-party subscription to use all of its features.',
  'device.accessory_keypad_connected': () => 'An accessory keypad was connected to the device.',
  'device.accessory_keypad_disconnected': () => 'The accessory keypad was disconnected from the device.',
  'device.doorbell_rang': () => 'The doorbell rang.',
  'device.name_changed': (event) => {
    const name = quoted(stringField(event, 'device_name'))
    return name === undefined ? 'The device was renamed.' : `The device was renamed to ${name}.`
  },

  'noise_sensor.noise_threshold_triggered': (event) => {
    const thresholdName = quoted(stringField(event, 'noise_threshold_name'))
    const decibels = numberField(event, 'noise_level_decibels')
    const threshold =
      thresholdName === undefined ? 'a noise threshold' : `the noise threshold ${thresholdName}`
    return withDetails(`The noise sensor detected noise over ${threshold}`, [
      decibels === undefined ? undefined : `${formatNumber(decibels)} dB`,
    ])
  },

  'lock.locked': describeLockAction('locked'),
  'lock.unlocked': describeLockAction('unlocked'),
  'lock.access_denied': (event) =>
    stringField(event, 'access_code_id') === undefined
      ? 'The lock denied access after invalid unlock attempts.'
      : 'The lock denied access to an access code.',

  'thermostat.climate_preset_activated': (event) => {
    const preset = quoted(stringField(event, 'climate_preset_key'))
    const kind = event['is_fallback_climate_preset'] === true ? 'fallback climate preset' : 'climate preset'
    return preset === undefined
      ? `A thermostat ${kind} was activated.`
      : `The thermostat ${kind} ${preset} was activated.`
  },
  'thermostat.manually_adjusted': describeManualThermostatAdjustment,
  'thermostat.temperature_threshold_exceeded': describeThresholdCrossing,
  'thermostat.temperature_threshold_no_longer_exceeded': (event) => {
    const temperature = temperatureField(event, 'temperature')
    return temperature === undefined
      ? 'The thermostat temperature is back within its set limits.'
      : `The thermostat temperature of ${temperature} is back within its set limits.`
  },
  'thermostat.temperature_reached_set_point': (event) => {
    const setPoint = temperatureField(event, 'desired_temperature') ?? temperatureField(event, 'temperature')
    return setPoint === undefined
      ? 'The thermostat reached its set point.'
      : `The thermostat reached its set point of ${setPoint}.`
  },
  'thermostat.temperature_changed': (event) => {
    const temperature = temperatureField(event, 'temperature')
    return temperature === undefined
      ? 'The thermostat temperature changed.'
      : `The thermostat temperature changed to ${temperature}.`
  },

  'camera.activated': (event) => {
    const subject = codeField(event, 'motion_sub_type')
    const reason = codeField(event, 'activation_reason')
    if (reason !== 'motion_detected') return 'The camera was activated.'
    return subject === undefined || subject === 'other'
      ? 'The camera was activated by motion.'
      : `The camera was activated by motion (${humanize(subject)}).`
  },

  'enrollment_automation.deleted': () => 'The enrollment automation was deleted.',
  'phone.deactivated': () => 'The phone was deactivated.',
  'space.device_membership_changed': () => 'A device was added to or removed from the space.',
  'space.created': () => 'A space was created.',
  'space.deleted': () => 'The space was deleted.',
}

// ---------------------------------------------------------------------------------------------

/** Seam keeps adding types; until this table knows one, its name is still better than nothing. */
function describeUnknownType(eventType: string): string {
  const words = withoutFinalPunctuation(shortText(humanize(eventType), maxErrorTextLength) ?? '')
  return words === '' ? genericDescription : `${capitalize(words)}.`
}

export function describeEvent(event: Readonly<Record<string, unknown>>): string {
  // The signature promises a record, but this runs on whatever a producer published, and a
  // missing description must never be the reason an event is rejected.
  try {
    if (typeof event !== 'object' || event === null) return genericDescription
    const eventType = event['event_type']
    if (typeof eventType !== 'string') return genericDescription
    // hasOwn: a type named after an Object.prototype member ("constructor") is not in the table.
    if (!Object.hasOwn(describerByEventType, eventType)) return describeUnknownType(eventType)
    const describe = describerByEventType[eventType as SeamEventType]
    const sentence = describe(event)
    return typeof sentence === 'string' && sentence !== '' ? sentence : describeUnknownType(eventType)
  } catch {
    return genericDescription
  }
}
