/** The `--metrics-listen` help of `serve` and `worker`. */
export const metricsListenHelp =
  'serve /metrics (Prometheus) on this address of its own, host:port or a port alone for 127.0.0.1, never on the API port (METRICS_LISTEN, default off)'
