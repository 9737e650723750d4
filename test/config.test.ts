// Configuration resolves as flag, then environment variable, then default, is validated once
// with every problem listed, and is frozen (src/config.ts).

import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import { ConfigError, resolveServerConfig, resolveWorkerConfig } from '../src/config.ts'

describe('configuration', () => {
  it('takes a flag over the environment, and the environment over the default', () => {
    assert.equal(resolveServerConfig({}, {}).port, 3000)
    assert.equal(resolveServerConfig({}, { PORT: '4000' }).port, 4000)
    assert.equal(resolveServerConfig({ port: '5000' }, { PORT: '4000' }).port, 5000)
    assert.equal(resolveServerConfig({}, {}).databaseUrl, 'sqlite:./data/events.db')
    assert.equal(resolveServerConfig({ database: 'postgres://db/x' }, { DATABASE_URL: 'sqlite:a.db' }).databaseUrl, 'postgres://db/x')
  })

  it('has the documented defaults', () => {
    const config = resolveServerConfig({}, {})
    assert.deepEqual(config.limits, {
      requestTimeoutSeconds: 30,
      keepAliveTimeoutSeconds: 72,
      rateLimitPerSecond: 10_000,
      rateLimitBurst: 20_000,
      maxWebhooksPerWorkspace: 50,
    })
    assert.equal(config.shutdownTimeoutSeconds, 25)
    assert.equal(config.databaseConnectTimeoutSeconds, 60)
    assert.equal(config.publicUrl, undefined)
    assert.deepEqual(config.delivery.retryScheduleSeconds, [5, 300, 1800, 7200, 18000, 36000, 36000])
    assert.equal(resolveWorkerConfig({}, {}).shutdownTimeoutSeconds, 25)
  })

  it('lists every problem at once, by the name the operator set', () => {
    assert.throws(
      () => resolveServerConfig({ port: 'x' }, { DATABASE_URL: 'mysql://h/db', WEBHOOK_TIMEOUT_SECONDS: '40', RATE_LIMIT_BURST: '0' }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError)
        assert.deepEqual([...error.problems].sort(), [
          '--database / DATABASE_URL: unsupported database URL scheme "mysql:"; use sqlite:PATH (or a plain path) for SQLite, or postgres://user:password@host:5432/database for PostgreSQL',
          '--port / PORT: Expected number, received nan',
          'RATE_LIMIT_BURST: Number must be greater than or equal to 1',
          'WEBHOOK_LEASE_SECONDS: must be longer than WEBHOOK_TIMEOUT_SECONDS + 5',
        ])
        return true
      },
    )
  })

  it('takes PUBLIC_URL without its trailing slash, and refuses one with a query', () => {
    assert.equal(resolveServerConfig({}, { PUBLIC_URL: 'https://events.example.com/seam/' }).publicUrl, 'https://events.example.com/seam')
    assert.throws(() => resolveServerConfig({}, { PUBLIC_URL: 'https://x.example/?a=1' }), ConfigError)
  })

  it('is frozen', () => {
    const config = resolveServerConfig({}, {})
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.limits) && Object.isFrozen(config.delivery.retryScheduleSeconds))
  })
})
