// Reads Prometheus' text exposition format (version 0.0.4) as a scraper does, for tests that
// check /metrics: prom-client writes the format but has no parser. Strict on purpose: a line it
// cannot read fails the test, so a malformed exposition cannot pass as an empty one.
// https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format

export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

export interface Exposition {
  samples: Sample[]
  /** `# TYPE` of each metric family. */
  types: Map<string, string>
  /** The samples of `name` whose labels include every one of `labels`. */
  find(name: string, labels?: Record<string, string>): Sample[]
  /** The value of the one sample of `name` with `labels`; undefined when there is none. */
  value(name: string, labels?: Record<string, string>): number | undefined
}

const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/
const labelPair = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(?:,|$)/y

export function parsePrometheusText(text: string): Exposition {
  const samples: Sample[] = []
  const types = new Map<string, string>()
  for (const [index, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue
    if (line.startsWith('#')) {
      const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line)
      if (type !== null) types.set(type[1]!, type[2]!)
      else if (!line.startsWith('# HELP ')) throw new Error(`line ${index + 1}: not a HELP or TYPE comment: ${line}`)
      continue
    }
    const match = sampleLine.exec(line)
    if (match === null) throw new Error(`line ${index + 1}: not a sample: ${line}`)
    const [, name, labelText = '', valueText] = match
    samples.push({ name: name!, labels: parseLabels(labelText, index + 1), value: parseValue(valueText!, index + 1) })
  }
  const find = (name: string, labels: Record<string, string> = {}) =>
    samples.filter(
      (sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
    )
  return {
    samples,
    types,
    find,
    value(name, labels = {}) {
      const found = find(name, labels).filter((sample) => Object.keys(sample.labels).length === Object.keys(labels).length)
      if (found.length > 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(labels)}`)
      return found[0]?.value
    },
  }
}

function parseLabels(text: string, lineNumber: number): Record<string, string> {
  const labels: Record<string, string> = {}
  labelPair.lastIndex = 0
  while (labelPair.lastIndex < text.length) {
    const start = labelPair.lastIndex
    const match = labelPair.exec(text)
    if (match === null) throw new Error(`line ${lineNumber}: bad labels at ${start}: ${text}`)
    labels[match[1]!] = match[2]!.replace(/\\(.)/g, (_, escaped: string) => (escaped === 'n' ? '\n' : escaped))
  }
  return labels
}

function parseValue(text: string, lineNumber: number): number {
  // Go's ParseFloat, which Prometheus reads values with, takes these in any case (prom-client writes Nan).
  if (/^nan$/i.test(text)) return Number.NaN
  if (/^\+?inf$/i.test(text)) return Number.POSITIVE_INFINITY
  if (/^-inf$/i.test(text)) return Number.NEGATIVE_INFINITY
  const value = Number(text)
  if (text === '' || Number.isNaN(value)) throw new Error(`line ${lineNumber}: not a value: ${text}`)
  return value
}
