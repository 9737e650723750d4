// Workspaces and their API keys, on every backend.

import { randomUUID } from 'node:crypto'

import { sql } from 'kysely'

import type { Clock } from '../../clock.ts'
import {
  defaultEventRetentionDays,
  type ApiKey,
  type NewApiKey,
  type Workspace,
  type WorkspacePatch,
  type WorkspaceStore,
} from '../store.ts'
import type { Executor } from './executor.ts'

const apiKeyColumns = ['api_key_id', 'workspace_id', 'name', 'scope', 'short_token', 'created_at', 'revoked_at'] as const
const workspaceColumns = ['workspace_id', 'name', 'created_at', 'event_retention_days'] as const

export class RelationalWorkspaces implements WorkspaceStore {
  constructor(
    readonly executor: Executor,
    readonly clock: Clock,
  ) {}

  async createWorkspace(name: string, patch: WorkspacePatch = {}): Promise<Workspace> {
    const workspace: Workspace = {
      workspace_id: randomUUID(),
      name,
      created_at: new Date(this.clock.now()).toISOString(),
      event_retention_days: patch.event_retention_days ?? defaultEventRetentionDays,
    }
    await this.executor.run(this.executor.db.insertInto('workspaces').values(workspace))
    return workspace
  }

  async updateWorkspace(workspaceId: string, patch: WorkspacePatch): Promise<Workspace | undefined> {
    if (patch.event_retention_days !== undefined) {
      await this.executor.run(
        this.executor.db
          .updateTable('workspaces')
          .set({ event_retention_days: patch.event_retention_days })
          .where('workspace_id', '=', workspaceId),
      )
    }
    return await this.getWorkspace(workspaceId)
  }

  async listWorkspaces(): Promise<Workspace[]> {
    const { db, dialect } = this.executor
    return await this.executor.rows(
      db.selectFrom('workspaces').select(workspaceColumns).orderBy('created_at').orderBy(sql.ref(dialect.insertionOrder)),
    )
  }

  async getWorkspace(workspaceId: string): Promise<Workspace | undefined> {
    return await this.executor.first(
      this.executor.db.selectFrom('workspaces').select(workspaceColumns).where('workspace_id', '=', workspaceId),
    )
  }

  async createApiKey(workspaceId: string, key: NewApiKey): Promise<ApiKey> {
    const apiKey: ApiKey = {
      api_key_id: randomUUID(),
      workspace_id: workspaceId,
      name: key.name,
      scope: key.scope,
      short_token: key.short_token,
      created_at: new Date(this.clock.now()).toISOString(),
      revoked_at: null,
    }
    await this.executor.run(this.executor.db.insertInto('api_keys').values({ ...apiKey, token_hash: key.token_hash }))
    return apiKey
  }

  async listApiKeys(workspaceId: string): Promise<ApiKey[]> {
    const { db, dialect } = this.executor
    return await this.executor.rows(
      db
        .selectFrom('api_keys')
        .select(apiKeyColumns)
        .where('workspace_id', '=', workspaceId)
        .orderBy('created_at')
        .orderBy(sql.ref(dialect.insertionOrder)),
    )
  }

  async revokeApiKey(apiKeyId: string): Promise<ApiKey | undefined> {
    const { db } = this.executor
    await this.executor.run(
      db
        .updateTable('api_keys')
        .set({ revoked_at: new Date(this.clock.now()).toISOString() })
        .where('api_key_id', '=', apiKeyId)
        .where('revoked_at', 'is', null),
    )
    return await this.executor.first(db.selectFrom('api_keys').select(apiKeyColumns).where('api_key_id', '=', apiKeyId))
  }

  async findApiKeyByTokenHash(tokenHash: string): Promise<ApiKey | undefined> {
    return await this.executor.first(
      this.executor.db.selectFrom('api_keys').select(apiKeyColumns).where('token_hash', '=', tokenHash),
    )
  }
}
