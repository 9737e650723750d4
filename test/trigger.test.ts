// `seam-events trigger` as a developer runs it: a real process publishing one event to a real
// server, which Seam's SDK then reads back. Runs on every backend of the run.

import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, it } from 'node:test'

import { triggeredEvent } from '../src/cli/trigger.ts'
import { catalogEventTypes } from '../src/domain/event-examples.ts'
import { parsePublishRequest } from '../src/domain/publish-events.ts'
import { formatEventLine } from '../src/cli/event-line.ts'
import { describeEachBackend } from './support/backends.ts'
import { cli } from './support/cli-process.ts'
import { newestSeamSdks, seamClient } from './support/seam-sdks.ts'
import { startTestServer, type TestServer } from './support/test-server.ts'

describeEachBackend('seam-events trigger', { timeout: 120_000 }, (backend) => {
  let server: TestServer
  const trigger = (args: string[]) => cli(['trigger', ...args], { SEAM_ENDPOINT: server.endpoint, SEAM_API_KEY: server.apiKey })
  const failsWith = async (args: string[], pattern: RegExp) => {
    await assert.rejects(trigger(args), (error: any) => {
      assert.equal(error.code, 1)
      assert.match(error.stderr, pattern)
      assert.equal(error.stderr.trim().split('\n').length, 1, error.stderr)
      assert.equal(error.stdout, '')
      return true
    })
  }

  before(async () => {
    server = await startTestServer({ backend, worker: false })
  })
  after(() => server.close())

  it('publishes one valid event of the type, with --device-id and --set, and prints it as stored', async () => {
    const deviceId = randomUUID()
    const { stdout } = await trigger([
      'lock.access_denied',
      '--device-id',
      deviceId,
      '--set',
      'reason={"reason_code":"unknown_code","message":"wrong code"}',
      '--set',
      'reason.reason_code=expired_code',
      '--set',
      'customer_key=guest-42',
      '--json',
    ])
    const printed = JSON.parse(stdout)
    assert.equal(stdout.trim().split('\n').length, 1)
    assert.equal(printed.event_type, 'lock.access_denied')
    assert.equal(printed.device_id, deviceId)
    assert.deepEqual(printed.reason, { reason_code: 'expired_code', message: 'wrong code' })
    assert.equal(printed.customer_key, 'guest-42')
    assert.equal(printed.workspace_id, server.workspaceId)
    for (const sdk of newestSeamSdks) {
      assert.deepEqual(await seamClient(sdk, server.endpoint, server.apiKey).events.get({ event_id: printed.event_id }), printed, sdk.name)
    }
  })

  it('parses --set values as JSON when they parse (numbers, booleans, quoted strings), else as text', async () => {
    const { stdout: battery } = await trigger(['device.low_battery', '--set', 'battery_level=0.05', '--json'])
    assert.equal(JSON.parse(battery).battery_level, 0.05)
    const { stdout: renamed } = await trigger(['device.name_changed', '--set', 'device_name=Front door', '--json'])
    assert.equal(JSON.parse(renamed).device_name, 'Front door')
    const { stdout: code } = await trigger(['access_code.set_on_device', '--set', 'code="0042"', '--json'])
    assert.equal(JSON.parse(code).code, '0042')
    const { stdout: flags } = await trigger(['lock.unlocked', '--set', 'is_via_bluetooth=true', '--set', 'method=manual', '--json'])
    assert.equal(JSON.parse(flags).is_via_bluetooth, true)
    assert.equal(JSON.parse(flags).method, 'manual')
  })

  it('prints a readable line and the event as indented JSON without --json', async () => {
    const { stdout } = await trigger(['thermostat.temperature_changed', '--set', 'temperature_celsius=21.5'])
    const [line, ...json] = stdout.trimEnd().split('\n')
    const event = JSON.parse(json.join('\n'))
    assert.equal(line, formatEventLine(event))
    assert.equal(json.join('\n'), JSON.stringify(event, null, 2))
    assert.equal(event.temperature_celsius, 21.5)
  })

  it('makes a valid event of every type of the catalog', () => {
    const events = catalogEventTypes.map((type) => triggeredEvent(type, {}))
    assert.equal(parsePublishRequest({ events }, { allowUnknownEventTypes: false }).drafts.length, catalogEventTypes.length)
  })

  it('refuses, in one line, an unknown type (naming close ones), an older name, a device id the type has not, a bad --set, and what the server refuses', async () => {
    await failsWith(['lock.unlock'], /unknown event type "lock\.unlock": did you mean lock\.unlocked/)
    await failsWith(['thermostat.temprature_changed'], /did you mean thermostat\.temperature_changed/)
    await failsWith(['noise_detection.detected_noise'], /the name Seam used before renaming the type: trigger noise_sensor\.noise_threshold_triggered/)
    await failsWith(['access_grant.created', '--device-id', randomUUID()], /access_grant\.created has no device_id; .*access_grant_id/)
    await failsWith(['lock.unlocked', '--set', 'method'], /--set takes field=value; got "method"/)
    await failsWith(['lock.unlocked', '--set', '__proto__.polluted=1'], /--set: not a field path: __proto__\.polluted/)
    await failsWith(['device.low_battery', '--set', 'battery_level=2'], /400 invalid_input: .*battery_level: Number must be less than or equal to 1/)
    await failsWith(['lock.unlocked', '--device-id', 'not-a-uuid'], /400 invalid_input: .*device_id: Invalid uuid/)
  })
})
