import type { Command } from 'commander'

import { createApiKey } from '../domain/workspace-admin.ts'
import { printResult, withStore, type DatabaseOption } from './database-command.ts'

export function registerWorkspaceCommands(program: Command): void {
  const workspaces = program.command('workspaces').description('Create and list workspaces')

  workspaces
    .command('create')
    .description('Create a workspace, with a first API key (scope "all") unless --no-api-key')
    .requiredOption('--name <name>', 'the workspace name')
    .option('--no-api-key', 'do not create a first API key')
    .option('--json', 'print one JSON object')
    .option('--database <url>', 'sqlite:PATH or a path (default: DATABASE_URL or ./data/events.db)')
    .action(async (options: DatabaseOption & { name: string; apiKey: boolean; json?: boolean }) => {
      await withStore(options, async (store) => {
        const workspace = await store.createWorkspace(options.name)
        if (!options.apiKey) {
          printResult(options.json ?? false, workspace, [
            `Created workspace "${workspace.name}": ${workspace.workspace_id}`,
          ])
          return
        }
        const { apiKey, token } = await createApiKey(store, workspace.workspace_id, {
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
    .command('list')
    .description('List every workspace')
    .option('--json', 'print one JSON object')
    .option('--database <url>', 'sqlite:PATH or a path (default: DATABASE_URL or ./data/events.db)')
    .action(async (options: DatabaseOption & { json?: boolean }) => {
      await withStore(options, async (store) => {
        const list = await store.listWorkspaces()
        printResult(
          options.json ?? false,
          { workspaces: list },
          list.length === 0
            ? ['No workspaces yet.']
            : list.map((w) => `${w.workspace_id}  ${w.created_at}  ${w.name}`),
        )
      })
    })
}
