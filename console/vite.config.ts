// Builds the web console (console/src) into dist/console, which `seam-events serve` serves at
// /console. Run by `npm run build`, and so by `npm install` (prepare).

import { fileURLToPath } from 'node:url'

import { defineConfig } from 'vite'

import { knownEventTypes } from '../src/domain/event-catalog.ts'

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  // Event types for the filter's suggestions, from the same catalog the server validates with,
  // without shipping @seamapi/types to the browser.
  define: { __KNOWN_EVENT_TYPES__: JSON.stringify(knownEventTypes) },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    // Everything is served by the same process; no file is fetched from anywhere else.
    assetsInlineLimit: 0,
  },
  logLevel: 'warn',
})
