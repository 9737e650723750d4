// Descriptions are filled in for every published event that lacks one, so they must cover all of
// Seam's types, read well for the common ones, never leak an access code's PIN, and never throw.

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import { schemas } from '@seamapi/types/connect'

import { describeEvent, describerByEventType } from '../src/domain/event-description.ts'

const seamEventTypes: string[] = schemas.seam_event.options.map(
  (option) => option.shape.event_type.value as string,
)

function genericFallbackFor(eventType: string): string {
  const words = eventType.replace(/[._]+/g, ' ')
  return `${words.charAt(0).toUpperCase()}${words.slice(1)}.`
}

describe('describeEvent', () => {
  it('has a sentence of its own for every event type in Seam’s schema', () => {
    assert.ok(seamEventTypes.length >= 96, `expected Seam's full catalog, got ${seamEventTypes.length}`)
    const missing = seamEventTypes.filter((eventType) => !Object.hasOwn(describerByEventType, eventType))
    assert.deepEqual(missing, [])

    for (const eventType of seamEventTypes) {
      const sentence = describeEvent({ event_type: eventType })
      assert.ok(sentence.length > 1, `${eventType}: empty description`)
      assert.ok(sentence.endsWith('.'), `${eventType}: "${sentence}" does not end with a period`)
      assert.match(sentence, /^[A-Z]/, `${eventType}: "${sentence}" does not start with a capital`)
      assert.notEqual(sentence, genericFallbackFor(eventType), `${eventType}: got the generic fallback`)
    }
  })

  it('says how a lock was unlocked or locked', () => {
    const unlocked = (method: string) => describeEvent({ event_type: 'lock.unlocked', method })
    assert.equal(unlocked('keycode'), 'The lock was unlocked with an access code.')
    assert.equal(unlocked('manual'), 'The lock was unlocked manually.')
    assert.equal(unlocked('automatic'), 'The lock was unlocked automatically.')
    assert.equal(unlocked('seamapi'), 'The lock was unlocked through Seam.')
    assert.equal(unlocked('remote'), 'The lock was unlocked remotely.')
    assert.equal(unlocked('card'), 'The lock was unlocked with a card.')
    assert.equal(unlocked('unknown'), 'The lock was unlocked.')
    assert.equal(describeEvent({ event_type: 'lock.unlocked' }), 'The lock was unlocked.')
    assert.equal(
      describeEvent({ event_type: 'lock.locked', method: 'keycode' }),
      'The lock was locked with an access code.',
    )
  })

  it('gives the battery level as a percentage', () => {
    assert.equal(
      describeEvent({ event_type: 'device.low_battery', battery_level: 0.48 }),
      'The device battery is low (48%).',
    )
    assert.equal(describeEvent({ event_type: 'device.low_battery' }), 'The device battery is low.')
    assert.equal(
      describeEvent({
        event_type: 'device.battery_status_changed',
        battery_status: 'critical',
        battery_level: 0.05,
      }),
      'The device battery status changed to critical (5%).',
    )
  })

  it('gives thermostat temperatures in Celsius', () => {
    assert.equal(
      describeEvent({
        event_type: 'thermostat.temperature_changed',
        temperature_celsius: 21.5,
        temperature_fahrenheit: 70.7,
      }),
      'The thermostat temperature changed to 21.5 °C.',
    )
    assert.equal(
      describeEvent({
        event_type: 'thermostat.temperature_threshold_exceeded',
        temperature_celsius: 30,
        temperature_fahrenheit: 86,
        upper_limit_celsius: 28,
        upper_limit_fahrenheit: 82.4,
        lower_limit_celsius: null,
        lower_limit_fahrenheit: null,
      }),
      'The thermostat temperature of 30 °C went above the upper limit of 28 °C.',
    )
    assert.equal(
      describeEvent({
        event_type: 'thermostat.temperature_reached_set_point',
        temperature_celsius: 21.9,
        desired_temperature_celsius: 22,
      }),
      'The thermostat reached its set point of 22 °C.',
    )
  })

  it('uses other payload fields that make the sentence more useful', () => {
    assert.equal(
      describeEvent({ event_type: 'device.disconnected', error_code: 'hub_disconnected' }),
      'The device went offline because its hub was disconnected.',
    )
    assert.equal(
      describeEvent({ event_type: 'device.name_changed', device_name: 'Front Door' }),
      'The device was renamed to "Front Door".',
    )
    assert.equal(
      describeEvent({
        event_type: 'noise_sensor.noise_threshold_triggered',
        noise_level_decibels: 72.25,
      }),
      'The noise sensor detected noise over a noise threshold (72.3 dB).',
    )
  })

  it('never includes an access code’s PIN', () => {
    const code = '123456'
    const accessCodeEventTypes = seamEventTypes.filter(
      (eventType) => eventType.startsWith('access_code.') || eventType.startsWith('access_method.'),
    )
    for (const eventType of accessCodeEventTypes) {
      const sentence = describeEvent({ event_type: eventType, code, is_backup_code: true })
      assert.ok(!sentence.includes(code), `${eventType}: "${sentence}" leaks the code`)
    }
    assert.equal(
      describeEvent({ event_type: 'access_code.set_on_device', code }),
      'The access code was set on the device.',
    )
  })

  it('falls back to a readable sentence for types it does not know', () => {
    assert.equal(describeEvent({ event_type: 'widget.battery_swapped' }), 'Widget battery swapped.')
    // Names of Object.prototype members must not be mistaken for table entries.
    assert.equal(describeEvent({ event_type: 'constructor' }), 'Constructor.')
    assert.equal(describeEvent({ event_type: '__proto__' }), 'Proto.')
    assert.equal(describeEvent({ event_type: 42 }), 'An event occurred.')
    assert.equal(describeEvent({}), 'An event occurred.')
    assert.equal(describeEvent({ event_type: '' }), 'An event occurred.')
  })

  it('does not throw on garbage input', () => {
    const nullFields: Record<string, unknown> = Object.fromEntries(
      [
        'method',
        'battery_level',
        'battery_status',
        'error_code',
        'error_message',
        'device_name',
        'noise_level_decibels',
        'noise_threshold_name',
        'temperature_celsius',
        'upper_limit_celsius',
        'lower_limit_celsius',
        'desired_temperature_celsius',
        'climate_preset_key',
        'hvac_mode_setting',
        'starts_at',
        'ends_at',
        'connected_account_errors',
        'code',
      ].map((field) => [field, null]),
    )
    // Enum-like fields named after Object.prototype members must not pull functions into the text.
    const prototypeNames = {
      method: 'constructor',
      error_code: 'constructor',
      battery_status: 'to_string',
      hvac_mode_setting: 'constructor',
      fan_mode_setting: '__proto__',
    }
    const wrongTypes = {
      method: 7,
      battery_level: 'high',
      error_code: { nested: true },
      device_name: ['a'],
      temperature_celsius: Number.NaN,
      upper_limit_celsius: Number.POSITIVE_INFINITY,
      starts_at: 'not a date',
      connected_account_errors: [null, 3, { error_code: 5 }],
    }
    for (const eventType of [...seamEventTypes, 'widget.battery_swapped']) {
      for (const fields of [nullFields, wrongTypes, prototypeNames]) {
        const sentence = describeEvent({ ...fields, event_type: eventType })
        assert.equal(typeof sentence, 'string')
        assert.ok(sentence.endsWith('.'), `${eventType}: "${sentence}"`)
        assert.doesNotMatch(sentence, /function|\[object|undefined|null|NaN|Infinity/, eventType)
      }
    }
    const garbageInputs = [null, undefined, 42, 'lock.unlocked', [], { event_type: null }, { event_type: 1 }]
    for (const garbage of garbageInputs) {
      assert.equal(describeEvent(garbage as unknown as Record<string, unknown>), 'An event occurred.')
    }
    const throwingEvent = new Proxy({} as Record<string, unknown>, {
      get() {
        throw new Error('boom')
      },
    })
    assert.equal(describeEvent(throwingEvent), 'An event occurred.')
  })
})
