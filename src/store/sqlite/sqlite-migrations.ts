import { eventFilterColumns } from '../store.ts'

// Append only: a migration that has run on a user's database is never edited.
export const sqliteMigrations: readonly string[] = [
  `
  CREATE TABLE workspaces (
    workspace_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
  );

  CREATE TABLE api_keys (
    api_key_id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (workspace_id),
    name TEXT NOT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('all', 'read', 'publish')),
    short_token TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
  );
  CREATE INDEX api_keys_by_workspace ON api_keys (workspace_id, created_at);

  -- seq is the insertion order: it breaks created_at ties and anchors page cursors.
  -- AUTOINCREMENT so that a seq is never reused, even after retention deletes rows.
  CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id TEXT NOT NULL REFERENCES workspaces (workspace_id),
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    created_at TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    ${eventFilterColumns.map((column) => `${column} TEXT`).join(',\n    ')},
    json TEXT NOT NULL
  );
  CREATE UNIQUE INDEX events_by_event_id ON events (workspace_id, event_id);
  CREATE INDEX events_by_created_at ON events (workspace_id, created_at);
  CREATE INDEX events_by_event_type ON events (workspace_id, event_type, created_at);
  ${eventFilterColumns
    .map(
      // Partial indexes: an event only pays for the indexes of the fields it carries.
      (column) =>
        `CREATE INDEX events_by_${column} ON events (workspace_id, ${column}, created_at)
         WHERE ${column} IS NOT NULL;`,
    )
    .join('\n  ')}
  `,
]
