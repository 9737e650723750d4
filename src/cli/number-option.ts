import { CliError } from './database-command.ts'

export interface NumberRule {
  integer?: boolean
  /** The least value allowed. */
  min?: number
  /** Values must be greater than this. */
  above?: number
  max?: number
}

/** A command's numeric flag, or a one-line error naming the flag and what it takes. */
export function parseNumberOption(flag: string, text: string, { integer = false, min, above, max }: NumberRule): number {
  const value = text.trim() === '' ? Number.NaN : Number(text)
  const ok =
    Number.isFinite(value) &&
    (!integer || Number.isInteger(value)) &&
    (min === undefined || value >= min) &&
    (above === undefined || value > above) &&
    (max === undefined || value <= max)
  if (ok) return value
  const range = [
    min === undefined ? undefined : `at least ${min}`,
    above === undefined ? undefined : `above ${above}`,
    max === undefined ? undefined : `at most ${max.toLocaleString('en-US')}`,
  ]
    .filter((part) => part !== undefined)
    .join(', ')
  throw new CliError(`${flag} must be ${integer ? 'a whole number' : 'a number'}${range === '' ? '' : ` (${range})`}; got ${text}`)
}
