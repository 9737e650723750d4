// HTTP load from this process with autocannon: a fixed set of request bodies or paths, cycled,
// from several keep-alive connections, for a fixed time. The server under test is another
// process, so the two share the machine's cores but not an event loop.

import autocannon from 'autocannon'
import { Client } from 'undici'

export interface LoadRequest {
  method: 'GET' | 'POST'
  path: string
  body?: string
}

export interface LoadOptions {
  endpoint: string
  apiKey: string
  /** Cycled in order, one per request. */
  requests: readonly LoadRequest[]
  connections: number
  durationSeconds: number
  /** Requests per second over all connections; unset sends as fast as answers come. */
  rate?: number
}

export interface LoadResult {
  requestsPerSecond: number
  p50Ms: number
  p99Ms: number
  requests: number
  /** Non-2xx answers plus connection errors and timeouts: any is a failed benchmark. */
  failures: number
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  let next = 0
  const headers = { authorization: `Bearer ${options.apiKey}`, 'content-type': 'application/json' }
  const result = await autocannon({
    url: options.endpoint,
    connections: options.connections,
    duration: options.durationSeconds,
    ...(options.rate === undefined ? {} : { overallRate: options.rate }),
    requests: [
      {
        setupRequest: (request) => {
          const chosen = options.requests[next++ % options.requests.length] as LoadRequest
          return { ...request, method: chosen.method, path: chosen.path, headers, ...(chosen.body === undefined ? {} : { body: chosen.body }) }
        },
      },
    ],
  })
  return {
    requestsPerSecond: result.requests.total / (result.duration || options.durationSeconds),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    failures: result.non2xx + result.errors + result.timeouts,
  }
}

/**
 * The same load with its connections split evenly over several API nodes at once; request
 * rates and counts summed, latencies the worst node's.
 */
export async function runLoadOnEach(
  endpoints: readonly string[],
  options: Omit<LoadOptions, 'endpoint'>,
): Promise<LoadResult> {
  const results = await Promise.all(
    endpoints.map((endpoint) =>
      runLoad({ ...options, endpoint, connections: Math.max(1, Math.round(options.connections / endpoints.length)) }),
    ),
  )
  const sum = (pick: (result: LoadResult) => number) => results.reduce((total, result) => total + pick(result), 0)
  return {
    requestsPerSecond: sum((result) => result.requestsPerSecond),
    p50Ms: Math.max(...results.map((result) => result.p50Ms)),
    p99Ms: Math.max(...results.map((result) => result.p99Ms)),
    requests: sum((result) => result.requests),
    failures: sum((result) => result.failures),
  }
}

export interface LatencyResult {
  p50Ms: number
  p99Ms: number
}

/**
 * Latency as one client sees it on an otherwise idle server: `count` requests one after
 * another on one keep-alive connection, timed to the microsecond (autocannon rounds to whole
 * milliseconds, too coarse for answers that take one).
 */
export async function measureLatency(
  endpoint: string,
  apiKey: string,
  requests: readonly LoadRequest[],
  count: number,
): Promise<LatencyResult> {
  const client = new Client(endpoint)
  const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }
  const samples: number[] = []
  try {
    for (let n = 0; n < count; n++) {
      const chosen = requests[n % requests.length] as LoadRequest
      const started = performance.now()
      const response = await client.request({ method: chosen.method, path: chosen.path, headers, body: chosen.body ?? null })
      await response.body.arrayBuffer()
      samples.push(performance.now() - started)
      if (response.statusCode !== 200) throw new Error(`${chosen.path} answered ${response.statusCode}`)
    }
  } finally {
    await client.close()
  }
  samples.sort((a, b) => a - b)
  const at = (quantile: number) => samples[Math.floor(quantile * (samples.length - 1))] as number
  return { p50Ms: at(0.5), p99Ms: at(0.99) }
}
