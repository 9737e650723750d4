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

/** What every filter but the time range sends: shared by events/list, the histogram and the stream. */
export function matchParams(filters: EventFilters): Record<string, unknown> {
  return {
    event_types: filters.event_types,
    ...Object.fromEntries(Object.entries(filters.ids).map(([name, value]) => [name, value?.trim()])),
    customer_key: filters.customer_key.trim(),
    event_ids: filters.event_id.trim() === '' ? [] : [filters.event_id.trim()],
  }
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
