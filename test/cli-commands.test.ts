// The command tree as a whole: --version, and what every command's help promises (each
// --database names both kinds of database; each command that prints data can print JSON).

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import type { Command } from 'commander'

import { buildProgram, packageVersion } from '../src/cli/program.ts'
import { cli } from './support/cli-process.ts'
import packageJson from '../package.json' with { type: 'json' }

function leafCommands(command: Command, path: string[] = []): { path: string; command: Command }[] {
  return command.commands.flatMap((child) => {
    const childPath = [...path, child.name()]
    return child.commands.length === 0 ? [{ path: childPath.join(' '), command: child }] : leafCommands(child, childPath)
  })
}

/** Commands that print no data of their own: a server, a worker. */
// export's data is JSON already: one event per line, as events/list returns it.
const withoutJson = new Set(['serve', 'worker', 'export'])

describe('the seam-events command tree', { timeout: 60_000 }, () => {
  it('--version (and -V) prints the version of package.json', async () => {
    assert.equal(packageVersion, packageJson.version)
    for (const flag of ['--version', '-V']) {
      const { stdout } = await cli([flag])
      assert.equal(stdout, `${packageJson.version}\n`)
    }
  })

  it('names both PostgreSQL and SQLite in the help of every --database, and offers --json wherever a command prints data', () => {
    const commands = leafCommands(buildProgram())
    const paths = commands.map(({ path }) => path)
    for (const expected of ['serve', 'simulate', 'trigger', 'listen', 'tail', 'workspaces create', 'api-keys revoke']) {
      assert.ok(paths.includes(expected), expected)
    }
    let withDatabase = 0
    for (const { path, command } of commands) {
      const database = command.options.find((option) => option.long === '--database')
      if (database !== undefined) {
        withDatabase += 1
        assert.match(database.description, /PostgreSQL/, path)
        assert.match(database.description, /SQLite/, path)
        assert.match(database.description, /DATABASE_URL/, path)
      }
      const json = command.options.some((option) => option.long === '--json')
      assert.equal(json, !withoutJson.has(path), `${path} --json`)
      assert.ok(command.description().length > 0, `${path} has a description`)
    }
    assert.ok(withDatabase >= 10)
  })

  it('names both kinds of database in the help of every command, those without --database too', async () => {
    const program = buildProgram()
    const groups = program.commands.filter((command) => command.commands.length > 0).map((command) => command.name())
    const paths = ['', ...groups, ...leafCommands(program).map(({ path }) => path)]
    assert.ok(paths.includes('tail') && paths.includes('workspaces'))
    for (const path of paths) {
      const { stdout } = await cli([...(path === '' ? [] : path.split(' ')), '--help'])
      assert.match(stdout, /PostgreSQL/, `seam-events ${path} --help`)
      assert.match(stdout, /SQLite/, `seam-events ${path} --help`)
    }
  })

  it("shows --database's help for a command run with --help", async () => {
    const { stdout } = await cli(['serve', '--help'])
    assert.match(stdout.replace(/\s+/g, ' '), /--database <url> postgres:\/\/user:password@host\/db for PostgreSQL, or sqlite:PATH/)
  })
})
