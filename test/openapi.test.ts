// GET /openapi.json and /docs: the reference documents exactly the routes the server registered,
// is a valid OpenAPI 3.1 document, shows the constraints the routes enforce, and describes what
// the routes really accept and answer: requests made from its schemas are accepted, and the
// answers match its response schemas. /docs loads nothing from another origin.

import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, it } from 'node:test'

import { compileErrors, validate } from '@readme/openapi-parser'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'

import { knownEventTypes } from '../src/domain/event-catalog.ts'
import { docsContentSecurityPolicy } from '../src/http/docs-page.ts'
import { assertRoutesDocumented } from '../src/http/openapi-document.ts'
import { listEventsRoute } from '../src/http/routes/events/list.ts'
import { describeEachBackend } from './support/backends.ts'
import { rawRequest, publish } from './support/http.ts'
import { openStream, type SseMessage } from './support/sse.ts'
import { startTestServer, type TestServer } from './support/test-server.ts'
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.ts'

type Json = any

const httpMethods = ['get', 'post', 'put', 'patch', 'delete'] as const

/** Paths that are pages for people, not API operations; the reference leaves them out. */
const notApiRoutes = new Set(['GET /', 'GET /docs', 'GET /docs/init.js', 'GET /docs/event-types', 'GET /docs/event-types.md', 'GET /docs/assets/*', 'GET /console', 'GET /console/*'])

function operationsOf(document: Json): { method: string; path: string; operation: Json }[] {
  return Object.entries(document.paths as Record<string, Json>).flatMap(([path, item]) =>
    httpMethods
      .filter((method) => item[method] !== undefined)
      .map((method) => ({ method, path, operation: item[method] })),
  )
}

function resolve(document: Json, schema: Json): Json {
  if (schema?.$ref === undefined) return schema
  const pointer = (schema.$ref as string).replace(/^#\//, '').split('/')
  return resolve(
    document,
    pointer.reduce((node: Json, key) => node[key.replace(/~1/g, '/').replace(/~0/g, '~')], document),
  )
}

/**
 * A value the schema allows, made from the schema alone: its example, first enum value or
 * default, and for objects the required properties (with those of the first oneOf/anyOf
 * alternative, which is how the reference states "give since or between").
 */
function exampleOf(document: Json, given: Json): Json {
  const schema = resolve(document, given)
  if (schema.example !== undefined) return schema.example
  if (schema.enum !== undefined) return schema.enum[0]
  if (schema.const !== undefined) return schema.const
  if (schema.default !== undefined) return schema.default
  const alternatives = schema.oneOf ?? schema.anyOf
  if (alternatives !== undefined && schema.properties === undefined) {
    return exampleOf(document, alternatives[0])
  }
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type
  switch (type) {
    case 'string':
      if (schema.format === 'uuid') return randomUUID()
      if (schema.format === 'date-time') return new Date().toISOString()
      if (schema.format === 'uri') return 'https://example.com/'
      return 'x'.repeat(Math.max(1, schema.minLength ?? 1))
    case 'integer':
    case 'number':
      return schema.minimum ?? 1
    case 'boolean':
      return true
    case 'array':
      return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () =>
        exampleOf(document, schema.items),
      )
    case 'object': {
      const required = new Set<string>(schema.required ?? [])
      for (const name of resolve(document, alternatives?.[0])?.required ?? []) required.add(name)
      return Object.fromEntries(
        [...required].map((name) => [name, exampleOf(document, schema.properties[name])]),
      )
    }
    default:
      throw new Error(`no example for schema ${JSON.stringify(schema).slice(0, 200)}`)
  }
}

/**
 * The parameters the operation documents, as one object: its body, or its query parameters. A
 * rule across query parameters ("since or between") has no place in OpenAPI but the body schema
 * of the same path's POST, where it is taken from.
 */
function requestSchemaOf(document: Json, path: string, operation: Json): Json {
  if (operation.requestBody !== undefined) {
    return operation.requestBody.content['application/json'].schema
  }
  const parameters: Json[] = operation.parameters ?? []
  const body = document.paths[path].post?.requestBody?.content['application/json'].schema
  return {
    type: 'object',
    required: parameters.filter((parameter) => parameter.required).map((parameter) => parameter.name),
    properties: Object.fromEntries(parameters.map((parameter) => [parameter.name, parameter.schema])),
    ...(body?.oneOf === undefined ? {} : { oneOf: body.oneOf }),
    ...(body?.anyOf === undefined ? {} : { anyOf: body.anyOf }),
  }
}

describeEachBackend('GET /openapi.json', (backend) => {
  let server: TestServer
  let document: Json
  const registered = new Set<string>()

  before(async () => {
    server = await startTestServer({
      backend,
      worker: false,
      onRoute: (route) => {
        for (const method of [route.method].flat()) registered.add(`${method} ${route.url}`)
      },
    })
    const response = await rawRequest(`${server.endpoint}/openapi.json`)
    assert.equal(response.status, 200)
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/)
    document = response.json
  })
  after(() => server.close())

  it('documents every route the server registered, with each of its methods, and nothing else', () => {
    const served = [...registered].filter((route) => {
      if (notApiRoutes.has(route)) return false
      // Fastify answers HEAD for every GET route by itself.
      if (route.startsWith('HEAD ')) {
        assert.ok(registered.has(route.replace('HEAD ', 'GET ')), `${route} without its GET`)
        return false
      }
      return true
    })
    const documented = operationsOf(document).map(
      ({ method, path }) => `${method.toUpperCase()} ${path}`,
    )
    assert.deepEqual(documented.sort(), served.sort())
    assert.ok(documented.includes('GET /events/list') && documented.includes('POST /events/list'))
  })

  it('is a valid OpenAPI 3.1 document', async () => {
    assert.equal(document.openapi, '3.1.0')
    const result = await validate(structuredClone(document), { resolve: { external: false } })
    assert.ok(result.valid, result.valid ? '' : compileErrors(result))
  })

  it('has only valid JSON Schema 2020-12 (the dialect of OpenAPI 3.1) as schemas', () => {
    const ajv = new Ajv2020({ strict: false })
    const schemas: Json[] = [...Object.values(document.components.schemas as Record<string, Json>)]
    for (const { path, operation } of operationsOf(document)) {
      for (const parameter of operation.parameters ?? []) schemas.push(parameter.schema)
      if (operation.requestBody !== undefined) schemas.push(requestSchemaOf(document, path, operation))
      for (const response of Object.values(operation.responses as Record<string, Json>)) {
        for (const content of Object.values(response.content as Record<string, Json>)) schemas.push(content.schema)
      }
    }
    for (const schema of schemas) {
      assert.ok(ajv.validateSchema(schema), ajv.errorsText(ajv.errors))
    }
  })

  it("shows /events/list's limit as Seam's spec has it (a number, no maximum) and what the server does with it", async () => {
    const query = document.paths['/events/list'].get.parameters
    const limit = query.find((parameter: Json) => parameter.name === 'limit')
    const { type, exclusiveMinimum, maximum } = limit.schema
    assert.deepEqual({ type, exclusiveMinimum, maximum, default: limit.schema.default }, {
      type: 'number',
      exclusiveMinimum: 0,
      maximum: undefined,
      default: 500,
    })
    assert.match(limit.schema.description, /rounded down/)
    assert.match(limit.schema.description, /10,000/)
    const body = document.paths['/events/list'].post.requestBody.content['application/json'].schema
    assert.deepEqual(body.properties.limit, limit.schema)
    assert.deepEqual(body.oneOf, [{ required: ['since'] }, { required: ['between'] }])

    const list = (params: string) =>
      rawRequest(`${server.endpoint}/events/list?since=2024-01-01T00:00:00Z&${params}`, {
        apiKey: server.apiKey,
      })
    assert.equal((await list('limit=20000')).status, 200)
    assert.equal((await list('limit=2.5')).status, 200)
    const refused = await list('limit=0')
    assert.equal(refused.status, 400)
    assert.deepEqual(Object.keys(refused.json.error.validation_errors), ['_errors', 'limit'])
  })

  it('documents read filters as any well-formed type name, and publish with the enum of known types', async () => {
    const parameter = (path: string, name: string) =>
      document.paths[path].get.parameters.find((candidate: Json) => candidate.name === name)
    for (const path of ['/events/list', '/events/get', '/events/stream', '/events/histogram']) {
      const eventType = parameter(path, 'event_type')
      assert.equal(eventType.schema.type, 'string', path)
      assert.equal(eventType.schema.enum, undefined, path)
      assert.equal(new RegExp(eventType.schema.pattern).test('widget.battery_swapped'), true, path)
      assert.equal(new RegExp(eventType.schema.pattern).test('lock'), false, path)
    }
    assert.equal(parameter('/events/list', 'event_types').schema.items.pattern, parameter('/events/list', 'event_type').schema.pattern)

    // A known type, one this server does not know, and an older name are all taken.
    for (const name of ['lock.unlocked', 'widget.battery_swapped', 'noise_detection.detected_noise']) {
      const listed = await rawRequest(
        `${server.endpoint}/events/list?since=2024-01-01T00:00:00Z&event_type=${name}`,
        { apiKey: server.apiKey },
      )
      assert.equal(listed.status, 200, `${name}: ${listed.text}`)
    }
    const published = resolve(document, document.components.schemas.PublishedEvent)
    const publishedTypes = published.oneOf.map((option: Json) => resolve(document, option).properties.event_type.enum?.[0] ?? resolve(document, option).properties.event_type.const)
    assert.deepEqual([...publishedTypes].sort(), [...knownEventTypes].sort())

    // Every webhook pattern the reference offers is one the server takes.
    const patterns = document.paths['/webhooks/create'].post.requestBody.content['application/json']
      .schema.properties.event_types.items
    const [families, exact] = patterns.anyOf
    assert.ok(families.enum.includes('*') && families.enum.includes('lock.*'))
    assert.equal(new RegExp(exact.pattern).test('camera.activated'), true)
    const created = await rawRequest(`${server.endpoint}/webhooks/create`, {
      method: 'POST',
      apiKey: server.apiKey,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: 'http://127.0.0.1:9/never-called', event_types: [...families.enum, ...knownEventTypes] }),
    })
    assert.equal(created.status, 200, created.text)
  })

  it('documents the bearer API key and the access each operation needs', async () => {
    assert.deepEqual(document.components.securitySchemes.api_key.type, 'http')
    assert.deepEqual(document.components.securitySchemes.api_key.scheme, 'bearer')
    assert.deepEqual(document.paths['/events/publish'].post.security, [{ api_key: ['publish'] }])
    assert.deepEqual(document.paths['/events/list'].get.security, [{ api_key: ['read'] }])
    assert.deepEqual(document.paths['/health'].get.security, [])
    assert.deepEqual(document.paths['/openapi.json'].get.security, [])

    // Each operation that asks for a key documents a 401, and the server gives it without one.
    for (const { method, path, operation } of operationsOf(document)) {
      if (operation.security.length === 0) continue
      assert.ok(operation.responses['401'], `${method} ${path} documents no 401`)
      assert.ok(operation.responses['403'], `${method} ${path} documents no 403`)
      const response = await rawRequest(`${server.endpoint}${path}`, { method: method.toUpperCase() })
      assert.equal(response.status, 401, `${method} ${path} without a key`)
      assert.equal(response.json.error.type, 'unauthorized')
    }
  })

  it('describes requests the routes accept and the answers they give', async () => {
    // Ids of real objects where an operation needs one that exists; everything else comes from
    // the document's schemas.
    const webhookUrl = 'http://127.0.0.1:9/never-called'
    const [event] = await publish(server.endpoint, server.apiKey, [
      {
        event_type: 'lock.unlocked',
        device_id: randomUUID(),
        connected_account_id: randomUUID(),
        method: 'keycode',
      },
    ])
    const createWebhook = async (): Promise<string> => {
      const created = await rawRequest(`${server.endpoint}/webhooks/create`, {
        method: 'POST',
        apiKey: server.apiKey,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url: webhookUrl }),
      })
      assert.equal(created.status, 200, created.text)
      return created.json.webhook.webhook_id
    }
    const webhookId = await createWebhook()
    await publish(server.endpoint, server.apiKey, [
      {
        event_type: 'lock.locked',
        device_id: randomUUID(),
        connected_account_id: randomUUID(),
        method: 'keycode',
      },
    ])
    // No worker here, so the publish's deliveries are not made yet: a test delivery is one at once.
    const testDelivery = await rawRequest(`${server.endpoint}/webhooks/send_test_event`, {
      method: 'POST',
      apiKey: server.apiKey,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ webhook_id: webhookId }),
    })
    assert.equal(testDelivery.status, 200, testDelivery.text)
    const deliveryId = testDelivery.json.delivery.delivery_id
    const recovery = await rawRequest(`${server.endpoint}/webhooks/recover`, {
      method: 'POST',
      apiKey: server.apiKey,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ webhook_id: webhookId, since: '2024-01-01T00:00:00Z' }),
    })
    const recoveryId = recovery.json.recovery.recovery_id

    const ajv = new Ajv2020({ strict: false, allErrors: true })
    addFormats.default(ajv)
    ajv.addSchema(document, 'openapi.json')

    const exercised: string[] = []
    for (const { method, path, operation } of operationsOf(document)) {
      const params = exampleOf(document, requestSchemaOf(document, path, operation))
      const real: Record<string, string> = {
        event_id: event?.['event_id'],
        webhook_id: path === '/webhooks/delete' ? await createWebhook() : webhookId,
        delivery_id: deliveryId,
        recovery_id: recoveryId,
        url: webhookUrl,
      }
      for (const name of Object.keys(params)) {
        if (real[name] !== undefined) params[name] = real[name]
      }
      if (path === '/events/get') params.event_type = event?.['event_type']
      // The examples' since (2024) is more than the 1,000 daily buckets a histogram may hold.
      if (path === '/events/histogram' && params.since !== undefined) {
        params.since = new Date(Date.now() - 86_400_000).toISOString()
      }

      let url = `${server.endpoint}${path}`
      const init: RequestInit & { apiKey?: string } = {
        method: method.toUpperCase(),
        apiKey: server.apiKey,
      }
      if (operation.requestBody !== undefined) {
        init.headers = { 'content-type': 'application/json' }
        init.body = JSON.stringify(params)
      } else {
        const search = new URLSearchParams()
        for (const [name, value] of Object.entries(params)) {
          for (const item of [value].flat()) search.append(name, String(item))
        }
        if ([...search].length > 0) url += `?${search}`
      }
      const request = `${method.toUpperCase()} ${path} ${JSON.stringify(params)}`
      const eventStream = operation.responses['200'].content['text/event-stream']
      if (eventStream !== undefined) {
        // A stream never ends: open it, publish, and check the event it sends against the schema.
        const stream = await openStream(url, { apiKey: server.apiKey })
        try {
          assert.equal(stream.response.status, 200, request)
          const [published] = await publish(server.endpoint, server.apiKey, [
            { event_type: 'lock.unlocked', device_id: randomUUID(), connected_account_id: randomUUID(), method: 'manual' },
          ])
          const [message] = (await stream.take(1)) as [SseMessage]
          assert.equal(JSON.parse(message.data).event_id, published?.['event_id'], request)
          const pointer = `/paths/${path.replace(/\//g, '~1')}/${method}/responses/200/content/text~1event-stream/schema`
          const matches = ajv.compile({ $ref: `openapi.json#${pointer}` })
          assert.ok(matches(JSON.parse(message.data)), `${request}: ${ajv.errorsText(matches.errors)}`)
        } finally {
          stream.close()
        }
        exercised.push(`${method} ${path}`)
        continue
      }
      const response = await rawRequest(url, init)
      assert.equal(response.status, 200, `${request}: ${response.text}`)

      const pointer = `/paths/${path.replace(/\//g, '~1')}/${method}/responses/200/content/application~1json/schema`
      const matches = ajv.compile({ $ref: `openapi.json#${pointer}` })
      assert.ok(
        matches(response.json),
        `${request}: the answer does not match the reference: ${ajv.errorsText(matches.errors)}`,
      )
      exercised.push(`${method} ${path}`)
    }
    assert.equal(exercised.length, operationsOf(document).length)

    // An error answer matches the Error component.
    const refused = await rawRequest(`${server.endpoint}/events/list?limit=0`, { apiKey: server.apiKey })
    const isError = ajv.compile({ $ref: 'openapi.json#/components/schemas/Error' })
    assert.ok(isError(refused.json), ajv.errorsText(isError.errors))
  })
})

describeEachBackend("the reference's webhooks section", (backend) => {
  let server: TestServer
  let receiver: WebhookReceiver
  before(async () => {
    server = await startTestServer({ backend })
    receiver = await startWebhookReceiver()
  })
  after(async () => {
    await server.close()
    await receiver.close()
  })

  it('describes the request a webhook url receives: its headers and its body', async () => {
    const document = (await rawRequest(`${server.endpoint}/openapi.json`)).json
    const delivery = document.webhooks.event.post
    const created = await rawRequest(`${server.endpoint}/webhooks/create`, {
      method: 'POST',
      apiKey: server.apiKey,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: receiver.url }),
    })
    assert.equal(created.status, 200, created.text)
    await publish(server.endpoint, server.apiKey, [
      {
        event_type: 'lock.unlocked',
        device_id: randomUUID(),
        connected_account_id: randomUUID(),
        method: 'keycode',
      },
    ])
    await receiver.waitFor((received) => received.length === 1)
    const [received] = receiver.received
    assert.ok(received)

    const documentedHeaders = delivery.parameters.map((parameter: Json) => parameter.name).sort()
    const sentHeaders = Object.keys(received.headers).filter((name) =>
      /^(webhook|svix)-/.test(name),
    )
    assert.deepEqual(sentHeaders.sort(), documentedHeaders)

    const ajv = new Ajv2020({ strict: false, allErrors: true })
    addFormats.default(ajv)
    ajv.addSchema(document, 'openapi.json')
    const matches = ajv.compile({
      $ref: 'openapi.json#/webhooks/event/post/requestBody/content/application~1json/schema',
    })
    assert.ok(matches(JSON.parse(received.body)), ajv.errorsText(matches.errors))
  })
})

describeEachBackend('GET /openapi.json on a server that takes unknown event types', (backend) => {
  let server: TestServer
  before(async () => {
    server = await startTestServer({ backend, worker: false, allowUnknownEventTypes: true })
  })
  after(() => server.close())

  it('documents event types as a pattern rather than an enum, and still validates', async () => {
    const document = (await rawRequest(`${server.endpoint}/openapi.json`)).json
    const eventType = document.paths['/events/list'].get.parameters.find(
      (parameter: Json) => parameter.name === 'event_type',
    )
    assert.equal(eventType.schema.enum, undefined)
    assert.equal(new RegExp(eventType.schema.pattern).test('bridge.custom_thing'), true)
    const result = await validate(document, { resolve: { external: false } })
    assert.ok(result.valid, result.valid ? '' : compileErrors(result))

    const accepted = await rawRequest(
      `${server.endpoint}/events/list?since=2024-01-01T00:00:00Z&event_type=bridge.custom_thing`,
      { apiKey: server.apiKey },
    )
    assert.equal(accepted.status, 200)
  })
})

it('refuses to build the reference while a route has no docs', () => {
  const { docs: _docs, ...undocumented } = listEventsRoute
  assert.throws(
    () => assertRoutesDocumented([undocumented as typeof listEventsRoute]),
    /Routes without API reference.*\/events\/list/,
  )
})

describeEachBackend('GET /docs', (backend) => {
  let server: TestServer
  before(async () => {
    server = await startTestServer({ backend, worker: false })
  })
  after(() => server.close())

  it('is a page whose every script, style and icon is served by this server', async () => {
    const page = await rawRequest(`${server.endpoint}/docs`)
    assert.equal(page.status, 200)
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/)
    // The browser itself refuses anything from another origin.
    assert.equal(page.headers.get('content-security-policy'), docsContentSecurityPolicy)
    for (const directive of docsContentSecurityPolicy.split('; ')) {
      const [, ...sources] = directive.split(' ')
      for (const source of sources) assert.match(source, /^('self'|'none'|'unsafe-inline'|data:)$/)
    }
    assert.match(docsContentSecurityPolicy, /default-src 'self'/)

    const references = [...page.text.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((match) => match[1] ?? '')
    assert.ok(references.length >= 3, page.text)
    for (const reference of references) {
      assert.match(reference, /^\/[^/]/, `${reference} is not on this server`)
      const asset = await rawRequest(`${server.endpoint}${reference}`)
      assert.equal(asset.status, 200, reference)
      if (reference.endsWith('.css')) {
        assert.doesNotMatch(asset.text, /@import|url\(\s*['"]?(https?:)?\/\//, `${reference} loads from elsewhere`)
      }
      if (reference.endsWith('.js') && !reference.includes('/assets/')) {
        // Our initializer: the document from here, and no validator badge from swagger.io.
        assert.match(asset.text, /url: '\/openapi\.json'/)
        assert.match(asset.text, /validatorUrl: null/)
        assert.doesNotMatch(asset.text, /https?:\/\//)
      }
    }
  })

  it("does not serve swagger-ui-dist's other files, such as its petstore page", async () => {
    for (const path of ['/docs/assets/index.html', '/docs/assets/swagger-initializer.js']) {
      const response = await rawRequest(`${server.endpoint}${path}`)
      assert.equal(response.status, 404, path)
      assert.equal(response.json.error.type, 'not_found')
    }
  })
})
