// The events explorer's filters: every filter events/list takes, and the time range.

import type { EventFilterColumn } from '../../src/store/store.ts'
import { rangeParams, type TimeRange } from './format.ts'

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
