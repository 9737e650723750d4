// Starts the real server on a free loopback port with a real, temporary database, exactly as
// `seam-events serve` does (src/service.ts), for tests that talk to it over HTTP.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { resolveServerConfig } from '../../src/config.ts'
import { createApiKey } from '../../src/domain/workspace-admin.ts'
import type { BuildServerOptions } from '../../src/http/server.ts'
import { createLogger } from '../../src/logger.ts'
import { startApiService, type ApiService } from '../../src/service.ts'
import type { Clock } from '../../src/clock.ts'
import type { ApiKeyScope, Store } from '../../src/store/store.ts'
import { testBackends, type TestBackend } from './backends.ts'
import { createTestDatabase } from './postgres.ts'

export { testBackends, type TestBackend } from './backends.ts'

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
  store: Store
  service: ApiService
  createWorkspace(name?: string): Promise<TestWorkspace>
  createKey(workspaceId: string, scope: ApiKeyScope): Promise<{ apiKeyId: string; apiKey: string }>
  close(): Promise<void>
}

export interface TestServerOptions {
  /**
   * Always given, so that no suite picks a backend by accident: the one describeEachBackend
   * passes to its body, or a suite's own (skipped with skipUnlessBackend when it is not chosen).
   */
  backend: TestBackend
  allowUnknownEventTypes?: boolean
  /** Receives the server's JSON log lines. */
  logLines?: string[]
  /** Runs a delivery worker in the server's process, as `serve` does. Default true. */
  worker?: boolean
  /**
   * Settings as environment variables. Tests default to private targets allowed (receivers
   * listen on loopback), a retry schedule of fractions of a second, and no retention job (tests
   * that want one run it).
   */
  env?: Record<string, string>
  /** Sees each route as Fastify registers it. */
  onRoute?: BuildServerOptions['onRoute']
  /** The time the server runs on; a ManualClock lets a test move it. */
  clock?: Clock
}

export async function startTestServer(options: TestServerOptions): Promise<TestServer> {
  const { backend } = options
  if (!testBackends.includes(backend)) {
    throw new Error(`a test server on ${backend}, which TEST_BACKENDS=${testBackends.join(',')} leaves out: declare the suite with describeEachBackend, or skip it with skipUnlessBackend('${backend}')`)
  }
  const directory = mkdtempSync(join(tmpdir(), 'seam-events-test-'))
  const database = backend === 'postgres' ? await createTestDatabase() : undefined
  const databaseUrl = database?.url ?? `sqlite:${join(directory, 'events.db')}`
  const config = resolveServerConfig(
    {
      port: 0,
      host: '127.0.0.1',
      database: databaseUrl,
      allowUnknownEventTypes: options.allowUnknownEventTypes ?? false,
      worker: options.worker ?? true,
    },
    {
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
      WEBHOOK_RETRY_SCHEDULE: '0.2,0.4,0.8',
      WEBHOOK_TIMEOUT_SECONDS: '2',
      WEBHOOK_LEASE_SECONDS: '8',
      RETENTION_INTERVAL_SECONDS: '0',
      ...options.env,
    },
  )
  const logger =
    options.logLines === undefined
      ? createLogger(process.env['TEST_LOG_LEVEL'] ?? 'silent')
      : createLogger('info', { write: (line: string) => void options.logLines?.push(line) })
  const service = await startApiService(config, logger, {
    ...(options.onRoute === undefined ? {} : { onRoute: options.onRoute }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  })
  const { store } = service

  const createKey = async (workspaceId: string, scope: ApiKeyScope) => {
    const { apiKey, token } = await createApiKey(store.workspaces, workspaceId, { name: `test ${scope}`, scope })
    return { apiKeyId: apiKey.api_key_id, apiKey: token }
  }
  const createWorkspace = async (name = 'Test workspace'): Promise<TestWorkspace> => {
    const workspace = await store.workspaces.createWorkspace(name)
    const { apiKey } = await createKey(workspace.workspace_id, 'all')
    return { workspaceId: workspace.workspace_id, apiKey }
  }
  const first = await createWorkspace()

  return {
    ...first,
    endpoint: service.endpoint,
    backend,
    databaseUrl,
    store,
    service,
    createWorkspace,
    createKey,
    async close() {
      await service.stop()
      await database?.drop()
      rmSync(directory, { recursive: true, force: true })
    },
  }
}
