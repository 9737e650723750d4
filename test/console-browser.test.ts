// The web console driven in headless Chromium against the real server, on a seeded workspace
// (300 events of the simulated fleet, published through the API), as a person uses it: sign in,
// read the workspace in the header, filter from the compact bar and from any id, share and
// reload every view by its address, read the chart, follow a live event, run the webhook portal
// (description, success rate, last delivery, request and responses, test event, retry all
// failed), fit a phone, and pass an accessibility audit (axe-core) on every page. With
// CONSOLE_SCREENSHOTS=1 (`npm run screenshots`) it writes full-page screenshots of every page at
// 1440x900 and 390x844 into docs/screenshots/. Without Chromium every test here is skipped, by name.

import assert from 'node:assert/strict'
import { mkdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { after, before, test } from 'node:test'

import type { Browser, BrowserContext, Page } from 'playwright-core'

import { createFleet } from '../src/domain/fleet/fleet.ts'
import { takeFleetEvents } from '../src/domain/fleet/fleet-events.ts'
import { describeEachBackend } from './support/backends.ts'
import { launchBrowser, skipWithoutChromium, until } from './support/browser.ts'
import { publish } from './support/http.ts'
import { startTestServer, type TestServer } from './support/test-server.ts'
import { assertAllVerify, callOk, lockUnlocked, waitForDeliveries } from './support/webhook-api.ts'
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.ts'

const skip = skipWithoutChromium
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
const desktop = { width: 1440, height: 900 }
const phone = { width: 390, height: 844 }
/** Screenshots for the README: written only when asked, so that a test run changes no file. */
const screenshotDirectory = process.env['CONSOLE_SCREENSHOTS'] === '1' ? join(process.cwd(), 'docs', 'screenshots') : undefined

async function screenshot(page: Page, name: string): Promise<void> {
  if (screenshotDirectory === undefined) return
  mkdirSync(screenshotDirectory, { recursive: true })
  const { width } = page.viewportSize() ?? desktop
  await page.screenshot({ path: join(screenshotDirectory, `${name}-${width === phone.width ? 'phone' : 'desktop'}.png`), fullPage: true })
}

/**
 * Runs axe-core in the page and fails on any violation, whatever its impact. The source goes in
 * through the DevTools protocol (page.evaluate): addScriptTag inserts an inline script, which
 * the console's content security policy ('self') rightly refuses.
 */
async function assertAccessible(page: Page, what: string): Promise<void> {
  await page.evaluate(axeSource)
  const result = (await page.evaluate(
    `axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) })))`,
  )) as { id: string; impact: string; help: string; nodes: string[] }[]
  assert.deepEqual(result, [], `${what}: accessibility violations`)
}

/** How far the page is wider than its viewport: 0 when nothing overflows. */
async function overflowOf(page: Page): Promise<number> {
  return await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth')
}

describeEachBackend('the web console in Chromium', { timeout: 180_000 }, (backend) => {
  let server: TestServer
  let receiver: WebhookReceiver
  let flaky: WebhookReceiver
  let browser: Browser
  let context: BrowserContext
  let page: Page
  let publishKey: string
  let seeded: Record<string, any>[] = []
  const requestedUrls: string[] = []
  const consoleProblems: string[] = []

  before(async () => {
    if (skip !== false) return
    server = await startTestServer({ backend })
    receiver = await startWebhookReceiver()
    flaky = await startWebhookReceiver()
    publishKey = (await server.createKey(server.workspaceId, 'publish')).apiKey
    // A webhook that receives everything, so that events have deliveries to show.
    await callOk(server, '/webhooks/create', { url: receiver.url, description: 'Everything, for the front desk' })
    // 300 varied events of a simulated fleet: locks, thermostats, access systems, accounts...
    const fleet = createFleet({ seed: 20, devices: 20 })
    const timed = takeFleetEvents(fleet, { start: Date.now() - 3600_000, intervalMs: 12_000 }, 300)
    for (let index = 0; index < timed.length; index += 100) {
      const batch = timed.slice(index, index + 100).map(({ event, at }) => ({ ...event, occurred_at: new Date(at).toISOString() }))
      seeded = [...seeded, ...(await publish(server.endpoint, server.apiKey, batch))]
    }
    browser = await launchBrowser()
    context = await browser.newContext({ viewport: desktop })
    page = await context.newPage()
    page.on('request', (request) => requestedUrls.push(request.url()))
    page.on('console', (message) => {
      if (message.type() === 'error') consoleProblems.push(message.text())
    })
    page.on('pageerror', (error) => consoleProblems.push(error.message))
  })

  after(async () => {
    await browser?.close()
    await receiver?.close()
    await flaky?.close()
    await server?.close()
  })

  const rows = () => page.locator('table.events tbody tr')
  const query = () => new URLSearchParams(new URL(page.url()).hash.split('?')[1] ?? '')
  const firstRowId = async () => await rows().first().getAttribute('data-event-id')
  const signIn = async (target: Page, key: string) => {
    await target.getByLabel('API key').fill(key)
    await target.getByRole('button', { name: 'Sign in' }).click()
  }

  test('signs in, refusing keys the console cannot use in its own words, and names the workspace', { skip }, async () => {
    await page.goto(`${server.endpoint}/console/`)
    await page.getByLabel('API key').waitFor()
    await assertAccessible(page, 'sign-in page')
    await screenshot(page, 'sign-in')

    await signIn(page, 'seam_wrong_key')
    await page.getByRole('alert').filter({ hasText: /^This API key was not accepted \(Invalid API key\)/ }).waitFor()
    await signIn(page, publishKey)
    await page.getByRole('alert').filter({ hasText: /^This key can only publish events\. The console reads events and webhooks/ }).waitFor()

    // Keyboard only: type the key and press Enter.
    await page.getByLabel('API key').fill('')
    await page.getByLabel('API key').focus()
    await page.keyboard.type(server.apiKey)
    await page.keyboard.press('Enter')
    await rows().first().waitFor()
    assert.equal(await page.getByTestId('workspace-name').innerText(), 'Test workspace')
    assert.equal(query().get('ws'), server.workspaceId, 'the address names the workspace')
    assert.ok(requestedUrls.every((url) => !url.includes(server.apiKey)), 'the key never appears in a URL')
  })

  test('puts the list first, under a compact filter bar, 25 a page', { skip }, async () => {
    await until(async () => (await rows().count()) === 25, 'the first page holds 25 events')
    const firstRow = await rows().first().boundingBox()
    assert.ok(firstRow !== null && firstRow.y + firstRow.height <= desktop.height, `the first row ends at ${firstRow?.y} px, inside a 900 px window`)
    assert.equal(await page.locator('#filter-panel').isHidden(), true, 'the other filters wait behind "Filters"')
    await page.getByRole('button', { name: 'Filters', exact: true }).click()
    await page.getByLabel('Device id').waitFor()
    await page.getByRole('button', { name: 'Filters', exact: true }).click()
    await assertAccessible(page, 'events page')
    await screenshot(page, 'events')
  })

  test('keeps every view in the address: page, filters, open event; reload, back and forward show it again', { skip }, async () => {
    const newest = await firstRowId()
    await page.getByRole('link', { name: 'Older →' }).first().click()
    await until(async () => query().getAll('cursor').length === 1 && (await firstRowId()) !== newest, 'page 2 is shown')
    const secondPageFirst = await firstRowId()
    await page.reload()
    await until(async () => (await firstRowId()) === secondPageFirst, 'the reload shows page 2 again')
    await page.goBack()
    await until(async () => (await firstRowId()) === newest, 'back shows page 1')
    await page.goForward()
    await until(async () => (await firstRowId()) === secondPageFirst, 'forward shows page 2')
    await page.goBack()

    // A type from the bar, then the 7-day range: both in the address.
    await page.getByLabel('Event types', { exact: true }).fill('lock.unlocked')
    await page.getByLabel('Event types', { exact: true }).press('Enter')
    await until(async () => query().get('types') === 'lock.unlocked', 'the type is in the address')
    await page.getByLabel('Time range').selectOption({ label: 'Last 7 days' })
    await until(async () => query().get('range') === '7d', 'the range is in the address')
    const unlocked = seeded.filter((event) => event.event_type === 'lock.unlocked')
    await until(async () => (await rows().count()) === Math.min(25, unlocked.length), 'only lock.unlocked events')
    assert.deepEqual(new Set(await rows().locator('td[data-label="Type"]').allInnerTexts()), new Set(['lock.unlocked']))

    // Any id in a row is a link that filters by it.
    const shownId = await firstRowId()
    const deviceId = seeded.find((event) => event.event_id === shownId)?.device_id as string
    await rows().first().locator('td.ids a[href*="device_id="]').click()
    await until(async () => query().get('device_id') === deviceId, 'the device is in the address')
    const ofDevice = unlocked.filter((event) => event.device_id === deviceId)
    await until(async () => (await rows().count()) === Math.min(25, ofDevice.length), "only that device's unlocks")
    await page.getByRole('button', { name: 'Remove the Device id filter' }).waitFor()

    // A pasted link opens the same view in a new tab, the open event included.
    await rows().first().getByRole('link', { name: 'lock.unlocked' }).click()
    const dialog = page.locator('dialog[open]')
    await dialog.waitFor()
    const eventId = query().get('event') as string
    assert.equal(eventId, await rows().first().getAttribute('data-event-id'))
    const shared = page.url()
    const other = await context.newPage()
    await other.goto(shared)
    // A new tab has no key yet (it is kept per tab): signed in, it opens the shared view.
    await signIn(other, server.apiKey)
    await other.locator('dialog[open]').waitFor()
    const raw = JSON.parse((await other.locator('dialog[open] pre.raw-json').textContent()) ?? '')
    assert.deepEqual(raw, (await callOk(server, '/events/get', { event_id: eventId })).event, 'exactly as the API returns it')
    assert.equal(await other.getByLabel('Time range').inputValue(), String(7 * 86400))
    await other.close()

    // The detail names the webhooks it went to by URL, with each attempt; its ids filter.
    await dialog.locator('.event-deliveries li', { hasText: receiver.url }).waitFor()
    await dialog.locator('.attempt-list li', { hasText: '200' }).first().waitFor()
    await assertAccessible(page, 'an open event')
    await screenshot(page, 'event-detail')
    await dialog.getByRole('link', { name: String(raw.connected_account_id) }).click()
    await until(async () => query().get('connected_account_id') === raw.connected_account_id && query().get('event') === null, 'filtered by the account')
    await dialog.waitFor({ state: 'detached' })
    await page.goBack()
    await dialog.waitFor()
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'detached' })
    // The address follows the closed dialog in the same update, but may land a moment after it.
    await until(async () => query().get('event') === null, 'closing the event takes it out of the address')
  })

  test('charts counts with an axis, gridlines and a tooltip per bucket, fitted to the data', { skip }, async () => {
    await page.goto(`${server.endpoint}/console/#/events?ws=${server.workspaceId}&range=7d`)
    const caption = page.locator('.chart figcaption')
    // The 300 events arrived within a minute: the week is fitted to them.
    await caption.filter({ hasText: /^300 events from .* from the first event in the range$/ }).waitFor()
    assert.ok((await page.locator('.chart .y-axis span').count()) >= 3, 'the axis has ticks')
    assert.ok((await page.locator('.chart line.grid').count()) >= 2, 'gridlines')
    assert.ok((await page.locator('.chart .x-axis span').count()) >= 1, 'times along the bottom')
    const filled = page.locator('.chart g.bucket:not([data-total="0"])').first()
    const total = Number(await filled.getAttribute('data-total'))
    await filled.hover()
    const tooltip = page.locator('#chart-tooltip')
    await tooltip.filter({ hasText: `${total.toLocaleString('en-US')} event` }).waitFor()
    // From the keyboard too: focus the plot, arrow to a bar.
    await page.locator('.chart .plot').focus()
    await page.keyboard.press('ArrowRight')
    await tooltip.waitFor()
    await screenshot(page, 'events-chart')

    // A bad filter: the list and the chart each say what failed.
    await page.goto(`${server.endpoint}/console/#/events?ws=${server.workspaceId}&device_id=not-a-uuid`)
    await page.locator('.table-wrap [role="alert"]', { hasText: /^The events could not be listed: / }).waitFor()
    await page.locator('.chart [role="alert"]', { hasText: /^The chart could not be drawn: / }).waitFor()
    assert.equal(await page.getByText('No events match these filters.').count(), 0)
  })

  test("shows times in the viewer's zone, named, UTC on hover, never wrapped", { skip }, async () => {
    await page.goto(`${server.endpoint}/console/#/events?ws=${server.workspaceId}`)
    const time = rows().first().locator('time')
    await time.waitFor()
    const iso = (await time.getAttribute('datetime')) as string
    assert.equal(await time.getAttribute('title'), `${iso.replace('T', ' ').slice(0, 19)} UTC`)
    const zoneName = await page.evaluate<string>(
      `new Intl.DateTimeFormat(undefined, { timeZoneName: 'short' }).formatToParts(new Date(${JSON.stringify(iso)})).find((p) => p.type === 'timeZoneName').value`,
    )
    assert.ok((await time.innerText()).endsWith(zoneName), `the time names its zone (${zoneName})`)
    const lines = await time.evaluate(
      (element: any) => Math.round(element.getBoundingClientRect().height / parseFloat((globalThis as any).getComputedStyle(element).lineHeight)),
    )
    assert.equal(lines, 1, 'one line')
  })

  test('follows a live event as it is published', { skip }, async () => {
    await page.getByLabel('Live').check()
    await page.getByRole('status').filter({ hasText: 'Live: 0 new event(s)' }).waitFor()
    const [published] = await publish(server.endpoint, server.apiKey, [lockUnlocked()])
    await page.locator(`table.events tbody tr.new[data-event-id="${published?.event_id}"]`).waitFor()
    await page.getByLabel('Live').uncheck()
  })

  test('lists webhooks with description, status, success rate and last delivery', { skip }, async () => {
    await page.getByRole('link', { name: 'Webhooks', exact: true }).click()
    const row = page.locator('table.webhooks tbody tr', { hasText: receiver.url })
    await row.waitFor()
    assert.equal(await row.locator('.description').innerText(), 'Everything, for the front desk')
    assert.equal(await row.locator('td[data-label="Status"]').innerText(), 'enabled')
    await until(async () => /^100 %/.test(await row.locator('td[data-label="Success (24 h)"]').innerText()), 'a 100 % success rate')
    assert.match(await row.locator('td[data-label="Last delivery"]').innerText(), /^200 /)

    // A second webhook, created here, to a receiver that fails.
    flaky.reply = () => ({ status: 503, body: 'maintenance' })
    await page.getByLabel('URL').fill(flaky.url)
    await page.getByLabel('Description').fill('Failing on purpose')
    await page.getByLabel('Event types', { exact: true }).fill('lock.*')
    await page.getByRole('button', { name: 'Create webhook' }).click()
    const secret = (await page.getByTestId('webhook-secret').textContent()) ?? ''
    assert.match(secret, /^whsec_/)
    await page.getByRole('button', { name: 'I have saved it' }).click()
    await page.locator('table.webhooks tbody tr', { hasText: 'Failing on purpose' }).waitFor()
    await assertAccessible(page, 'webhooks page')
    await screenshot(page, 'webhooks')
  })

  test("opens a webhook: sends a test event and shows its request as sent and the receiver's response", { skip }, async () => {
    await page.getByRole('link', { name: receiver.url }).click()
    await page.getByRole('heading', { name: 'Deliveries' }).waitFor()
    await page.getByText('Everything, for the front desk').first().waitFor()
    const before = receiver.received.length
    await page.getByRole('button', { name: 'Send test event' }).click()
    const dialog = page.locator('dialog[open]')
    await dialog.locator('.badge-test').waitFor()
    await receiver.waitFor((received) => received.length > before)
    const sent = receiver.received.at(-1)!
    assert.equal(JSON.parse(sent.body).is_test_event, true)
    await until(async () => (await dialog.locator('.attempts-detail li').count()) === 1, 'the attempt is shown')
    // The headers and body as the receiver got them, and its response.
    for (const name of ['svix-id', 'svix-timestamp', 'svix-signature', 'content-type']) {
      assert.equal(await dialog.locator('table.headers tr', { has: page.locator(`th:text-is("${name}")`) }).locator('td').innerText(), sent.headers[name], name)
    }
    assert.deepEqual(JSON.parse((await dialog.getByLabel('Request body').textContent()) ?? ''), JSON.parse(sent.body))
    assert.match(await dialog.locator('.attempts-detail li').innerText(), /^200 · /)
    assert.equal(await dialog.getByLabel('Response body of attempt 1').innerText(), 'ok')
    assert.equal(query().get('delivery'), JSON.parse(sent.body) && sent.headers['svix-id'])
    await assertAccessible(page, 'an open delivery')
    await screenshot(page, 'delivery')
    await page.reload()
    await dialog.locator('.badge-test').waitFor()
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'detached' })
    const testRow = page.locator('ul.deliveries li', { has: page.locator('.badge-test') }).first()
    assert.equal(await testRow.locator('.code').innerText(), '200', 'a collapsed delivery shows its status code')
    await assertAccessible(page, 'webhook page')
    await screenshot(page, 'webhook')
  })

  test('retries all failed deliveries of a webhook, with progress', { skip }, async () => {
    const webhooks = (await callOk(server, '/webhooks/list', {})).webhooks
    const failing = webhooks.find((webhook: any) => webhook.url === flaky.url)
    // The first attempts are held until the page has shown them pending: the whole retry
    // schedule of the test server takes less than the list's refresh.
    let release = () => {}
    const held = new Promise<void>((resolve) => (release = resolve))
    flaky.reply = () => ({ status: 503, body: 'maintenance', holdUntil: held })
    await publish(server.endpoint, server.apiKey, [lockUnlocked(), lockUnlocked(), lockUnlocked()])
    // Collapsed, a pending delivery shows its last status code and its next attempt.
    await page.goto(`${server.endpoint}/console/#/webhooks/${failing.webhook_id}?ws=${server.workspaceId}`)
    await page.locator('ul.deliveries li', { has: page.locator('.next-attempt') }).first().waitFor()
    release()
    await waitForDeliveries(server, failing.webhook_id, (list) => list.length === 3 && list.every((d) => d.status === 'failed'))
    const retry = page.getByRole('button', { name: 'Retry all failed (3)' })
    await retry.waitFor()
    assert.equal(await page.locator('ul.deliveries li .code', { hasText: '503' }).count(), 3)
    flaky.reply = () => ({ status: 200, body: 'back' })
    await retry.click()
    await page.getByRole('status').filter({ hasText: 'Done: 3 of 3 failed deliveries sent again' }).waitFor()
    assert.equal(await page.locator('.retry-progress progress').getAttribute('value'), '3')
    await waitForDeliveries(server, failing.webhook_id, (list) => list.every((d) => d.status === 'succeeded'))
    await until(async () => (await page.locator('ul.deliveries li .badge-succeeded').count()) === 3, 'the list shows them succeeded')
    assertAllVerify(flaky, failing.secret)
  })

  test("starts from the new workspace's home after signing in with another workspace's key", { skip }, async () => {
    const other = await server.createWorkspace('Second workspace')
    const webhookView = page.url()
    await page.getByRole('button', { name: 'Sign out' }).click()
    await signIn(page, other.apiKey)
    await until(async () => (await page.getByTestId('workspace-name').count()) === 1, 'signed in')
    assert.equal(await page.getByTestId('workspace-name').innerText(), 'Second workspace')
    assert.equal(query().get('ws'), other.workspaceId)
    assert.match(new URL(page.url()).hash, /^#\/events\?/, 'at the events home')
    await page.getByText('No events match these filters.').waitFor()
    // The first workspace's link, pasted with this key, does not show "Webhook not found".
    await page.goto(webhookView)
    await until(async () => /^#\/events\?ws=/.test(new URL(page.url()).hash) && query().get('ws') === other.workspaceId, 'home again')
    assert.equal(await page.getByText('Webhook not found').count(), 0)
    await page.getByRole('button', { name: 'Sign out' }).click()
    await signIn(page, server.apiKey)
    await rows().first().waitFor()
  })

  test('fits a phone: nothing overflows at 390 px, and lists page by 25', { skip }, async () => {
    const phoneContext = await browser.newContext({ viewport: phone, isMobile: true, hasTouch: true })
    const phonePage = await phoneContext.newPage()
    phonePage.on('request', (request) => requestedUrls.push(request.url()))
    try {
      await phonePage.goto(`${server.endpoint}/console/`)
      await screenshot(phonePage, 'sign-in')
      await signIn(phonePage, server.apiKey)
      const phoneRows = phonePage.locator('table.events tbody tr')
      await until(async () => (await phoneRows.count()) === 25, '25 events a page')
      assert.equal(await overflowOf(phonePage), 0, 'the events page fits')
      const firstRow = await phoneRows.first().boundingBox()
      assert.ok(firstRow !== null && firstRow.y < phone.height, 'the first event is above the fold')
      await assertAccessible(phonePage, 'events page on a phone')
      await screenshot(phonePage, 'events')
      const longest = phonePage.locator('td.event-type a').first()
      await phonePage.goto(`${server.endpoint}/console/#/events?ws=${server.workspaceId}&types=acs_credential.issued,access_method.card_encoding_required&range=7d`)
      await phonePage.locator('.chart figcaption').waitFor()
      assert.equal(await overflowOf(phonePage), 0, 'long event types wrap')
      void longest

      const eventId = seeded.find((event) => String(event.event_type).length > 30)?.event_id ?? seeded[0]?.event_id
      await phonePage.goto(`${server.endpoint}/console/#/events?ws=${server.workspaceId}&range=7d&event=${eventId}`)
      await phonePage.locator('dialog[open] pre.raw-json').waitFor()
      await screenshot(phonePage, 'event-detail')
      await phonePage.keyboard.press('Escape')
      // The closed dialog takes the event out of the address a moment later; a navigation made
      // before that is undone by it (this failed once in CI, the webhooks page never showing).
      await phonePage.locator('dialog[open]').waitFor({ state: 'detached' })
      await until(async () => !new URL(phonePage.url()).hash.includes('event='), 'closing the event takes it out of the address')

      await phonePage.goto(`${server.endpoint}/console/#/webhooks?ws=${server.workspaceId}`)
      await phonePage.locator('table.webhooks tbody tr').first().waitFor()
      assert.equal(await overflowOf(phonePage), 0, 'the webhooks page fits')
      await screenshot(phonePage, 'webhooks')
      await phonePage.locator('table.webhooks a', { hasText: receiver.url }).click()
      await phonePage.locator('ul.deliveries li').first().waitFor()
      assert.equal(await overflowOf(phonePage), 0, 'the webhook page fits')
      await assertAccessible(phonePage, 'webhook page on a phone')
      await screenshot(phonePage, 'webhook')
      await phonePage.locator('ul.deliveries li a').first().click()
      await phonePage.locator('dialog[open] table.headers').waitFor()
      await screenshot(phonePage, 'delivery')
    } finally {
      await phoneContext.close()
    }
  })

  test('loads nothing from any other origin and logs no errors', { skip }, async () => {
    const origin = new URL(server.endpoint).origin
    assert.ok(requestedUrls.length > 0)
    const foreign = requestedUrls.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith('data:'))
    assert.deepEqual(foreign, [])
    // The refused keys at sign-in (401, 403) and the bad filter (400) are the failed requests.
    assert.deepEqual(consoleProblems.filter((text) => !/status of (400|401|403)/.test(text)), [])
  })
})
