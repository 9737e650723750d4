// Lists that an upgrade of Seam's schema made required on event types whose events were already
// being stored: `device_errors`, `connected_account_warnings` and the like, snapshots of another
// object's state that Seam fills with `[]` when there is nothing to report (the domain's
// listsFilledWhenAbsent). Publish fills them from then on; a migration fills them in the events
// stored before, once, so that every stored event validates against the newest schema while reads
// still return stored JSON as it is (no per-read patching). Each entry is frozen once a migration
// of it has run on a user's database: a later upgrade appends an entry and a migration.
// test/catalog-current.test.ts fails, naming the type and list, when the installed schema
// requires one that no entry covers.

export interface SnapshotListBackfill {
  /** The @seamapi/types release that made the lists required. */
  catalog: string
  /** Per event type, the lists to add (as `[]`) where a stored event lacks them. */
  lists: Readonly<Record<string, readonly string[]>>
}

const accessCodeLists = [
  'connected_account_errors',
  'connected_account_warnings',
  'device_errors',
  'device_warnings',
  'access_code_errors',
  'access_code_warnings',
] as const
const deviceLists = ['connected_account_errors', 'connected_account_warnings', 'device_errors', 'device_warnings'] as const
const connectedAccountLists = ['connected_account_errors', 'connected_account_warnings'] as const

export const snapshotListBackfills: readonly SnapshotListBackfill[] = [
  {
    catalog: '@seamapi/types 1.977.0',
    lists: {
      'access_code.delay_in_setting_on_device': accessCodeLists,
      'access_code.failed_to_set_on_device': accessCodeLists,
      'access_code.delay_in_removing_from_device': accessCodeLists,
      'access_code.failed_to_remove_from_device': accessCodeLists,
      'access_code.unmanaged.failed_to_convert_to_managed': accessCodeLists,
      'acs_system.disconnected': ['acs_system_errors', 'acs_system_warnings', ...connectedAccountLists],
      // connected_account_errors was required before too; an event without it was never stored.
      'connected_account.disconnected': connectedAccountLists,
      'connected_account.reauthorization_requested': connectedAccountLists,
      'device.disconnected': deviceLists,
      'device.unmanaged.disconnected': deviceLists,
      'device.connection_became_flaky': deviceLists,
      'device.error.subscription_required': deviceLists,
      'device.accessory_keypad_disconnected': deviceLists,
    },
  },
]

/**
 * One UPDATE that appends `,"list":[]` before the closing brace of each stored event lacking a
 * list of its type: the rest of the JSON stays byte for byte as it was (what JSON.stringify of
 * the event with the list added last would give). A list present, even as null, is left alone.
 * `absent(field)` is the dialect's test that the JSON has no such key.
 */
export function backfillSnapshotListsSql(
  backfill: SnapshotListBackfill,
  dialect: { absent: (field: string) => string; withoutLastCharacter: string },
): string {
  const quote = (text: string) => `'${text.replaceAll("'", "''")}'`
  const typesWith = new Map<string, string[]>()
  for (const [eventType, fields] of Object.entries(backfill.lists)) {
    for (const field of fields) typesWith.set(field, [...(typesWith.get(field) ?? []), eventType])
  }
  const missing = [...typesWith].map(
    ([field, types]) => `(event_type IN (${types.map(quote).join(', ')}) AND ${dialect.absent(field)})`,
  )
  const appended = [...typesWith].map(
    ([field], index) => `CASE WHEN ${missing[index]} THEN ${quote(`,${JSON.stringify(field)}:[]`)} ELSE '' END`,
  )
  return `
  UPDATE events SET json = ${dialect.withoutLastCharacter}
    || ${appended.join('\n    || ')}
    || '}'
  WHERE event_type IN (${Object.keys(backfill.lists).map(quote).join(', ')})
    AND (${missing.join('\n      OR ')});
  `
}
