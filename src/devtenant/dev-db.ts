// The dev tenant's state: one SQLite file (WAL) under DATA_DIR/devtenant, shared by the server
// and the CLI. Every change takes the next value of its tenant's change sequence, so delta
// rounds are exact; nothing is cached in memory that another process could make stale.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS tenants (
  tenant_id TEXT PRIMARY KEY,
  domain TEXT NOT NULL,
  display_name TEXT NOT NULL,
  seed TEXT NOT NULL,
  premium INTEGER NOT NULL DEFAULT 1,
  seq INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  delta_valid_after INTEGER NOT NULL DEFAULT 0,
  delta_reset_after INTEGER NOT NULL DEFAULT 0,
  faults TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS objects (
  tenant_id TEXT NOT NULL,
  type TEXT NOT NULL,
  id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  state INTEGER NOT NULL,
  deleted_at TEXT,
  parent_id TEXT,
  ukey TEXT,
  name TEXT,
  sort_time TEXT,
  data TEXT NOT NULL,
  prop_seqs TEXT,
  PRIMARY KEY (tenant_id, type, id)
);
CREATE INDEX IF NOT EXISTS objects_seq ON objects (tenant_id, type, seq);
CREATE INDEX IF NOT EXISTS objects_id ON objects (tenant_id, id);
CREATE INDEX IF NOT EXISTS objects_ukey ON objects (tenant_id, type, ukey) WHERE ukey IS NOT NULL;
CREATE INDEX IF NOT EXISTS objects_name ON objects (tenant_id, type, name, id);
CREATE INDEX IF NOT EXISTS objects_parent ON objects (tenant_id, type, parent_id, id) WHERE parent_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS objects_time ON objects (tenant_id, type, sort_time, id) WHERE sort_time IS NOT NULL;
-- The recycle bin alone: every recycle-bin read first purges what expired (graph-read.ts
-- purgeExpired), which otherwise scanned every object of the tenant (1 s a read at 100k users).
CREATE INDEX IF NOT EXISTS objects_recycle_bin ON objects (tenant_id, deleted_at) WHERE state = 2;
CREATE TABLE IF NOT EXISTS links (
  tenant_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  source_id TEXT NOT NULL,
  target_id TEXT NOT NULL,
  target_type TEXT NOT NULL,
  state INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, kind, source_id, target_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS links_seq ON links (tenant_id, kind, source_id, seq);
CREATE INDEX IF NOT EXISTS links_target ON links (tenant_id, target_id);
`;

/** Opens (creating if needed) `<devTenantDir>/devtenant.sqlite`; devTenantDir is DATA_DIR/devtenant. */
export function openDevTenantDb(dir: string): Db {
  mkdirSync(dir, { recursive: true });
  const db = new Database(join(dir, 'devtenant.sqlite'));
  // A user row is ~2.5 KB: 4 KB pages hold one, 8 KB pages three (a quarter less to write when
  // seeding). Only takes effect on a new file; existing tenants keep their page size.
  db.pragma('page_size = 8192');
  db.pragma('busy_timeout = 10000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(SCHEMA);
  migrate(db);
  return db;
}

/** Columns added after the first release of the schema (files written by older versions). */
function migrate(db: Db): void {
  const columns = (db.pragma('table_info(objects)') as { name: string }[]).map((c) => c.name);
  // prop_seqs: JSON map property -> change seq (select-scoped delta, Prefer: return=minimal).
  if (!columns.includes('prop_seqs')) db.exec('ALTER TABLE objects ADD COLUMN prop_seqs TEXT');
}

/** The dev tenant's directory under a product DATA_DIR. */
export function devTenantDirOf(dataDir: string): string {
  return join(dataDir, 'devtenant');
}
