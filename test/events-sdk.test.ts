// The contract: Seam's official SDK, both majors, unchanged, against the real server.

import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, before, describe, it } from 'node:test'

import { describeEachBackend } from './support/backends.ts'
import { publish } from './support/http.ts'
import { seamClient, seamSdks } from './support/seam-sdks.ts'
import { startTestServer, type TestServer } from './support/test-server.ts'

const pool = (size: number): string[] => Array.from({ length: size }, () => randomUUID())
const pick = <T>(values: readonly T[], index: number): T => values[index % values.length] as T

// Small pools, so that every filter value matches some events and misses others.
const devices = pool(3)
const accessCodes = pool(2)
const accounts = pool(2)
const webviews = pool(2)
const acsSystems = pool(2)
const acsEntrances = pool(2)
const acsUsers = pool(2)
const acsCredentials = pool(2)
const acsGroups = pool(2)
const acsEncoders = pool(2)
const userIdentities = pool(2)
const accessGrants = pool(2)
const accessMethods = pool(2)
const spaces = pool(2)
const customerKeys = ['customer-a', 'customer-b']

/** Events that between them carry every field events/list filters on. */
function corpusBatch(i: number): Record<string, unknown>[] {
  return [
    {
      event_type: 'lock.unlocked',
      device_id: pick(devices, i),
      connected_account_id: pick(accounts, i),
      method: 'keycode',
      access_code_id: pick(accessCodes, i),
      user_identity_id: pick(userIdentities, i),
      acs_system_id: pick(acsSystems, i + 1),
      acs_user_id: pick(acsUsers, i),
      acs_entrance_id: pick(acsEntrances, i),
    },
    {
      event_type: 'access_code.set_on_device',
      device_id: pick(devices, i + 1),
      connected_account_id: pick(accounts, i + 1),
      access_code_id: pick(accessCodes, i + 1),
      code: '1234',
    },
    {
      event_type: 'device.low_battery',
      device_id: pick(devices, i + 2),
      connected_account_id: pick(accounts, i),
      battery_level: 0.2,
    },
    { event_type: 'acs_credential.issued', acs_system_id: pick(acsSystems, i), acs_credential_id: pick(acsCredentials, i) },
    { event_type: 'acs_access_group.deleted', acs_system_id: pick(acsSystems, i), acs_access_group_id: pick(acsGroups, i) },
    { event_type: 'acs_encoder.added', acs_system_id: pick(acsSystems, i + 1), acs_encoder_id: pick(acsEncoders, i) },
    { event_type: 'access_grant.access_granted_to_door', access_grant_id: pick(accessGrants, i), acs_entrance_id: pick(acsEntrances, i + 1) },
    { event_type: 'access_method.issued', access_method_id: pick(accessMethods, i), access_grant_ids: [pick(accessGrants, i)] },
    { event_type: 'space.created', space_id: pick(spaces, i), device_ids: [pick(devices, i)], acs_entrance_ids: [] },
    {
      event_type: 'connected_account.connected',
      connected_account_id: pick(accounts, i),
      connect_webview_id: pick(webviews, i),
      customer_key: pick(customerKeys, i),
    },
  ]
}

type Event = Record<string, any>

const ids = (events: readonly Event[]): string[] => events.map((event) => event.event_id)

/** Newest first, as the server must order them: publish order is insertion order. */
const newestFirst = (events: readonly Event[]): Event[] => [...events].reverse()

describeEachBackend('events API through the official SDK', (backend) => {
  let server: TestServer
  let corpus: Event[] = []
  let start: string

  before(async () => {
    server = await startTestServer({ backend })
    start = new Date(Date.now() - 1000).toISOString()
    for (let i = 0; i < 4; i++) {
      corpus.push(...(await publish(server.endpoint, server.apiKey, corpusBatch(i))))
      await sleep(3) // distinct created_at per batch, for the time filters
    }
  })
  after(async () => server.close())

  for (const sdk of seamSdks) {
    describe(sdk.name, () => {
      const client = () => seamClient(sdk, server.endpoint, server.apiKey)

      it('lists every event newest first, as published', async () => {
        const events = await client().events.list({ since: start })
        assert.deepEqual(ids(events), ids(newestFirst(corpus)))
        assert.deepEqual(events, newestFirst(corpus))
      })

      const singleFilters: [param: string, field: string, value: () => string][] = [
        ['device_id', 'device_id', () => devices[0]!],
        ['access_code_id', 'access_code_id', () => accessCodes[1]!],
        ['connected_account_id', 'connected_account_id', () => accounts[0]!],
        ['connect_webview_id', 'connect_webview_id', () => webviews[1]!],
        ['acs_system_id', 'acs_system_id', () => acsSystems[0]!],
        ['acs_entrance_id', 'acs_entrance_id', () => acsEntrances[1]!],
        ['acs_user_id', 'acs_user_id', () => acsUsers[0]!],
        ['acs_credential_id', 'acs_credential_id', () => acsCredentials[1]!],
        ['acs_access_group_id', 'acs_access_group_id', () => acsGroups[0]!],
        ['acs_encoder_id', 'acs_encoder_id', () => acsEncoders[1]!],
        ['user_identity_id', 'user_identity_id', () => userIdentities[0]!],
        ['access_grant_id', 'access_grant_id', () => accessGrants[1]!],
        ['access_method_id', 'access_method_id', () => accessMethods[0]!],
        ['space_id', 'space_id', () => spaces[1]!],
        ['customer_key', 'customer_key', () => customerKeys[0]!],
        ['event_type', 'event_type', () => 'lock.unlocked'],
      ]
      for (const [param, field, value] of singleFilters) {
        it(`filters by ${param}`, async () => {
          const expected = newestFirst(corpus.filter((event) => event[field] === value()))
          assert.ok(expected.length > 0 && expected.length < corpus.length, 'the corpus must test the filter')
          const events = await client().events.list({ since: start, [param]: value() })
          assert.deepEqual(ids(events), ids(expected))
        })
      }

      const listFilters: [param: string, field: string, values: () => string[]][] = [
        ['device_ids', 'device_id', () => [devices[0]!, devices[2]!]],
        ['access_code_ids', 'access_code_id', () => [accessCodes[0]!]],
        ['acs_system_ids', 'acs_system_id', () => [acsSystems[1]!]],
        ['access_grant_ids', 'access_grant_id', () => [accessGrants[0]!]],
        ['access_method_ids', 'access_method_id', () => [accessMethods[0]!, accessMethods[1]!]],
        ['space_ids', 'space_id', () => [spaces[0]!]],
        ['event_types', 'event_type', () => ['device.low_battery', 'acs_encoder.added']],
        ['event_ids', 'event_id', () => [corpus[3]!.event_id, corpus[17]!.event_id]],
      ]
      for (const [param, field, values] of listFilters) {
        it(`filters by ${param}`, async () => {
          const expected = newestFirst(corpus.filter((event) => values().includes(event[field])))
          assert.ok(expected.length > 0 && expected.length < corpus.length, 'the corpus must test the filter')
          const events = await client().events.list({ since: start, [param]: values() })
          assert.deepEqual(ids(events), ids(expected))
        })
      }

      it('an empty id list matches no event', async () => {
        assert.deepEqual(await client().events.list({ since: start, device_ids: [] }), [])
      })

      it('combines filters: an event must match all of them', async () => {
        const expected = newestFirst(
          corpus.filter((e) => e.device_id === devices[1] && e.event_type === 'access_code.set_on_device'),
        )
        assert.ok(expected.length > 0)
        const events = await client().events.list({
          since: start,
          device_id: devices[1],
          event_types: ['access_code.set_on_device', 'device.connected'],
        })
        assert.deepEqual(ids(events), ids(expected))
      })

      it('since is inclusive and between is exclusive, both on created_at', async () => {
        const createdAts = [...new Set(corpus.map((event) => event.created_at as string))].sort()
        assert.ok(createdAts.length >= 4, 'each batch has its own created_at')
        const [, second, third] = createdAts as [string, string, string]

        const sinceSecond = await client().events.list({ since: second })
        assert.deepEqual(ids(sinceSecond), ids(newestFirst(corpus.filter((e) => e.created_at >= second))))

        const betweenFirstAndThird = await client().events.list({
          between: [createdAts[0]!, third],
        })
        assert.deepEqual(
          ids(betweenFirstAndThird),
          ids(newestFirst(corpus.filter((e) => e.created_at === second))),
        )

        // Date objects serialize like any ISO timestamp.
        const sinceDate = await client().events.list({ since: new Date(third) })
        assert.deepEqual(ids(sinceDate), ids(newestFirst(corpus.filter((e) => e.created_at >= third))))
      })

      it('limit and unstable_offset select a window of the newest-first order', async () => {
        const all = newestFirst(corpus)
        assert.deepEqual(ids(await client().events.list({ since: start, limit: 5 })), ids(all.slice(0, 5)))
        assert.deepEqual(
          ids(await client().events.list({ since: start, limit: 5, unstable_offset: 7 })),
          ids(all.slice(7, 12)),
        )
        assert.deepEqual(
          await client().events.list({ since: start, unstable_offset: all.length }),
          [],
        )
      })

      it('gets an event by id, and the newest by device or type', async () => {
        const target = corpus[5]!
        assert.deepEqual(await client().events.get({ event_id: target.event_id }), target)

        const newestOfDevice = newestFirst(corpus.filter((e) => e.device_id === devices[2]))[0]
        assert.deepEqual(await client().events.get({ device_id: devices[2] }), newestOfDevice)

        const newestOfType = newestFirst(corpus.filter((e) => e.event_type === 'acs_encoder.added'))[0]
        assert.deepEqual(await client().events.get({ event_type: 'acs_encoder.added' }), newestOfType)

        const both = newestFirst(
          corpus.filter((e) => e.device_id === devices[0] && e.event_type === 'device.low_battery'),
        )[0]
        assert.deepEqual(
          await client().events.get({ device_id: devices[0], event_type: 'device.low_battery' }),
          both,
        )
      })

      it('raises SeamHttpApiError event_not_found for an unknown event', async () => {
        await assert.rejects(client().events.get({ event_id: randomUUID() }), (error: any) => {
          assert.ok(error instanceof sdk.SeamHttpApiError)
          assert.equal(error.code, 'event_not_found')
          assert.equal(error.statusCode, 404)
          assert.match(error.requestId, /^[0-9a-f-]{36}$/)
          return true
        })
      })

      it('raises SeamHttpInvalidInputError naming the bad parameter', async () => {
        const cases: [params: Record<string, unknown>, param: string][] = [
          [{ since: start, device_id: 'not-a-uuid' }, 'device_id'],
          [{ since: start, limit: -1 }, 'limit'],
          [{ since: 'yesterday' }, 'since'],
          [{ since: start, event_type: 'lock' }, 'event_type'],
          [{ since: start, page_cursor: 'garbage' }, 'page_cursor'],
          // Well-formed cursors that no page handed out: a time that is none, an id that is no uuid.
          [{ since: start, page_cursor: Buffer.from(JSON.stringify(['yesterday', randomUUID()])).toString('base64url') }, 'page_cursor'],
          [{ since: start, page_cursor: Buffer.from(JSON.stringify(['2024-02-30T00:00:00.000Z', randomUUID()])).toString('base64url') }, 'page_cursor'],
          [{ since: start, page_cursor: Buffer.from(JSON.stringify([new Date().toISOString(), 'not-an-id'])).toString('base64url') }, 'page_cursor'],
        ]
        for (const [params, param] of cases) {
          await assert.rejects(client().events.list(params), (error: any) => {
            assert.ok(error instanceof sdk.SeamHttpInvalidInputError, `${param}: ${error}`)
            assert.equal(error.code, 'invalid_input')
            assert.ok(error.getValidationErrorMessages(param).length > 0, `${param} is named`)
            return true
          })
        }
      })

      it('requires since or between', async () => {
        await assert.rejects(client().events.list({ device_id: devices[0] }), (error: any) => {
          assert.ok(error instanceof sdk.SeamHttpInvalidInputError)
          assert.match(error.message, /Must specify either since or between/)
          return true
        })
      })

      it('raises SeamHttpUnauthorizedError for a wrong key', async () => {
        const stranger = seamClient(sdk, server.endpoint, 'seam_kWRONGKEY_notarealtokennotarealtoken00')
        await assert.rejects(stranger.events.list({ since: start }), sdk.SeamHttpUnauthorizedError)
      })

      it('pages with the cursor while events are being written, never skipping or repeating', async () => {
        // A workspace of its own, so that the corpus the other tests read stays as published.
        const own = await server.createWorkspace('Cursor paging')
        const tag = randomUUID()
        const initial = await publish(
          server.endpoint,
          own.apiKey,
          Array.from({ length: 23 }, () => ({ event_type: 'device.connected', device_id: tag, connected_account_id: accounts[0] })),
        )
        const seen: Event[] = []
        let cursor: string | undefined
        let pages = 0
        do {
          const response = await seamClient(sdk, server.endpoint, own.apiKey)
            .events.list({ since: start, device_id: tag, limit: 5, ...(cursor ? { page_cursor: cursor } : {}) })
            .fetchResponse()
          seen.push(...response.events)
          pages += 1
          // Concurrent writers: newer events arrive between every two pages.
          await publish(server.endpoint, own.apiKey, [
            { event_type: 'device.connected', device_id: tag, connected_account_id: accounts[1] },
          ])
          assert.equal(response.pagination.has_next_page, response.pagination.next_page_cursor !== null)
          cursor = response.pagination.next_page_cursor ?? undefined
        } while (cursor !== undefined)
        assert.equal(pages, 5)
        assert.deepEqual(ids(seen), ids(newestFirst(initial)))
      })
    })
  }

  it('keeps workspaces apart: another workspace sees, gets and filters none of these events', async () => {
    const other = await server.createWorkspace('Other')
    const theirs = await publish(server.endpoint, other.apiKey, corpusBatch(0))
    for (const sdk of seamSdks) {
      const mine = seamClient(sdk, server.endpoint, server.apiKey)
      const stranger = seamClient(sdk, server.endpoint, other.apiKey)
      assert.deepEqual(ids(await stranger.events.list({ since: start })), ids(newestFirst(theirs)))
      assert.deepEqual(await stranger.events.list({ since: start, device_id: devices[0], event_types: ['lock.unlocked'] }),
        newestFirst(theirs.filter((e) => e.device_id === devices[0] && e.event_type === 'lock.unlocked')))
      await assert.rejects(stranger.events.get({ event_id: corpus[0]!.event_id }), (error: any) => error.code === 'event_not_found')
      await assert.rejects(mine.events.get({ event_id: theirs[0]!.event_id }), (error: any) => error.code === 'event_not_found')
      const myList = await mine.events.list({ since: start, event_ids: ids(theirs) })
      assert.deepEqual(myList, [])
    }
  })
})
