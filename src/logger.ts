import pino, { type DestinationStream, type Logger } from 'pino'

/**
 * Structured JSON logs, one object per line, on stdout unless another stream is given.
 *
 * stdout is written synchronously. pino's default stdout stream is asynchronous: it holds lines
 * while a write is in flight and writes them with flushSync when the process exits. That flush
 * (sonic-boom 4.2; upstream commit 9c5ea0e, not in a 4.x release, makes it throw) retries every
 * failed write every 100 ms, forever: a `serve` stopped by SIGTERM
 * after whoever read its stdout went away (EPIPE) never exited. The shutdown's last lines are
 * always held, since they are logged with no event-loop turn in between. Written synchronously,
 * nothing is held at exit, and a broken pipe only turns logging off (pino's EPIPE handler).
 * The price: a reader that stays but stops reading holds the process up until it reads again,
 * as any program writing to a full pipe is; supervisors (systemd, Docker, Kubernetes) read on.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, base: { service: 'seam-events' } }
  return pino(options, destination ?? pino.destination({ dest: 1, sync: true }))
}
