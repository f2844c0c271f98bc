// SQLite schema, versioned: each migration runs once, in order, inside one transaction.
// Every table is keyed by tenant id first, so every query is scoped to one tenant by its index.
import type Database from 'better-sqlite3';

const MIGRATIONS: string[] = [
  // 1: initial schema.
  `
  CREATE TABLE settings (tenant_id TEXT PRIMARY KEY, doc TEXT NOT NULL, etag TEXT NOT NULL);
  CREATE TABLE sync_state (tenant_id TEXT PRIMARY KEY, doc TEXT NOT NULL, etag TEXT NOT NULL);

  CREATE TABLE objects (
    id INTEGER PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    name_lower TEXT NOT NULL,
    deleted INTEGER NOT NULL,
    last_changed_at TEXT NOT NULL,
    search_text TEXT NOT NULL,
    doc TEXT NOT NULL,
    UNIQUE (tenant_id, object_type, object_id)
  );
  CREATE INDEX objects_by_name ON objects (tenant_id, name_lower, object_id, object_type);
  CREATE INDEX objects_by_type_name ON objects (tenant_id, object_type, name_lower, object_id);
  CREATE INDEX objects_by_id ON objects (tenant_id, object_id, object_type);
  CREATE INDEX objects_by_change ON objects (tenant_id, last_changed_at, object_id, object_type);
  CREATE INDEX objects_by_type_state ON objects (tenant_id, object_type, deleted, object_id);
  CREATE INDEX objects_by_state_name ON objects (tenant_id, deleted, name_lower, object_id, object_type);
  -- Trigram index over the search text (rowid = objects.id): candidates for substring search.
  -- detail=none keeps only row ids (small, fast); every candidate is confirmed with instr().
  CREATE VIRTUAL TABLE object_search USING fts5 (text, tokenize = 'trigram', detail = 'none');
  CREATE VIRTUAL TABLE object_search_vocab USING fts5vocab (object_search, 'row');
  -- Each search key and display-name word: candidates for short (prefix) searches.
  CREATE TABLE object_keys (
    tenant_id TEXT NOT NULL,
    key TEXT NOT NULL,
    id INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, key, id)
  ) WITHOUT ROWID;
  CREATE INDEX object_keys_by_object ON object_keys (id);

  CREATE TABLE versions (
    tenant_id TEXT NOT NULL,
    object_id TEXT NOT NULL,
    version_id TEXT NOT NULL,
    object_type TEXT NOT NULL,
    captured_at TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (tenant_id, object_id, version_id)
  ) WITHOUT ROWID;
  CREATE INDEX versions_by_object_time ON versions (tenant_id, object_id, captured_at, version_id);
  CREATE INDEX versions_by_time ON versions (tenant_id, captured_at, object_id, version_id);

  CREATE TABLE edges (
    tenant_id TEXT NOT NULL,
    edge_id TEXT NOT NULL,
    source_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    target_id TEXT NOT NULL,
    added_at TEXT NOT NULL,
    removed_at TEXT,
    doc TEXT NOT NULL,
    PRIMARY KEY (tenant_id, edge_id)
  ) WITHOUT ROWID;
  CREATE INDEX edges_by_source ON edges (tenant_id, source_id, kind, added_at);
  CREATE INDEX edges_by_target ON edges (tenant_id, target_id, kind, added_at);

  CREATE TABLE runs (
    tenant_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    due_at TEXT NOT NULL,
    lease_expires_at TEXT,
    doc TEXT NOT NULL,
    etag TEXT NOT NULL,
    PRIMARY KEY (tenant_id, run_id)
  ) WITHOUT ROWID;
  CREATE INDEX runs_by_tenant_time ON runs (tenant_id, created_at, run_id);
  CREATE INDEX runs_by_status ON runs (status, due_at);

  CREATE TABLE restores (
    tenant_id TEXT NOT NULL,
    restore_id TEXT NOT NULL,
    status TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    lease_expires_at TEXT,
    doc TEXT NOT NULL,
    etag TEXT NOT NULL,
    PRIMARY KEY (tenant_id, restore_id)
  ) WITHOUT ROWID;
  CREATE INDEX restores_by_tenant_time ON restores (tenant_id, requested_at, restore_id);
  CREATE INDEX restores_by_status ON restores (status, requested_at);

  CREATE TABLE audit (
    tenant_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    actor_id TEXT NOT NULL,
    action TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (tenant_id, seq)
  ) WITHOUT ROWID;
  CREATE INDEX audit_by_actor ON audit (tenant_id, actor_id, seq);
  CREATE INDEX audit_by_action ON audit (tenant_id, action, seq);
  -- The newest entry of each chain, updated in the same transaction: removing entries shows.
  CREATE TABLE audit_head (tenant_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, hash TEXT NOT NULL);
  `,
  // 2: indexes that hold the filter columns (type, deleted) with each sort order, so a page of
  // listObjects is read in order and stops at its limit, whatever the filters (sqlite-object-query.ts).
  `
  DROP INDEX objects_by_name;
  DROP INDEX objects_by_type_name;
  DROP INDEX objects_by_id;
  DROP INDEX objects_by_change;
  DROP INDEX objects_by_type_state;
  DROP INDEX objects_by_state_name;
  -- Each of these costs about a tenth of a backup's write time; a type's id order is the
  -- UNIQUE index (its deleted flag is read from the row).
  CREATE INDEX objects_walk_name ON objects (tenant_id, name_lower, object_id, object_type, deleted);
  CREATE INDEX objects_walk_id ON objects (tenant_id, object_id, object_type, deleted);
  CREATE INDEX objects_walk_change ON objects (tenant_id, last_changed_at, object_id, object_type, deleted);
  CREATE INDEX objects_walk_type_name ON objects (tenant_id, object_type, name_lower, object_id, deleted);
  CREATE INDEX objects_walk_type_change ON objects (tenant_id, object_type, last_changed_at, object_id, deleted);
  -- The deleted objects alone (the restore view), in each order: partial, so only they pay.
  CREATE INDEX objects_deleted_name ON objects (tenant_id, name_lower, object_id, object_type) WHERE deleted = 1;
  CREATE INDEX objects_deleted_id ON objects (tenant_id, object_id, object_type) WHERE deleted = 1;
  CREATE INDEX objects_deleted_change ON objects (tenant_id, last_changed_at, object_id, object_type) WHERE deleted = 1;
  CREATE INDEX objects_deleted_type_name ON objects (tenant_id, object_type, name_lower, object_id) WHERE deleted = 1;
  CREATE INDEX objects_deleted_type_id ON objects (tenant_id, object_type, object_id) WHERE deleted = 1;
  CREATE INDEX objects_deleted_type_change ON objects (tenant_id, object_type, last_changed_at, object_id) WHERE deleted = 1;
  -- object_keys keeps only the first two characters of each key and display-name word (all a
  -- 1-2 character search needs): one row per object and prefix. Rebuilt from the search text.
  DELETE FROM object_keys;
  WITH RECURSIVE split (tenant_id, id, rest, key) AS (
    SELECT tenant_id, id, substr(search_text, 2) || char(10), NULL FROM objects
    UNION ALL
    SELECT tenant_id, id, substr(rest, instr(rest, char(10)) + 1), substr(rest, 1, instr(rest, char(10)) - 1)
    FROM split WHERE rest <> ''
  )
  INSERT OR IGNORE INTO object_keys (tenant_id, key, id)
    SELECT tenant_id, substr(key, 1, 2), id FROM split WHERE key <> '';
  -- versions becomes a rowid table: its rows (whole Graph objects, 1-4 KB) overflowed the
  -- small cells of a WITHOUT ROWID table, one overflow page each (3x the file, 3x the writes).
  CREATE TABLE versions_rowid (
    id INTEGER PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    object_id TEXT NOT NULL,
    version_id TEXT NOT NULL,
    object_type TEXT NOT NULL,
    captured_at TEXT NOT NULL,
    doc TEXT NOT NULL,
    UNIQUE (tenant_id, object_id, version_id)
  );
  INSERT INTO versions_rowid (tenant_id, object_id, version_id, object_type, captured_at, doc)
    SELECT tenant_id, object_id, version_id, object_type, captured_at, doc FROM versions
    ORDER BY tenant_id, captured_at, object_id, version_id;
  DROP TABLE versions;
  ALTER TABLE versions_rowid RENAME TO versions;
  -- An object's versions are few: its unique (tenant, object, version) index serves them
  -- sorted by time too, one random-keyed index less to write per version.
  CREATE INDEX versions_by_time ON versions (tenant_id, captured_at, object_id, version_id);
  `,
  // 3: audit entries appended once per key (AuditInput.onceKey).
  `
  ALTER TABLE audit ADD COLUMN once_key TEXT;
  CREATE UNIQUE INDEX audit_once ON audit (tenant_id, once_key) WHERE once_key IS NOT NULL;
  `,
  // 4: a full round's state per committed page (ids seen, relationships), so a killed full round
  // resumes from its checkpoint; deleted when the stream's round is done or the run ends.
  `
  CREATE TABLE round_state (
    tenant_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    stream TEXT NOT NULL,
    seq INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (tenant_id, run_id, stream, seq)
  );
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the schema up to date (or up to `target`, for tests of an upgrade); refuses a file
 * written by a newer version of the product.
 */
export function migrate(db: Database.Database, path: string, target = SCHEMA_VERSION): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const row = db.prepare('SELECT max(version) AS version FROM schema_version').get() as
    | { version: number | null }
    | undefined;
  const current = row?.version ?? 0;
  if (current > SCHEMA_VERSION) {
    throw new Error(
      `SQLite store ${path} has schema version ${current}, newer than this build understands (${SCHEMA_VERSION})`,
    );
  }
  const versionNow = db.prepare('SELECT coalesce(max(version), 0) AS version FROM schema_version');
  for (let v = current + 1; v <= Math.min(target, SCHEMA_VERSION); v += 1) {
    db.transaction(() => {
      // Another process may have migrated while we waited for the write lock.
      if ((versionNow.get() as { version: number }).version >= v) return;
      db.exec(MIGRATIONS[v - 1]);
      db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(v);
    }).immediate();
  }
}
