// The web console driven in headless Chromium against the real server, as a person uses it:
// sign in, filter, read the chart, open an event, watch a live one arrive, manage a webhook and
// its deliveries. Screenshots of every page land in test-results/ for review. Without Chromium
// every test here is reported as skipped, by name.

import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, test } from 'node:test'

import type { Browser, BrowserContext, Page } from 'playwright-core'

import { describeEachBackend } from './support/backends.ts'
import { launchBrowser, screenshot, skipWithoutChromium, until } from './support/browser.ts'
import { publish } from './support/http.ts'
import { sampleEventFor } from './support/sample-events.ts'
import { startTestServer, type TestServer } from './support/test-server.ts'
import { assertAllVerify, callOk, lockUnlocked } from './support/webhook-api.ts'
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.ts'

const skip = skipWithoutChromium

describeEachBackend('the web console in Chromium', (backend) => {
  let server: TestServer
  let receiver: WebhookReceiver
  let browser: Browser
  let context: BrowserContext
  let page: Page
  const deviceA = randomUUID()
  const deviceB = randomUUID()
  const requestedUrls: string[] = []
  const consoleProblems: string[] = []

  before(async () => {
    if (skip !== false) return
    server = await startTestServer({ backend })
    receiver = await startWebhookReceiver()
    // A spread of types and devices to filter and chart: 4 lock.unlocked, 2 lock.locked,
    // 2 device.connected.
    await publish(server.endpoint, server.apiKey, [
      lockUnlocked(deviceA),
      lockUnlocked(deviceA),
      lockUnlocked(deviceA),
      lockUnlocked(deviceB),
      { ...sampleEventFor('lock.locked', 1), device_id: deviceA },
      { ...sampleEventFor('lock.locked', 2), device_id: deviceA },
      { ...sampleEventFor('device.connected', 3), device_id: deviceB },
      { ...sampleEventFor('device.connected', 4), device_id: deviceB },
    ])
    browser = await launchBrowser()
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    page = await context.newPage()
    page.on('request', (request) => requestedUrls.push(request.url()))
    page.on('console', (message) => {
      if (message.type() === 'error') consoleProblems.push(message.text())
    })
    page.on('pageerror', (error) => consoleProblems.push(error.message))
    page.on('response', (response) => {
      if (response.status() >= 400) consoleProblems.push(`${response.status()} ${response.url()}`)
    })
  })

  after(async () => {
    await browser?.close()
    await receiver?.close()
    await server?.close()
  })

  // The page's own code runs in the browser: expressions as strings keep DOM types out of tsc.
  const rows = () => page.locator('table.events tbody tr')
  const chartCaption = () => page.locator('.chart figcaption')
  const waitForChartTotal = async (total: number): Promise<void> => {
    await page.locator('.chart figcaption', { hasText: new RegExp(`^${total} events? from`) }).waitFor()
  }
  const waitForRowCount = async (count: number): Promise<void> => {
    await until(async () => (await rows().count()) === count, `the table shows ${count} events`)
  }

  test('signs in with an API key, kept in session storage and never in a URL', { skip }, async () => {
    await page.goto(`${server.endpoint}/console`)
    await page.getByLabel('API key').waitFor()
    await screenshot(page, 'console-1-sign-in')

    // A wrong key is refused with the server's message, and the form stays.
    await page.getByLabel('API key').fill('seam_wrong_key')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('alert').filter({ hasText: 'Invalid API key' }).waitFor()

    // Keyboard only: the field has focus; type and press Enter.
    await page.getByLabel('API key').fill('')
    await page.getByLabel('API key').focus()
    await page.keyboard.type(server.apiKey)
    await page.keyboard.press('Enter')
    await waitForRowCount(8)

    const stored = await page.evaluate(`sessionStorage.getItem('seam-events-console.api-key')`)
    assert.equal(stored, server.apiKey)
    assert.ok(!page.url().includes(server.apiKey))
    assert.ok(requestedUrls.every((url) => !url.includes(server.apiKey)), 'the key never appears in a URL')
    await screenshot(page, 'console-2-events')
  })

  test('filters events by type and by device', { skip }, async () => {
    await page.getByLabel('Event types', { exact: true }).fill('lock.unlocked')
    await page.getByLabel('Event types', { exact: true }).press('Enter')
    await page.getByRole('button', { name: 'Apply filters' }).click()
    await waitForRowCount(4)
    assert.deepEqual(
      new Set(await rows().locator('td[data-label="Type"]').allTextContents()),
      new Set(['lock.unlocked']),
    )

    await page.getByLabel('Device id').fill(deviceB)
    await page.getByRole('button', { name: 'Apply filters' }).click()
    await waitForRowCount(1)
    assert.equal(await rows().locator('td[data-label="Device"]').textContent(), deviceB)
    await screenshot(page, 'console-3-filtered')

    // Several devices at once (device_ids).
    await page.getByLabel('Device id').fill(`${deviceA}, ${deviceB}`)
    await page.getByRole('button', { name: 'Apply filters' }).click()
    await waitForRowCount(4)

    // Back to everything: remove the type chip and clear the device.
    await page.getByRole('button', { name: 'Remove lock.unlocked' }).click()
    await page.getByLabel('Device id').fill('')
    await page.getByRole('button', { name: 'Apply filters' }).click()
    await waitForRowCount(8)
  })

  test('charts event counts per type over the range', { skip }, async () => {
    const legend = page.locator('.legend li')
    await legend.first().waitFor()
    const entries = (await legend.allTextContents()).map((text) => text.replace(/\s+/g, ' ').trim())
    assert.deepEqual(entries.sort(), ['device.connected 2', 'lock.locked 2', 'lock.unlocked 4'])
    assert.match((await chartCaption().textContent()) ?? '', /^8 events from /)
    assert.ok((await page.locator('.chart svg rect.bar').count()) >= 1, 'bars are drawn')

    // A type filter narrows the chart too.
    await page.getByLabel('Event types', { exact: true }).fill('lock.locked')
    await page.getByRole('button', { name: 'Apply filters' }).click()
    await waitForChartTotal(2)
    assert.deepEqual(
      (await legend.allTextContents()).map((text) => text.replace(/\s+/g, ' ').trim()),
      ['lock.locked 2'],
    )
    await page.getByRole('button', { name: 'Remove lock.locked' }).click()
    await page.getByRole('button', { name: 'Apply filters' }).click()
    await waitForRowCount(8)

    // A click on a bar zooms the range to its bucket: finer buckets, the same 8 events.
    const wideCaption = (await chartCaption().textContent()) ?? ''
    await page.locator('.chart g.bucket').filter({ has: page.locator('rect.bar') }).first().click()
    await until(async () => (await page.getByLabel('Time range').inputValue()) === 'between', 'the range is custom')
    await until(
      async () => (await chartCaption().count()) === 1 && (await chartCaption().textContent()) !== wideCaption,
      'the chart is redrawn',
    )
    assert.match((await chartCaption().textContent()) ?? '', /^8 events from .* per (minute|\d+ minutes)$/)
    await waitForRowCount(8)
    await screenshot(page, 'console-3b-zoomed')
    await page.getByLabel('Time range').selectOption(String(24 * 3600))
    await page.getByRole('button', { name: 'Apply filters' }).click()
    await waitForChartTotal(8)
  })

  test('opens an event to show its raw JSON, from the keyboard', { skip }, async () => {
    const firstType = rows().first().getByRole('button')
    await firstType.focus()
    await page.keyboard.press('Enter')
    const dialog = page.locator('dialog[open]')
    await dialog.waitFor()
    const raw = JSON.parse((await dialog.locator('pre.raw-json').textContent()) ?? '')
    const stored = await callOk(server, '/events/get', { event_id: raw.event_id })
    assert.deepEqual(raw, stored.event, 'the detail shows the event exactly as the API returns it')
    await screenshot(page, 'console-4-event-detail')

    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'detached' })
    assert.equal(await page.evaluate('document.activeElement?.textContent'), raw.event_type)
  })

  test('shows a live event as it is published', { skip }, async () => {
    await page.getByLabel('Live').check()
    await page.getByRole('status').filter({ hasText: 'Live: 0 new event(s)' }).waitFor()
    const liveDevice = randomUUID()
    const [published] = await publish(server.endpoint, server.apiKey, [lockUnlocked(liveDevice)])
    const liveRow = page.locator('table.events tbody tr.new').filter({ hasText: liveDevice })
    await liveRow.waitFor()
    assert.equal(await rows().first().locator('td[data-label="Device"]').textContent(), liveDevice)
    assert.equal(await liveRow.locator('td[data-label="Type"]').textContent(), published?.event_type)
    await waitForChartTotal(9)
    await screenshot(page, 'console-5-live')
    await page.getByLabel('Live').uncheck()
  })

  test('creates a webhook, shows its secret once, and lists its deliveries', { skip }, async () => {
    await page.getByRole('link', { name: 'Webhooks' }).click()
    await page.getByText('No webhooks yet.').waitFor()
    await page.getByLabel('URL').fill(receiver.url)
    await page.getByRole('button', { name: 'Create webhook' }).click()
    const secret = (await page.getByTestId('webhook-secret').textContent()) ?? ''
    assert.match(secret, /^whsec_/)
    await screenshot(page, 'console-6-webhook-created')
    await page.getByRole('button', { name: 'I have saved it' }).click()
    assert.equal(await page.getByTestId('webhook-secret').count(), 0, 'the secret is not shown again')
    assert.ok(!(await page.content()).includes(secret), 'nor anywhere else on the page')

    await page.getByRole('link', { name: receiver.url }).click()
    await page.getByRole('heading', { name: 'Deliveries' }).waitFor()
    const [event] = await publish(server.endpoint, server.apiKey, [lockUnlocked(deviceA)])
    const delivery = page.locator('ul.deliveries li').filter({ hasText: 'lock.unlocked' })
    await delivery.locator('.badge-succeeded').waitFor()
    await delivery.locator('summary').click()
    const attempt = delivery.locator('table.attempts tbody tr').first()
    assert.equal(await attempt.locator('td[data-label="Status"]').textContent(), '200')
    assert.match((await attempt.locator('td[data-label="Duration"]').textContent()) ?? '', /^\d+ ms$/)
    assert.equal(await attempt.locator('td[data-label="Response"]').textContent(), 'ok')
    await receiver.waitFor((received) => received.some((d) => JSON.parse(d.body).event_id === event?.event_id))
    assertAllVerify(receiver, secret)
    await screenshot(page, 'console-7-webhook-deliveries')

    // Retry: a second attempt is made and shown.
    await delivery.getByRole('button', { name: 'Retry now' }).click()
    await delivery.getByText('2 attempt(s)').waitFor()
    await receiver.waitFor((received) => received.filter((d) => JSON.parse(d.body).event_id === event?.event_id).length === 2)
  })

  test('edits, disables, recovers a window for and deletes a webhook', { skip }, async () => {
    const webhookId = (await page.locator('dd code').first().textContent()) ?? ''
    await page.getByLabel('Event types', { exact: true }).fill('lock.*')
    await page.getByRole('button', { name: 'Save event types' }).click()
    await page.getByText('Event types saved').waitFor()
    assert.deepEqual((await callOk(server, '/webhooks/get', { webhook_id: webhookId })).webhook.event_types, ['lock.*'])

    await page.getByRole('button', { name: 'Disable' }).click()
    await page.locator('.badge-disabled').waitFor()
    assert.equal((await callOk(server, '/webhooks/get', { webhook_id: webhookId })).webhook.disabled, true)
    await page.getByRole('button', { name: 'Enable' }).click()
    await page.locator('.badge-enabled').first().waitFor()

    // Recover from an hour ago to a minute ahead: every lock.* event so far is sent again.
    const before = receiver.received.length
    // In the browser's time zone, as a datetime-local field takes it.
    const aMinuteAhead = await page.evaluate<string>(
      'new Date(Date.now() + 60000 - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 19)',
    )
    await page.getByLabel('To', { exact: true }).fill(aMinuteAhead)
    await page.getByRole('button', { name: 'Recover' }).click()
    const status = page.locator('.recovery')
    await status.getByText(/^Completed/).waitFor()
    await page.locator('.recovery', { hasText: ' 0 pending' }).waitFor()
    // 4 + 2 lock events seeded, 1 live, 1 delivered above: 8 in the window.
    assert.match((await status.textContent()) ?? '', /scanned 10 of 10 events, 8 deliveries queued \(8 succeeded/)
    await receiver.waitFor((received) => received.length === before + 8)
    await screenshot(page, 'console-8-webhook-recovered')

    await page.getByRole('button', { name: 'Delete' }).click()
    await page.getByRole('button', { name: 'Delete webhook' }).click()
    await page.getByText('No webhooks yet.').waitFor()
    assert.deepEqual((await callOk(server, '/webhooks/list', {})).webhooks, [])
  })

  test('fits a phone screen', { skip }, async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true })
    const phonePage = await phone.newPage()
    phonePage.on('request', (request) => requestedUrls.push(request.url()))
    await phonePage.goto(`${server.endpoint}/console/`)
    await phonePage.getByLabel('API key').fill(server.apiKey)
    await phonePage.getByRole('button', { name: 'Sign in' }).click()
    await phonePage.locator('table.events tbody tr').first().waitFor()
    const overflow = await phonePage.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth')
    assert.ok(overflow <= 0, `the events page is ${overflow}px wider than the phone`)
    await screenshot(phonePage, 'console-9-phone-events')
    await phonePage.getByRole('link', { name: 'Webhooks' }).click()
    await phonePage.getByRole('heading', { name: 'New webhook' }).waitFor()
    await screenshot(phonePage, 'console-10-phone-webhooks')
    await phone.close()
  })

  test('links to the API reference, which renders every route from /openapi.json', { skip }, async () => {
    await page.getByRole('link', { name: 'API reference' }).click()
    await page.waitForURL(`${server.endpoint}/docs`)
    const document = (await (await fetch(`${server.endpoint}/openapi.json`)).json()) as { paths: object }
    const paths = Object.keys(document.paths)
    assert.ok(paths.includes('/events/list'))
    // Swagger UI shows each path once per method; every path must be on the page.
    await page.locator('.opblock-summary-path').first().waitFor()
    const shown = new Set(await page.locator('.opblock-summary-path').allTextContents())
    for (const path of paths) assert.ok([...shown].some((text) => text.includes(path)), `${path} is shown`)
    await screenshot(page, 'console-11-api-reference')
    await page.goBack()
  })

  test('loads nothing from any other origin and logs no errors', { skip }, async () => {
    const origin = new URL(server.endpoint).origin
    assert.ok(requestedUrls.length > 0)
    const foreign = requestedUrls.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith('data:'))
    assert.deepEqual(foreign, [])
    // The wrong key refused at sign-in is the one failed request (401); nothing else may fail.
    assert.deepEqual(
      consoleProblems.filter((text) => !text.includes('401')),
      [],
    )
    assert.ok(consoleProblems.some((text) => text.startsWith('401 ') && text.endsWith('/events/list')))
  })
})
