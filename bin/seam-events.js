#!/usr/bin/env node
// Runs the build in dist/ (`npm run build`, done by `npm install`) when it is at least as new as
// every source file; otherwise the TypeScript sources through tsx, so that an edit is never run
// stale. The build starts in about half the time and memory: the loader passes every module,
// @seamapi/types' large bundle included, through a second thread.
import { readdirSync, statSync } from 'node:fs'

const source = new URL('../src/', import.meta.url)
const build = new URL('../dist/cli/main.js', import.meta.url)

function builtAt() {
  try {
    return statSync(build).mtimeMs
  } catch {
    return -1
  }
}

function newestSource() {
  return Math.max(
    ...readdirSync(source, { recursive: true })
      .filter((name) => name.endsWith('.ts'))
      .map((name) => statSync(new URL(name, source)).mtimeMs),
  )
}

if (builtAt() >= newestSource()) {
  await import(build.href)
} else {
  const { register } = await import('tsx/esm/api')
  register()
  await import('../src/cli/main.ts')
}
