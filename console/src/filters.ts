// The events explorer's filters: every filter events/list takes, and the time range.

import type { EventFilterColumn } from '../../src/store/store.ts'
import { rangePresets, rangeParams, type TimeRange } from './format.ts'

declare const __KNOWN_EVENT_TYPES__: readonly string[]
export const knownEventTypes: readonly string[] = __KNOWN_EVENT_TYPES__

/** Id filters shown up front; the rest sit under "More filters". */
export const primaryIdFilters = [
  'device_id',
  'access_code_id',
  'acs_system_id',
  'connected_account_id',
] as const satisfies readonly EventFilterColumn[]
export const moreIdFilters = [
  'connect_webview_id',
  'acs_entrance_id',
  'acs_user_id',
  'acs_credential_id',
  'acs_access_group_id',
  'acs_encoder_id',
  'user_identity_id',
  'access_grant_id',
  'access_method_id',
  'space_id',
] as const satisfies readonly EventFilterColumn[]
export type IdFilter = (typeof primaryIdFilters)[number] | (typeof moreIdFilters)[number]

export interface EventFilters {
  range: TimeRange
  event_types: string[]
  ids: Partial<Record<IdFilter, string>>
  customer_key: string
  event_id: string
}

export const defaultFilters: EventFilters = {
  range: { kind: 'last', seconds: 24 * 3600 },
  event_types: [],
  ids: {},
  customer_key: '',
  event_id: '',
}

/** The id filters events/list also takes as a list (`device_ids`): several ids match any of them. */
const listedIdFilters: ReadonlySet<IdFilter> = new Set([
  'device_id',
  'access_code_id',
  'acs_system_id',
  'access_grant_id',
  'access_method_id',
  'space_id',
])

export function splitIds(text: string): string[] {
  return text.split(/[\s,]+/).filter((id) => id !== '')
}

/** What every filter but the time range sends: shared by events/list, the histogram and the stream. */
export function matchParams(filters: EventFilters): Record<string, unknown> {
  const params: Record<string, unknown> = {
    event_types: filters.event_types,
    customer_key: filters.customer_key.trim(),
    event_ids: splitIds(filters.event_id),
  }
  for (const [name, text] of Object.entries(filters.ids) as [IdFilter, string | undefined][]) {
    const ids = splitIds(text ?? '')
    if (ids.length > 1 && listedIdFilters.has(name)) params[`${name}s`] = ids
    // Several ids where only one is taken: sent as typed, so the server's error names the field.
    else params[name] = ids.length > 1 ? text?.trim() : ids[0]
  }
  return params
}

/** Whether a field takes several ids, comma separated. */
export function takesSeveralIds(name: IdFilter): boolean {
  return listedIdFilters.has(name)
}

export function queryParams(filters: EventFilters, now = Date.now()): Record<string, unknown> {
  return { ...rangeParams(filters.range, now), ...matchParams(filters) }
}

export function idLabel(name: IdFilter): string {
  return name
    .replace(/_id$/, ' id')
    .replace(/^acs_/, 'ACS ')
    .replace(/_/g, ' ')
    .replace(/^./, (first) => first.toUpperCase())
}

export const allIdFilters: readonly IdFilter[] = [...primaryIdFilters, ...moreIdFilters]

/** The id filters an event's field can set: a link on any id filters by it. */
export function isIdFilter(name: string): name is IdFilter {
  return (allIdFilters as readonly string[]).includes(name)
}

/** Reads the filters from the address (`range=7d` or `from`/`to`, `types`, each id by name...). */
export function filtersFromQuery(query: URLSearchParams): EventFilters {
  const preset = rangePresets.find((candidate) => candidate.token === query.get('range'))
  const from = query.get('from')
  const to = query.get('to')
  let range: TimeRange = defaultFilters.range
  if (from !== null && to !== null && !Number.isNaN(Date.parse(from)) && !Number.isNaN(Date.parse(to))) {
    range = { kind: 'between', start: new Date(from).toISOString(), end: new Date(to).toISOString() }
  } else if (preset !== undefined) {
    range = { kind: 'last', seconds: preset.seconds }
  }
  const ids: Partial<Record<IdFilter, string>> = {}
  for (const name of allIdFilters) {
    const value = query.get(name)
    if (value !== null && value !== '') ids[name] = value
  }
  return {
    range,
    event_types: (query.get('types') ?? '').split(',').filter((type) => type !== ''),
    ids,
    customer_key: query.get('customer_key') ?? '',
    event_id: query.get('event_ids') ?? '',
  }
}

/** The filters as address parameters; the default range is left out. */
export function filtersToQuery(filters: EventFilters): Record<string, string | undefined> {
  const { range } = filters
  const preset = range.kind === 'last' ? rangePresets.find((candidate) => candidate.seconds === range.seconds) : undefined
  const params: Record<string, string | undefined> = {
    range: preset === undefined || range.kind !== 'last' || range.seconds === 24 * 3600 ? undefined : preset.token,
    from: range.kind === 'between' ? range.start : undefined,
    to: range.kind === 'between' ? range.end : undefined,
    types: filters.event_types.length > 0 ? filters.event_types.join(',') : undefined,
    customer_key: filters.customer_key.trim() || undefined,
    event_ids: filters.event_id.trim() || undefined,
  }
  for (const name of allIdFilters) params[name] = filters.ids[name]?.trim() || undefined
  return params
}

/** How many filters besides the time range are set: shown on the filter bar's toggle. */
export function activeFilterCount(filters: EventFilters): number {
  return (
    Object.values(filters.ids).filter((value) => (value ?? '').trim() !== '').length +
    (filters.customer_key.trim() === '' ? 0 : 1) +
    (filters.event_id.trim() === '' ? 0 : 1)
  )
}
