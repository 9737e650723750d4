import { z } from '../../../domain/documented-zod.ts'
import { SeamApiError } from '../../../domain/errors.ts'
import type { Workspace } from '../../../store/store.ts'
import { okBody, timestampField } from '../../response-schemas.ts'
import { workspaceOf, type SeamRoute } from '../../route.ts'

/**
 * Seam's workspace object (`schemas.workspace` of @seamapi/types), with the values that fit a
 * self-hosted workspace, and ours: `created_at` and `event_retention_days`.
 */
export const workspaceSchema = z
  .object({
    workspace_id: z.string().uuid(),
    name: z.string(),
    company_name: z.string().describe('The name, as this server knows no company apart from it.'),
    is_sandbox: z.boolean().describe('Always false: every event here is one you published.'),
    connect_webview_customization: z.object({}).describe('Always empty: this server has no Connect Webviews.'),
    is_suspended: z.boolean().describe('Always false.'),
    connect_partner_name: z.string().nullable().describe("Deprecated in Seam's API; the name."),
    is_publishable_key_auth_enabled: z.boolean().describe('Always false: only API keys.'),
    organization_id: z.string().uuid().nullable().describe('Always null.'),
    created_at: timestampField.describe('Ours.'),
    event_retention_days: z.number().int().describe('Ours: events are kept this many days.'),
  })
  .openapi('Workspace')

export function workspaceJson(workspace: Workspace): z.input<typeof workspaceSchema> {
  return {
    workspace_id: workspace.workspace_id,
    name: workspace.name,
    company_name: workspace.name,
    is_sandbox: false,
    connect_webview_customization: {},
    is_suspended: false,
    connect_partner_name: workspace.name,
    is_publishable_key_auth_enabled: false,
    organization_id: null,
    created_at: workspace.created_at,
    event_retention_days: workspace.event_retention_days,
  }
}

/** Seam's workspaces/get: the workspace of the key, for a key of any scope. */
export const getWorkspaceRoute: SeamRoute = {
  path: '/workspaces/get',
  methods: ['GET', 'POST'],
  access: 'any',
  docs: {
    tag: 'workspaces',
    summary: 'Get the workspace',
    description:
      "Seam's workspaces/get: the workspace the API key belongs to, in Seam's shape, for a key of " +
      'any scope (`seam.workspaces.get()`).',
    params: null,
    response: okBody({ workspace: workspaceSchema }),
  },
  async handle(input) {
    const workspace = await input.context.store.workspaces.getWorkspace(workspaceOf(input))
    // A key outlives nothing: workspaces are never deleted. Still, say so rather than crash.
    if (workspace === undefined) throw new SeamApiError('not_found', 'Workspace not found')
    return JSON.stringify({ workspace: workspaceJson(workspace), ok: true })
  },
}
