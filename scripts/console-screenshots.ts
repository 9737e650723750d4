// `npm run screenshots`: full-page screenshots of every page of the console at 1440x900 and
// 390x844, into docs/screenshots/ (referenced from the README). They are taken by the console's
// browser test on its seeded workspace, which writes them only when CONSOLE_SCREENSHOTS=1, so
// that the pictures show exactly what the test checked; one backend is enough for pictures.

import { spawnSync } from 'node:child_process'

const result = spawnSync(process.execPath, ['--import', 'tsx', 'test/run.ts', 'test/console-browser.test.ts'], {
  stdio: 'inherit',
  env: { ...process.env, CONSOLE_SCREENSHOTS: '1', TEST_BACKENDS: 'sqlite' },
})
process.exit(result.status ?? 1)
