import { describeEvent } from '../domain/event-description.ts'

/** The ids a reader looks for first; an event carries a few of them, and the line shows three. */
const shownIds = [
  'device_id',
  'access_code_id',
  'acs_system_id',
  'acs_entrance_id',
  'acs_user_id',
  'acs_credential_id',
  'acs_access_group_id',
  'acs_encoder_id',
  'access_grant_id',
  'access_method_id',
  'space_id',
  'user_identity_id',
  'connected_account_id',
  'connect_webview_id',
] as const
const maxShownIds = 3

/**
 * One event as one terminal line: when it was stored, its type, its main ids, and what happened.
 * Producers choose most of an event's text, so control characters (terminal escapes, line
 * breaks) are replaced: an event cannot rewrite the operator's screen or forge lines.
 */
export function formatEventLine(event: Readonly<Record<string, unknown>>): string {
  const ids = shownIds
    .filter((name) => typeof event[name] === 'string')
    .slice(0, maxShownIds)
    .map((name) => `${name}=${event[name] as string}`)
  const line = [
    typeof event['created_at'] === 'string' ? event['created_at'] : '-',
    typeof event['event_type'] === 'string' ? event['event_type'] : '-',
    ...ids,
    describeEvent(event),
  ].join('  ')
  return line.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?')
}
