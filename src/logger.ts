import pino, { type DestinationStream, type Logger } from 'pino'

/** Structured JSON logs, one object per line, on stdout unless another stream is given. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, base: { service: 'seam-events' } }
  return destination === undefined ? pino(options) : pino(options, destination)
}
