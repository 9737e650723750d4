// Headless Chromium for the console's browser tests: Debian's `chromium` package driven by
// playwright-core (whose own browser download cannot run here). Without it the tests are skipped
// by name, never passed.

import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'

import { chromium, type Browser, type Page } from 'playwright-core'

// CHROMIUM_PATH, when set, is the only candidate: set it to a missing path to see the skips.
const candidates =
  process.env['CHROMIUM_PATH'] !== undefined
    ? [process.env['CHROMIUM_PATH']]
    : ['/usr/bin/chromium', '/usr/bin/chromium-browser']

/** The Chromium binary, or undefined when none is installed. */
export const chromiumPath: string | undefined = candidates.find((path) => path !== '' && existsSync(path))

export const skipWithoutChromium: string | false =
  chromiumPath === undefined ? 'Chromium is not installed (apt-get install -y chromium)' : false

export async function launchBrowser(): Promise<Browser> {
  if (chromiumPath === undefined) throw new Error(skipWithoutChromium as string)
  return await chromium.launch({
    executablePath: chromiumPath,
    // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
    args: ['--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage'],
  })
}

export const screenshotDirectory = join(process.cwd(), 'test-results')

/** Saves a full-page screenshot under test-results/ for a person to review. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDirectory, { recursive: true })
  await page.screenshot({ path: join(screenshotDirectory, `${name}.png`), fullPage: true })
}

/**
 * Polls `condition` (run here, in Node, through Playwright's locators) until it holds. The
 * console's content security policy forbids the string evaluation page.waitForFunction uses.
 */
export async function until(condition: () => Promise<boolean>, what: string, deadlineMs = 30_000): Promise<void> {
  const deadline = Date.now() + deadlineMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
