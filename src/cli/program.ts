// The `seam-events` command tree, apart from running it (main.ts), so that a test can walk every
// command and its options (each --database help names both kinds, say) without a process each.

import { readFileSync } from 'node:fs'

import { Command } from 'commander'

import { registerApiKeyCommands } from './api-keys.ts'
import { registerCopyCommand } from './copy.ts'
import { registerDemoCommand } from './demo.ts'
import { registerExportCommand } from './export.ts'
import { registerImportCommand } from './import.ts'
import { registerListenCommand } from './listen.ts'
import { registerMigrateCommand } from './migrate.ts'
import { registerRetentionCommand } from './retention.ts'
import { registerSeedCommand } from './seed.ts'
import { registerServeCommand } from './serve.ts'
import { registerSimulateCommand } from './simulate.ts'
import { registerTailCommand } from './tail.ts'
import { registerTriggerCommand } from './trigger.ts'
import { registerWorkerCommand } from './worker.ts'
import { registerWorkspaceCommands } from './workspaces.ts'

/**
 * The package's version, from its package.json: two levels up both from src/cli (tsx) and from
 * dist/cli (the build), so the two can never disagree.
 */
export const packageVersion: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version

export function buildProgram(): Command {
  const program = new Command()
    .name('seam-events')
    .description('A self-hostable, Seam-compatible events service')
    .version(packageVersion, '-V, --version', 'print the version')
    .showHelpAfterError()

  registerServeCommand(program)
  registerWorkerCommand(program)
  registerWorkspaceCommands(program)
  registerApiKeyCommands(program)
  registerMigrateCommand(program)
  registerRetentionCommand(program)
  registerTailCommand(program)
  registerSimulateCommand(program)
  registerTriggerCommand(program)
  registerListenCommand(program)
  registerSeedCommand(program)
  registerDemoCommand(program)
  registerExportCommand(program)
  registerImportCommand(program)
  registerCopyCommand(program)
  return program
}
