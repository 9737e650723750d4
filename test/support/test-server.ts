// Starts the real server on a free loopback port with a real, temporary database, exactly as
// `seam-events serve` wires it, for tests that talk to it over HTTP.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'

import { resolveServerConfig } from '../../src/config.ts'
import { createApiKey } from '../../src/domain/workspace-admin.ts'
import { buildServer, type BuildServerOptions } from '../../src/http/server.ts'
import { createLogger } from '../../src/logger.ts'
import { openStore } from '../../src/store/open-store.ts'
import type { ApiKeyScope, EventStore } from '../../src/store/store.ts'
import { createTargetGuard, startDeliveryWorker } from '../../src/workers/start-delivery.ts'
import { createTestDatabase } from './postgres.ts'

/** The contract suites run once on each backend. */
export const testBackends = ['sqlite', 'postgres'] as const
export type TestBackend = (typeof testBackends)[number]

export interface TestWorkspace {
  workspaceId: string
  /** A key of scope "all". */
  apiKey: string
}

export interface TestServer extends TestWorkspace {
  endpoint: string
  backend: TestBackend
  /** For CLI commands run against the same database. */
  databaseUrl: string
  store: EventStore
  createWorkspace(name?: string): Promise<TestWorkspace>
  createKey(workspaceId: string, scope: ApiKeyScope): Promise<{ apiKeyId: string; apiKey: string }>
  close(): Promise<void>
}

export interface TestServerOptions {
  /** Default: TEST_BACKEND from the environment, else sqlite. */
  backend?: TestBackend
  allowUnknownEventTypes?: boolean
  /** Receives the server's JSON log lines. */
  logLines?: string[]
  /** Runs a delivery worker in the server's process, as `serve` does. Default true. */
  worker?: boolean
  /**
   * Settings as environment variables (WEBHOOK_*). Tests default to private targets allowed
   * (receivers listen on loopback) and a retry schedule of fractions of a second.
   */
  env?: Record<string, string>
  /** Sees each route as Fastify registers it. */
  onRoute?: BuildServerOptions['onRoute']
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const directory = mkdtempSync(join(tmpdir(), 'seam-events-test-'))
  const backend = options.backend ?? (process.env['TEST_BACKEND'] === 'postgres' ? 'postgres' : 'sqlite')
  const database = backend === 'postgres' ? await createTestDatabase() : undefined
  const databaseUrl = database?.url ?? `sqlite:${join(directory, 'events.db')}`
  const store = await openStore(databaseUrl)
  const config = resolveServerConfig(
    {},
    {
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
      WEBHOOK_RETRY_SCHEDULE: '0.2,0.4,0.8',
      WEBHOOK_TIMEOUT_SECONDS: '2',
      WEBHOOK_LEASE_SECONDS: '8',
      ...options.env,
    },
  )
  const logger =
    options.logLines === undefined
      ? createLogger(process.env['TEST_LOG_LEVEL'] ?? 'silent')
      : createLogger('info', { write: (line: string) => void options.logLines?.push(line) })
  const targetGuard = createTargetGuard(config.delivery, logger)
  const worker =
    options.worker === false
      ? undefined
      : startDeliveryWorker(store, targetGuard, config.delivery, logger)
  const app = buildServer({
    store,
    logger,
    allowUnknownEventTypes: options.allowUnknownEventTypes ?? false,
    targetGuard,
    deliveriesQueued: () => worker?.wake(),
    ...(options.onRoute === undefined ? {} : { onRoute: options.onRoute }),
    stream: { heartbeatMs: config.stream.heartbeatSeconds * 1000, pollMs: config.stream.pollSeconds * 1000 },
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo

  const createKey = async (workspaceId: string, scope: ApiKeyScope) => {
    const { apiKey, token } = await createApiKey(store, workspaceId, { name: `test ${scope}`, scope })
    return { apiKeyId: apiKey.api_key_id, apiKey: token }
  }
  const createWorkspace = async (name = 'Test workspace'): Promise<TestWorkspace> => {
    const workspace = await store.createWorkspace(name)
    const { apiKey } = await createKey(workspace.workspace_id, 'all')
    return { workspaceId: workspace.workspace_id, apiKey }
  }
  const first = await createWorkspace()

  return {
    ...first,
    endpoint: `http://127.0.0.1:${port}`,
    backend,
    databaseUrl,
    store,
    createWorkspace,
    createKey,
    async close() {
      await app.close()
      await worker?.stop()
      await targetGuard.close()
      await store.close()
      await database?.drop()
      rmSync(directory, { recursive: true, force: true })
    },
  }
}
