// Operator actions shared by the CLI and the first start of the server.

import type { ApiKey, ApiKeyScope, Workspace, WorkspaceStore } from '../store/store.ts'
import { generateApiKeyToken } from './api-key-token.ts'

export interface CreatedApiKey {
  apiKey: ApiKey
  /** The secret; it exists only in this return value and is never stored. */
  token: string
}

export async function createApiKey(
  store: WorkspaceStore,
  workspaceId: string,
  { name, scope }: { name: string; scope: ApiKeyScope },
): Promise<CreatedApiKey> {
  const { token, short_token, token_hash } = generateApiKeyToken()
  const apiKey = await store.createApiKey(workspaceId, { name, scope, short_token, token_hash })
  return { apiKey, token }
}

export interface BootstrappedWorkspace extends CreatedApiKey {
  workspace: Workspace
}

/** On an empty database, the workspace and key that make `npm start` usable at once. */
export async function bootstrapFirstWorkspace(
  store: WorkspaceStore,
): Promise<BootstrappedWorkspace | undefined> {
  const existing = await store.listWorkspaces()
  if (existing.length > 0) return undefined
  const workspace = await store.createWorkspace('Default workspace')
  const created = await createApiKey(store, workspace.workspace_id, {
    name: 'Default key',
    scope: 'all',
  })
  return { workspace, ...created }
}
