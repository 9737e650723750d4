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
  nameDatabaseKinds(program)
  return program
}

const databaseKinds = 'PostgreSQL (postgres://user:password@host/db) or SQLite (sqlite:PATH, the default ./data/events.db)'

/**
 * Every command's help names both kinds of database: a command with --database says so in that
 * option; the others say how they reach one, so that no help leaves a PostgreSQL user guessing.
 */
function nameDatabaseKinds(program: Command): void {
  program.addHelpText('after', `\nEvery command works with either database: ${databaseKinds}, by --database or DATABASE_URL.`)
  const visit = (command: Command): void => {
    for (const child of command.commands) {
      if (child.commands.length > 0) {
        child.addHelpText('after', `\nEach of these commands takes --database: ${databaseKinds} (DATABASE_URL).`)
        visit(child)
      } else if (!child.options.some((option) => option.long === '--database')) {
        child.addHelpText('after', `\nTalks to a running server over HTTP (--endpoint), whichever database it runs on: ${databaseKinds}.`)
      }
    }
  }
  visit(program)
}
