import pino, { type Logger } from 'pino'

/** Structured JSON logs on stdout, one object per line, as log collectors expect. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'seam-events' } })
}
