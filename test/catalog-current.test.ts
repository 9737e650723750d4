// Current with Seam: the newest catalog (@seamapi/types 1.977.0) and the newest SDK of each
// major, on every backend of the run. Every type added since 1.721.0 is published,
// filtered, fetched and delivered; the newest field rules hold; read filters never refuse a
// well-formed type name; older names match the renamed type; `limit` takes any positive number;
// an empty body of any type is no parameters; and events stored before the upgrade still list,
// deliver, and validate against the newest schema.

import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, it } from 'node:test'

import { schemas } from '@seamapi/types/connect'
import { SeamWebhook } from '@seamapi/webhook'
import type { ZodTypeAny } from 'zod'

import { knownEventTypes, listsFilledWhenAbsent } from '../src/domain/event-catalog.ts'
import { snapshotListBackfills } from '../src/store/snapshot-list-backfills.ts'
import type { EventDraft } from '../src/store/store.ts'
import { describeEachBackend } from './support/backends.ts'
import { publish, rawRequest } from './support/http.ts'
import { forgetSnapshotListBackfill } from './support/raw-database.ts'
import { catalogEventTypes, sampleEventFor } from './support/sample-events.ts'
import { newestSeamSdks, seamClient, seamSdks } from './support/seam-sdks.ts'
import { openStream } from './support/sse.ts'
import { startTestServer, type TestServer, type TestWorkspace } from './support/test-server.ts'
import { callOk, deviceConnected, lockUnlocked } from './support/webhook-api.ts'
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.ts'

type Event = Record<string, any>

/** The types @seamapi/types 1.977.0 has and 1.721.0 did not. */
const addedTypes = [
  'access_code.name_changed',
  'access_code.code_changed',
  'access_code.time_frame_changed',
  'access_code.mutations_requested',
  'access_method.created',
  'access_method.delay_in_issuing',
  'access_method.failed_to_issue',
  'action_attempt.simulate_keypad_code_entry.succeeded',
  'action_attempt.simulate_keypad_code_entry.failed',
  'action_attempt.simulate_manual_lock_via_keypad.succeeded',
  'action_attempt.simulate_manual_lock_via_keypad.failed',
  'camera.activated',
  'device.doorbell_rang',
]

/** Types that @seamapi/http 2.32.0 offers as list filters and @seamapi/types 1.977.0 does not have. */
const sdkOnlyTypes = [
  'access_code.issued',
  'access_code.delay_in_issuing',
  'access_code.failed_to_issue',
  'access_code.failed_to_update',
  'access_code.failed_to_remove',
]

const ids = (events: readonly Event[]): string[] => events.map((event) => event['event_id'])
const newestFirst = (events: readonly Event[]): Event[] => [...events].reverse()

/** What an SDK user does with an event: parse it with Seam's own schema. */
function assertValidEvent(event: unknown, context: string): void {
  const parsed = schemas.seam_event.safeParse(event)
  assert.ok(parsed.success, `${context}: ${parsed.success ? '' : JSON.stringify(parsed.error.issues)}`)
}

async function publishRaw(server: TestServer, apiKey: string, body: unknown) {
  return await rawRequest(`${server.endpoint}/events/publish`, {
    method: 'POST',
    apiKey,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
}

describeEachBackend('the newest Seam catalog', { timeout: 120_000 }, (backend) => {
  let server: TestServer
  let receiver: WebhookReceiver
  const since = new Date(Date.now() - 60_000).toISOString()

  before(async () => {
    server = await startTestServer({ backend })
    receiver = await startWebhookReceiver()
  })
  after(async () => {
    await receiver.close()
    await server.close()
  })

  const ownWorkspace = (name: string): Promise<TestWorkspace> => server.createWorkspace(name)

  it('has the 13 types added since @seamapi/types 1.721.0', () => {
    assert.equal(knownEventTypes.length, 109)
    for (const eventType of addedTypes) assert.ok(knownEventTypes.includes(eventType), eventType)
    for (const eventType of sdkOnlyTypes) assert.ok(!knownEventTypes.includes(eventType), eventType)
  })

  for (const sdk of newestSeamSdks) {
    describe(sdk.name, () => {
      it('publishes every added type, lists, filters, gets and delivers it', async () => {
        const workspace = await ownWorkspace(`added types ${sdk.name}`)
        const client = seamClient(sdk, server.endpoint, workspace.apiKey)
        const webhook = await client.webhooks.create({ url: receiver.url, event_types: addedTypes })
        assert.deepEqual(webhook.event_types, addedTypes)

        const stored = await publish(server.endpoint, workspace.apiKey, addedTypes.map((type, index) => sampleEventFor(type, index)))
        assert.deepEqual(stored.map((event) => event['event_type']), addedTypes)
        for (const event of stored) assertValidEvent(event, event['event_type'])

        assert.deepEqual(await client.events.list({ since }), newestFirst(stored))
        for (const event of stored) {
          const eventType = event['event_type']
          assert.deepEqual(await client.events.list({ since, event_type: eventType }), [event], eventType)
          assert.deepEqual(await client.events.list({ since, event_types: [eventType, 'device.low_battery'] }), [event], eventType)
          assert.deepEqual(await client.events.get({ event_type: eventType }), event, eventType)
        }

        const verifier = new SeamWebhook(webhook.secret)
        const mine = () => receiver.received.filter((delivery) => stored.some((event) => delivery.body.includes(event['event_id'])))
        await receiver.waitFor(() => mine().length === stored.length)
        for (const delivery of mine()) {
          const event = verifier.verify(delivery.body, delivery.headers)
          assert.deepEqual(event, stored.find((candidate) => candidate['event_id'] === JSON.parse(delivery.body).event_id))
        }
        await client.webhooks.delete({ webhook_id: webhook.webhook_id })
      })

      it('never refuses a well-formed type name in a read filter, and refuses a malformed one', async () => {
        const workspace = await ownWorkspace(`filters ${sdk.name}`)
        const client = seamClient(sdk, server.endpoint, workspace.apiKey)
        const [connected] = await publish(server.endpoint, workspace.apiKey, [deviceConnected()])
        for (const eventType of [...sdkOnlyTypes, 'widget.battery_swapped']) {
          assert.deepEqual(await client.events.list({ since, event_type: eventType }), [], eventType)
          await assert.rejects(client.events.get({ event_type: eventType }), (error: any) => {
            assert.ok(error instanceof sdk.SeamHttpApiError, `${eventType}: ${error}`)
            assert.equal(error.code, 'event_not_found')
            assert.equal(error.statusCode, 404)
            return true
          })
        }
        assert.deepEqual(await client.events.list({ since, event_types: sdkOnlyTypes }), [])
        assert.deepEqual(
          ids(await client.events.list({ since, event_types: [...sdkOnlyTypes, 'device.connected'] })),
          [connected!['event_id']],
        )
        for (const malformed of ['lock', 'Lock.Unlocked', 'lock.unlocked ']) {
          await assert.rejects(client.events.list({ since, event_type: malformed }), (error: any) => {
            assert.ok(error instanceof sdk.SeamHttpInvalidInputError, `${malformed}: ${error}`)
            assert.ok(error.getValidationErrorMessages('event_type').length > 0)
            return true
          })
          await assert.rejects(client.events.get({ event_type: malformed }), sdk.SeamHttpInvalidInputError)
        }

        // A webhook takes them too: Seam adds types, and a newer client subscribes before the server knows them.
        const webhook = await client.webhooks.create({ url: receiver.url, event_types: [...sdkOnlyTypes, 'widget.battery_swapped'] })
        assert.deepEqual((await client.webhooks.get({ webhook_id: webhook.webhook_id })).event_types, [...sdkOnlyTypes, 'widget.battery_swapped'])
        await client.webhooks.update({ webhook_id: webhook.webhook_id, event_types: ['access_code.issued', 'lock.*'] })
        assert.deepEqual((await client.webhooks.get({ webhook_id: webhook.webhook_id })).event_types, ['access_code.issued', 'lock.*'])
        for (const refused of [['widget.*'], ['lock'], ['Lock.unlocked']]) {
          await assert.rejects(client.webhooks.create({ url: receiver.url, event_types: refused }), sdk.SeamHttpInvalidInputError)
        }
        await client.webhooks.delete({ webhook_id: webhook.webhook_id })
      })

      it("takes Seam's older names as filters for the renamed type, and saves them as its current name", async () => {
        const workspace = await ownWorkspace(`renamed ${sdk.name}`)
        const client = seamClient(sdk, server.endpoint, workspace.apiKey)
        const webhook = await client.webhooks.create({ url: receiver.url, event_types: ['noise_detection.detected_noise'] })
        assert.deepEqual(webhook.event_types, ['noise_sensor.noise_threshold_triggered'])
        const [noise, other] = await publish(server.endpoint, workspace.apiKey, [
          sampleEventFor('noise_sensor.noise_threshold_triggered'),
          lockUnlocked(),
        ])
        assert.deepEqual(await client.events.list({ since, event_type: 'noise_detection.detected_noise' }), [noise])
        assert.deepEqual(await client.events.list({ since, event_types: ['noise_detection.detected_noise', 'lock.locked'] }), [noise])
        assert.deepEqual(await client.events.get({ event_type: 'noise_detection.detected_noise' }), noise)
        assert.deepEqual(
          ids(await client.events.list({ since, event_types: ['noise_detection.detected_noise', 'lock.unlocked'] })),
          ids([other!, noise!]),
        )
        await receiver.waitFor((received) => received.some((delivery) => delivery.body.includes(noise!['event_id'])))
        assert.ok(!receiver.received.some((delivery) => delivery.body.includes(other!['event_id'])))
        await client.webhooks.delete({ webhook_id: webhook.webhook_id })
      })

      it('takes any positive limit: a fraction rounded down, above 10,000 capped with the cursor giving the rest', async () => {
        const workspace = await ownWorkspace(`limit ${sdk.name}`)
        const client = seamClient(sdk, server.endpoint, workspace.apiKey)
        const deviceId = randomUUID()
        const stored: Event[] = []
        for (let batch = 0; batch < 11; batch++) {
          const size = batch === 10 ? 1 : 1000
          stored.push(...(await publish(server.endpoint, workspace.apiKey, Array.from({ length: size }, () => deviceConnected(deviceId)))))
        }
        const all = ids(newestFirst(stored))
        assert.equal(all.length, 10_001)

        assert.deepEqual(ids(await client.events.list({ since, limit: 2.5 })), all.slice(0, 2))
        assert.deepEqual(ids(await client.events.list({ since, limit: 0.5 })), all.slice(0, 1))
        const first = await client.events.list({ since, limit: 20_000 }).fetchResponse()
        assert.deepEqual(ids(first.events), all.slice(0, 10_000))
        assert.equal(first.pagination.has_next_page, true)
        const rest = await client.events.list({ since, limit: 20_000, page_cursor: first.pagination.next_page_cursor }).fetchResponse()
        assert.deepEqual(ids(rest.events), all.slice(10_000))
        assert.equal(rest.pagination.has_next_page, false)
        for (const limit of [0, -1]) {
          await assert.rejects(client.events.list({ since, limit }), (error: any) => {
            assert.ok(error instanceof sdk.SeamHttpInvalidInputError, `limit ${limit}: ${error}`)
            assert.ok(error.getValidationErrorMessages('limit').length > 0)
            return true
          })
        }
      })
    })
  }

  it('holds the newest field rules on publish', async () => {
    const workspace = await ownWorkspace('field rules')
    const base = { device_id: randomUUID(), connected_account_id: randomUUID() }
    for (const method of ['remote', 'card', 'keycode', 'manual', 'automatic', 'unknown']) {
      for (const eventType of ['lock.unlocked', 'lock.locked']) {
        const response = await publishRaw(server, workspace.apiKey, { event: { event_type: eventType, ...base, method } })
        assert.equal(response.status, 200, `${eventType} ${method}: ${response.text}`)
      }
    }
    const seamapi = await publishRaw(server, workspace.apiKey, { events: [{ event_type: 'lock.unlocked', ...base, method: 'seamapi' }] })
    assert.equal(seamapi.status, 400)
    assert.ok(seamapi.json.error.validation_errors.events['0'].method._errors.length > 0, seamapi.text)

    // lock.access_denied no longer needs a device.
    const denied = await publishRaw(server, workspace.apiKey, {
      event: { event_type: 'lock.access_denied', connected_account_id: randomUUID(), reason: { reason_code: 'expired_code', message: 'Expired' } },
    })
    assert.equal(denied.status, 200, denied.text)

    // connected_account_errors is an open object now: any error code; the producer's keys are kept.
    const error = { created_at: '2025-01-01T00:00:00.000Z', message: 'Bridge offline', error_code: 'bridge_went_missing', is_bridge_error: true }
    const disconnected = await publishRaw(server, workspace.apiKey, {
      event: { event_type: 'connected_account.disconnected', connected_account_id: randomUUID(), connected_account_errors: [error] },
    })
    assert.equal(disconnected.status, 200, disconnected.text)
    assert.deepEqual(disconnected.json.event.connected_account_errors, [error])
    assert.deepEqual(disconnected.json.event.connected_account_warnings, [])
    assertValidEvent(disconnected.json.event, 'connected_account.disconnected')

    // A new type's own required fields are checked like any other's.
    const nameChanged = await publishRaw(server, workspace.apiKey, {
      events: [{ event_type: 'access_code.name_changed', access_code_id: randomUUID(), ...base, from: { name: 'a' }, to: { name: 'b' } }],
    })
    assert.equal(nameChanged.status, 400)
    assert.ok(nameChanged.json.error.validation_errors.events['0'].description._errors.length > 0, nameChanged.text)

    // Publishing takes only current names.
    const older = await publishRaw(server, workspace.apiKey, { event: { ...sampleEventFor('noise_sensor.noise_threshold_triggered'), event_type: 'noise_detection.detected_noise' } })
    assert.equal(older.status, 400)
    assert.match(older.json.error.validation_errors.event.event_type._errors[0], /noise_sensor\.noise_threshold_triggered/)
  })

  it('fills the snapshot lists a publisher leaves out with [], so that every listed event validates', async () => {
    const workspace = await ownWorkspace('snapshot lists')
    const withLists = knownEventTypes.filter((eventType) => listsFilledWhenAbsent(eventType).length > 0)
    assert.equal(withLists.length, 13)
    const withoutLists = withLists.map((eventType, index) => {
      const event = sampleEventFor(eventType, index)
      for (const field of listsFilledWhenAbsent(eventType)) delete event[field]
      return event
    })
    const given = { ...sampleEventFor('device.disconnected', 1), device_errors: [{ created_at: '2025-01-01T00:00:00.000Z', message: 'Offline', error_code: 'device_offline' }] }
    const every = catalogEventTypes.map((eventType, index) => sampleEventFor(eventType, index))
    const stored = await publish(server.endpoint, workspace.apiKey, [...withoutLists, given, ...every])

    withLists.forEach((eventType, index) => {
      for (const field of listsFilledWhenAbsent(eventType)) assert.deepEqual(stored[index]![field], [], `${eventType}.${field}`)
    })
    assert.deepEqual(stored[withLists.length]!['device_errors'], given.device_errors)
    for (const sdk of newestSeamSdks) {
      const listed: Event[] = await seamClient(sdk, server.endpoint, workspace.apiKey).events.list({ since, limit: 1000 })
      assert.deepEqual(listed, newestFirst(stored), sdk.name)
      for (const event of listed) assertValidEvent(event, `${sdk.name} ${event['event_type']}`)
    }
  })

  it('gives nothing for an unknown type name in the stream and the histogram, and refuses a malformed one', async () => {
    const workspace = await ownWorkspace('stream and histogram')
    const stream = await openStream(
      `${server.endpoint}/events/stream?event_types=access_code.issued,widget.battery_swapped,device.connected,noise_detection.detected_noise`,
      { apiKey: workspace.apiKey },
    )
    try {
      assert.equal(stream.response.status, 200)
      await stream.waitForTyped('start')
      // In publish order: the lock event must be left out before the two that match arrive.
      const published = await publish(server.endpoint, workspace.apiKey, [
        lockUnlocked(),
        sampleEventFor('noise_sensor.noise_threshold_triggered'),
        deviceConnected(),
      ])
      const messages = await stream.take(2)
      assert.deepEqual(messages.map((message) => JSON.parse(message.data).event_id), ids(published.slice(1)))
    } finally {
      stream.close()
    }
    const malformed = await rawRequest(`${server.endpoint}/events/stream?event_type=lock`, { apiKey: workspace.apiKey })
    assert.equal(malformed.status, 400)

    const histogram = async (eventTypes: string[]) =>
      (await callOk({ endpoint: server.endpoint, apiKey: workspace.apiKey }, '/events/histogram', { since, event_types: eventTypes })).histogram
    assert.equal((await histogram(['access_code.issued', 'widget.battery_swapped'])).total_events, 0)
    const renamed = await histogram(['noise_detection.detected_noise'])
    assert.equal(renamed.total_events, 1)
    assert.deepEqual(renamed.event_types, ['noise_sensor.noise_threshold_triggered'])
    const refused = await rawRequest(`${server.endpoint}/events/histogram?since=${since}&event_type=Lock`, { apiKey: workspace.apiKey })
    assert.equal(refused.status, 400)
    assert.ok(refused.json.error.validation_errors.event_type)
  })

  it('answers events.list() without arguments with "Must specify either since or between", from every SDK that sends it', async () => {
    // 1.x sends an empty form-encoded POST; 2.x refuses the call itself ("Parameters are required").
    for (const sdk of seamSdks.filter((candidate) => candidate.major === 1)) {
      await assert.rejects(seamClient(sdk, server.endpoint, server.apiKey).events.list(), (error: any) => {
        assert.ok(error instanceof sdk.SeamHttpInvalidInputError, `${sdk.name}: ${error}`)
        assert.match(error.message, /Must specify either since or between/)
        return true
      })
    }
    for (const contentType of ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x']) {
      const response = await rawRequest(`${server.endpoint}/events/list`, { method: 'POST', apiKey: server.apiKey, headers: { 'content-type': contentType }, body: '' })
      assert.equal(response.status, 400, contentType)
      assert.equal(response.json.error.type, 'invalid_input', `${contentType}: ${response.text}`)
      assert.match(response.json.error.message, /Must specify either since or between/)
    }
    const withQuery = await rawRequest(`${server.endpoint}/events/list?since=${since}`, {
      method: 'POST', apiKey: server.apiKey, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '',
    })
    assert.equal(withQuery.status, 200, withQuery.text)
    const nonEmpty = await rawRequest(`${server.endpoint}/events/list`, {
      method: 'POST', apiKey: server.apiKey, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `since=${since}`,
    })
    assert.equal(nonEmpty.json.error.type, 'invalid_content_type')
  })

  it('fills the now-required lists of events stored before the upgrade, which still list and deliver', async () => {
    const workspace = await ownWorkspace('stored before the upgrade')
    const accountId = randomUUID()
    const kept = { created_at: '2024-06-01T00:00:00.000Z', message: 'Account disconnected', error_code: 'account_disconnected', is_connected_account_error: true }
    const oldStyle: Omit<EventDraft, 'event_id'>[] = [
      { event_type: 'device.disconnected', occurred_at: undefined, fields: { device_id: randomUUID(), connected_account_id: accountId, error_code: 'device_disconnected', event_description: 'The device went offline.' } },
      { event_type: 'access_code.failed_to_set_on_device', occurred_at: undefined, fields: { access_code_id: randomUUID(), device_id: randomUUID(), connected_account_id: accountId, event_description: 'x' } },
      { event_type: 'acs_system.disconnected', occurred_at: undefined, fields: { acs_system_id: randomUUID(), connected_account_id: accountId, event_description: 'é ünïcode “kept” as stored' } },
      { event_type: 'connected_account.disconnected', occurred_at: undefined, fields: { connected_account_id: accountId, connected_account_errors: [kept] } },
      { event_type: 'lock.unlocked', occurred_at: undefined, fields: { device_id: randomUUID(), connected_account_id: accountId, method: 'manual' } },
    ]
    // Written as the server before the upgrade wrote them (the store checks no schema), then the
    // database set back to before the backfill migration, which the next start runs.
    const written = await server.store.events.insertEvents(workspace.workspaceId, oldStyle.map((draft) => ({ ...draft, event_id: randomUUID() })))
    await forgetSnapshotListBackfill(server)
    await server.store.migrate()

    const client = seamClient(newestSeamSdks[1]!, server.endpoint, workspace.apiKey)
    const listed: Event[] = await client.events.list({ since })
    assert.deepEqual(ids(listed), ids(newestFirst(written.map((event) => JSON.parse(event.json)))))
    for (const [index, before] of written.entries()) {
      const event = listed.find((candidate) => candidate['event_id'] === before.event_id)!
      const eventType = oldStyle[index]!.event_type
      assertValidEvent(event, eventType)
      const missing = listsFilledWhenAbsent(eventType).filter((field) => !(field in JSON.parse(before.json)))
      assert.deepEqual(event, { ...JSON.parse(before.json), ...Object.fromEntries(missing.map((field) => [field, []])) }, eventType)
      // The stored bytes are kept, the lists appended: events/list returns exactly that.
      const raw = await rawRequest(`${server.endpoint}/events/get?event_id=${before.event_id}`, { apiKey: workspace.apiKey })
      const eventJson = raw.text.slice('{"event":'.length, raw.text.lastIndexOf(',"ok":true}'))
      if (missing.length === 0) assert.equal(eventJson, before.json, eventType)
      else assert.ok(eventJson.startsWith(before.json.slice(0, -1)) && eventJson.length > before.json.length, eventType)
    }
    assert.deepEqual(listed.find((event) => event['event_type'] === 'connected_account.disconnected')!['connected_account_errors'], [kept])

    // Running it again changes nothing.
    await forgetSnapshotListBackfill(server)
    await server.store.migrate()
    assert.deepEqual(await client.events.list({ since }), listed)

    // And they deliver, as listed, to a webhook that recovers them.
    const webhook = await client.webhooks.create({ url: receiver.url, event_types: ['device.*', 'access_code.*', 'acs_system.*', 'connected_account.*', 'lock.*'] })
    await callOk({ endpoint: server.endpoint, apiKey: workspace.apiKey }, '/webhooks/recover', { webhook_id: webhook.webhook_id, since })
    const verifier = new SeamWebhook(webhook.secret)
    const mine = () => receiver.received.filter((delivery) => written.some((event) => delivery.body.includes(event.event_id)))
    await receiver.waitFor(() => mine().length === written.length)
    for (const delivery of mine()) {
      const event = verifier.verify(delivery.body, delivery.headers)
      assert.deepEqual(event, listed.find((candidate) => candidate['event_id'] === event.event_id))
      assertValidEvent(JSON.parse(delivery.body), 'delivered')
    }
  })
})

describe('what the server relies on in the installed schema', () => {
  it('has a backfill migration for every snapshot list a type requires', () => {
    const covered = new Set(snapshotListBackfills.flatMap((backfill) => Object.entries(backfill.lists).flatMap(([type, lists]) => lists.map((list) => `${type} ${list}`))))
    const uncovered = knownEventTypes
      .flatMap((type) => listsFilledWhenAbsent(type).map((list) => `${type} ${list}`))
      .filter((pair) => !covered.has(pair))
    assert.deepEqual(
      uncovered,
      [],
      'the schema now requires these lists: events stored before lack them; add an entry to ' +
        'src/store/snapshot-list-backfills.ts and a migration of it to both backends',
    )
  })

  it("has no defaults or transforms in Seam's event schemas (publish stores the fields as given)", () => {
    const found: string[] = []
    const walk = (schema: ZodTypeAny, path: string): void => {
      const def = schema._def as Record<string, any>
      if (['ZodDefault', 'ZodCatch', 'ZodPipeline'].includes(def['typeName']) || (def['typeName'] === 'ZodEffects' && def['effect']?.type !== 'refinement')) {
        found.push(`${path}: ${def['typeName']}`)
      }
      for (const key of ['innerType', 'schema', 'type', 'valueType']) if (def[key]?._def !== undefined) walk(def[key], path)
      if (def['typeName'] === 'ZodObject') for (const [name, member] of Object.entries(def['shape']() as Record<string, ZodTypeAny>)) walk(member, `${path}.${name}`)
      if (def['options'] !== undefined) for (const option of Array.isArray(def['options']) ? def['options'] : def['options'].values()) walk(option, path)
    }
    for (const option of schemas.seam_event.options) walk(option, option.shape.event_type.value)
    assert.deepEqual(found, [])
  })
})
