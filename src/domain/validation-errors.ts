import { SeamApiError, type ValidationErrors } from './errors.ts'

export interface ValidationIssue {
  path: readonly (string | number)[]
  message: string
}

/** Builds the zod `format()` shape that the Seam SDK reads, from issues at any depth. */
export function formatValidationErrors(issues: readonly ValidationIssue[]): ValidationErrors {
  const root: ValidationErrors = { _errors: [] }
  for (const { path, message } of issues) {
    let node = root
    for (const segment of path) {
      const key = String(segment)
      let child = node[key]
      if (child === undefined || Array.isArray(child)) {
        child = { _errors: [] }
        node[key] = child
      }
      node = child
    }
    node._errors.push(message)
  }
  return root
}

/** Shows a path the way a developer would write it: `events[3].battery_level`. */
export function describePath(path: readonly (string | number)[]): string {
  return path
    .map((segment, index) => {
      if (typeof segment === 'number' || /^\d+$/.test(segment)) return `[${segment}]`
      return index === 0 ? segment : `.${segment}`
    })
    .join('')
}

const issuesShownInMessage = 10

/** A 400 `invalid_input` whose message names each offending field and whose body has them all. */
export function invalidInput(summary: string, issues: readonly ValidationIssue[]): SeamApiError {
  const shown = issues
    .slice(0, issuesShownInMessage)
    .map(({ path, message }) => (path.length === 0 ? message : `${describePath(path)}: ${message}`))
  const more = issues.length > issuesShownInMessage ? `; and ${issues.length - issuesShownInMessage} more` : ''
  return new SeamApiError(
    'invalid_input',
    `${summary}: ${shown.join('; ')}${more}`,
    formatValidationErrors(issues),
  )
}
