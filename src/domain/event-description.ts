// PLACEHOLDER until the full table lands: a generic sentence from the type name.
export function describeEvent(event: Readonly<Record<string, unknown>>): string {
  const type = typeof event['event_type'] === 'string' ? (event['event_type'] as string) : ''
  if (type === '') return 'An event occurred.'
  const words = type.replace(/[._]/g, ' ')
  return `${words.charAt(0).toUpperCase()}${words.slice(1)}.`
}
