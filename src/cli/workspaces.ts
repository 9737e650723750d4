import type { Command } from 'commander'

import { createApiKey } from '../domain/workspace-admin.ts'
import { maxEventRetentionDays } from '../store/store.ts'
import { CliError, databaseOptionHelp, printResult, withStore, type DatabaseOption } from './database-command.ts'

const retentionHelp = `days events are kept, 1 to ${maxEventRetentionDays} (default 30)`

interface CreateOptions extends DatabaseOption {
  name: string
  retentionDays?: string
  apiKey: boolean
  json?: boolean
}

function parseRetentionDays(value: string): number {
  const days = Number(value)
  if (!Number.isInteger(days) || days < 1 || days > maxEventRetentionDays) {
    throw new CliError(`--retention-days must be a whole number of days from 1 to ${maxEventRetentionDays}`)
  }
  return days
}

export function registerWorkspaceCommands(program: Command): void {
  const workspaces = program.command('workspaces').description('Create and list workspaces')

  workspaces
    .command('create')
    .description('Create a workspace, with a first API key (scope "all") unless --no-api-key')
    .requiredOption('--name <name>', 'the workspace name')
    .option('--retention-days <days>', retentionHelp)
    .option('--no-api-key', 'do not create a first API key')
    .option('--json', 'print one JSON object')
    .option('--database <url>', databaseOptionHelp)
    .action(async (options: CreateOptions) => {
      const settings =
        options.retentionDays === undefined
          ? {}
          : { event_retention_days: parseRetentionDays(options.retentionDays) }
      // The first command of a new installation: the only one besides serve and migrate that
      // may create the database.
      await withStore({ ...options, createIfMissing: true }, async (store) => {
        const workspace = await store.workspaces.createWorkspace(options.name, settings)
        if (!options.apiKey) {
          printResult(options.json ?? false, workspace, [
            `Created workspace "${workspace.name}": ${workspace.workspace_id}`,
          ])
          return
        }
        const { apiKey, token } = await createApiKey(store.workspaces, workspace.workspace_id, {
          name: 'Default key',
          scope: 'all',
        })
        printResult(
          options.json ?? false,
          { ...workspace, api_key_id: apiKey.api_key_id, scope: apiKey.scope, token },
          [
            `Created workspace "${workspace.name}": ${workspace.workspace_id}`,
            `API key ${apiKey.api_key_id} (scope all). It is shown only once:`,
            '',
            `  SEAM_API_KEY=${token}`,
          ],
        )
      })
    })

  workspaces
    .command('update')
    .description("Change a workspace's settings")
    .requiredOption('--workspace <workspace_id>', 'the workspace to change')
    .option('--retention-days <days>', `${retentionHelp}; a shorter one hides older events at once`)
    .option('--json', 'print one JSON object')
    .option('--database <url>', databaseOptionHelp)
    .action(async (options: DatabaseOption & { workspace: string; retentionDays?: string; json?: boolean }) => {
      if (options.retentionDays === undefined) throw new CliError('nothing to change: give --retention-days')
      const event_retention_days = parseRetentionDays(options.retentionDays)
      await withStore(options, async (store) => {
        const workspace = await store.workspaces.updateWorkspace(options.workspace, { event_retention_days })
        if (workspace === undefined) {
          throw new CliError(`No workspace ${options.workspace}; see "seam-events workspaces list"`)
        }
        printResult(options.json ?? false, workspace, [
          `Workspace "${workspace.name}" (${workspace.workspace_id}) keeps events for ${workspace.event_retention_days} days.`,
        ])
      })
    })

  workspaces
    .command('list')
    .description('List every workspace')
    .option('--json', 'print one JSON object')
    .option('--database <url>', databaseOptionHelp)
    .action(async (options: DatabaseOption & { json?: boolean }) => {
      await withStore(options, async (store) => {
        const list = await store.workspaces.listWorkspaces()
        printResult(
          options.json ?? false,
          { workspaces: list },
          list.length === 0
            ? ['No workspaces yet.']
            : list.map((w) => `${w.workspace_id}  ${w.created_at}  ${w.event_retention_days} days  ${w.name}`),
        )
      })
    })
}
