// Progress on stderr for the commands that run longer than a second, drawn by cli-progress: a
// bar when the total is known, a counter line when it is not. On a terminal it redraws in
// place; elsewhere (a pipe, CI logs) it prints a line every few seconds and the last state at
// the end, so a log shows that the command moved. stdout stays for the command's data.

import cliProgress from 'cli-progress'

export interface Progress {
  /** `value` done so far, and the text of `{detail}` in the line. */
  update(value: number, detail?: string): void
  /** A note (a retry, a warning) above the bar, without tearing it. */
  note(line: string): void
  /** Draws the last state and leaves it on screen. */
  stop(): void
}

export interface ProgressOptions {
  /** What is counted ("events"). */
  unit: string
  /** Known beforehand (`simulate --duration`), or not (until stopped). */
  total?: number | undefined
  /** Where it goes; default stderr. */
  stream?: NodeJS.WriteStream
}

/** How often a line is printed when stderr is not a terminal. */
const notTerminalEveryMs = 5000

export function createProgress({ unit, total, stream = process.stderr }: ProgressOptions): Progress {
  const terminal = stream.isTTY === true
  const format =
    total === undefined
      ? `{value} ${unit} | {rate}/s | {duration_formatted} {detail}`
      : `[{bar}] {percentage}% | {value}/{total} ${unit} | {rate}/s | {duration_formatted} {detail}`
  const bars = new cliProgress.MultiBar(
    {
      format,
      stream,
      // Printing outside a terminal too: the reason to have progress in a CI log.
      noTTYOutput: true,
      notTTYSchedule: notTerminalEveryMs,
      hideCursor: terminal,
      clearOnComplete: false,
      // The commands handle their signals themselves (and stop the bar).
      gracefulExit: false,
      barsize: 30,
      formatValue: (value, options, type) =>
        type === 'value' || type === 'total'
          ? Number(value).toLocaleString('en-US')
          : cliProgress.Format.ValueFormat(value, options, type),
    },
    cliProgress.Presets.shades_classic,
  )
  const startedAt = performance.now()
  const payload = (value: number, detail: string) => ({
    rate: Math.round(value / Math.max(0.001, (performance.now() - startedAt) / 1000)).toLocaleString('en-US'),
    detail,
  })
  // A total of 0 would show as done at once; without a total the line shows no bar.
  const bar = bars.create(total ?? 0, 0, payload(0, ''))
  let stopped = false
  return {
    update(value, detail = '') {
      bar.update(value, payload(value, detail))
    },
    note(line) {
      if (terminal && !stopped) bars.log(`${line}\n`)
      else stream.write(`${line}\n`)
    },
    stop() {
      if (stopped) return
      stopped = true
      bars.stop()
    },
  }
}
