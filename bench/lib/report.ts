// What a workload reports: one row per figure, with the target it is held against, if any.
// The runner prints them as a table and writes them all to bench/results.json.

export interface BenchRow {
  /** The workload, such as "ingest (sqlite)". */
  workload: string
  /** What was measured, such as "publish, batches of 100, 8 clients". */
  measure: string
  value: number
  unit: string
  /** A target from issue 5, such as ">= 50000" or "< 10": met when the value satisfies it. */
  target?: string
  /** Context a reader needs, such as the ceiling a fraction is of. */
  note?: string
}

export function targetMet(row: BenchRow): boolean | undefined {
  if (row.target === undefined) return undefined
  const match = /^(>=|<=|<|>)\s*([\d.]+)/.exec(row.target)
  if (match === null) return undefined
  const bound = Number(match[2])
  switch (match[1]) {
    case '>=':
      return row.value >= bound
    case '>':
      return row.value > bound
    case '<=':
      return row.value <= bound
    default:
      return row.value < bound
  }
}

/** Nearest rank on sorted samples. */
export function percentile(sorted: readonly number[], quantile: number): number {
  return sorted[Math.max(0, Math.ceil(quantile * sorted.length) - 1)] ?? NaN
}

export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value)
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US')
  if (Math.abs(value) >= 10) return value.toFixed(1)
  return value.toFixed(2)
}

export function formatTable(rows: readonly BenchRow[]): string {
  const cells = rows.map((row) => {
    const met = targetMet(row)
    return [
      row.workload,
      row.measure,
      `${formatValue(row.value)} ${row.unit}`,
      row.target === undefined ? '' : `${row.target} ${met ? 'met' : 'MISSED'}`,
      row.note ?? '',
    ]
  })
  const header = ['workload', 'measure', 'result', 'target', 'note']
  const widths = header.map((title, column) =>
    Math.max(title.length, ...cells.map((line) => (line[column] as string).length)),
  )
  const line = (values: readonly string[]) =>
    values.map((value, column) => value.padEnd(widths[column] as number)).join('  ').trimEnd()
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...cells.map(line)].join('\n')
}

/** The same rows as a Markdown table, for docs/benchmarks.md. */
export function formatMarkdown(rows: readonly BenchRow[]): string {
  const escape = (text: string) => text.replaceAll('|', '\\|')
  return [
    '| workload | measure | result | target | note |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((row) => {
      const met = targetMet(row)
      const target = row.target === undefined ? '' : `${row.target} ${met ? 'met' : '**missed**'}`
      return `| ${escape(row.workload)} | ${escape(row.measure)} | ${formatValue(row.value)} ${row.unit} | ${escape(target)} | ${escape(row.note ?? '')} |`
    }),
  ].join('\n')
}
