import { Option, type Command } from 'commander'

import { createApiKey } from '../domain/workspace-admin.ts'
import type { ApiKey, ApiKeyScope } from '../store/store.ts'
import { CliError, databaseOptionHelp, printResult, withStore, type DatabaseOption } from './database-command.ts'

export function registerApiKeyCommands(program: Command): void {
  const apiKeys = program.command('api-keys').description('Create, list and revoke API keys')

  apiKeys
    .command('create')
    .description('Create an API key; its token is printed once and stored only as a hash')
    .requiredOption('--workspace <workspace_id>', 'the workspace the key belongs to')
    .option('--name <name>', 'a label for the key', 'API key')
    .addOption(
      new Option('--scope <scope>', '"read" cannot publish; "publish" (for device bridges) cannot read')
        .choices(['all', 'read', 'publish'])
        .default('all'),
    )
    .option('--json', 'print one JSON object')
    .option('--database <url>', databaseOptionHelp)
    .action(
      async (
        options: DatabaseOption & { workspace: string; name: string; scope: ApiKeyScope; json?: boolean },
      ) => {
        await withStore(options, async (store) => {
          const workspace = await store.workspaces.getWorkspace(options.workspace)
          if (workspace === undefined) {
            throw new CliError(`No workspace ${options.workspace}; see "seam-events workspaces list"`)
          }
          const { apiKey, token } = await createApiKey(store.workspaces, workspace.workspace_id, options)
          printResult(options.json ?? false, { ...apiKey, token }, [
            `API key ${apiKey.api_key_id} (scope ${apiKey.scope}) for workspace ${apiKey.workspace_id}.`,
            'It is shown only once:',
            '',
            `  SEAM_API_KEY=${token}`,
          ])
        })
      },
    )

  apiKeys
    .command('list')
    .description('List API keys (never their tokens), of one workspace or of all')
    .option('--workspace <workspace_id>', 'only this workspace')
    .option('--json', 'print one JSON object')
    .option('--database <url>', databaseOptionHelp)
    .action(async (options: DatabaseOption & { workspace?: string; json?: boolean }) => {
      await withStore(options, async (store) => {
        const workspaceIds =
          options.workspace === undefined
            ? (await store.workspaces.listWorkspaces()).map((w) => w.workspace_id)
            : [options.workspace]
        const keys: ApiKey[] = []
        for (const workspaceId of workspaceIds) keys.push(...(await store.workspaces.listApiKeys(workspaceId)))
        printResult(
          options.json ?? false,
          { api_keys: keys },
          keys.length === 0
            ? ['No API keys.']
            : keys.map(
                (k) =>
                  `${k.api_key_id}  ${k.short_token}...  ${k.scope.padEnd(7)}  ${k.revoked_at === null ? 'active ' : 'revoked'}  workspace ${k.workspace_id}  ${k.name}`,
              ),
        )
      })
    })

  apiKeys
    .command('revoke')
    .description('Revoke an API key; requests with it are refused from then on')
    .argument('[api_key_id]', 'the key to revoke')
    .option('--api-key-id <api_key_id>', 'the key to revoke (instead of the argument)')
    .option('--json', 'print one JSON object')
    .option('--database <url>', databaseOptionHelp)
    .action(
      async (
        argument: string | undefined,
        options: DatabaseOption & { apiKeyId?: string; json?: boolean },
      ) => {
        const apiKeyId = argument ?? options.apiKeyId
        if (apiKeyId === undefined) throw new CliError('Name the key: seam-events api-keys revoke API_KEY_ID')
        await withStore(options, async (store) => {
          const apiKey = await store.workspaces.revokeApiKey(apiKeyId)
          if (apiKey === undefined) throw new CliError(`No API key ${apiKeyId}`)
          printResult(options.json ?? false, apiKey, [
            `Revoked API key ${apiKey.api_key_id} (${apiKey.short_token}...) at ${apiKey.revoked_at}.`,
          ])
        })
      },
    )
}
