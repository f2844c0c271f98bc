// The SQL of a backup page commit (versions, objects with their search index, edges, a full
// round's state chunk, the run's checkpoint), on any connection: the store's own, or the writer thread's
// (sqlite-commit-thread.ts). The caller runs it inside one IMMEDIATE transaction.
import type Database from 'better-sqlite3';
import { keyPrefixesOf } from './sqlite-object-query.ts';
import { type ObjectRecord, type PageCommit, type RunRecord, StoreConflictError } from './store.ts';
import { searchKeysOfText, searchTextOf } from './store-values.ts';

type Row = Record<string, unknown>;
type Params = Record<string, unknown>;

/** Prepared-statement access of one connection (statements cached by SQL text). */
export interface SqlAccess {
  get(sql: string, params: Params): Row | undefined;
  exec(sql: string, params: Params): Database.RunResult;
}

/** A statement cache over `db`. */
export function sqlAccess(db: Database.Database): SqlAccess {
  const statements = new Map<string, Database.Statement>();
  const stmt = (sql: string) => {
    let s = statements.get(sql);
    if (!s) {
      s = db.prepare(sql);
      statements.set(sql, s);
    }
    return s;
  };
  return {
    get: (sql, params) => stmt(sql).get(params) as Row | undefined,
    exec: (sql, params) => stmt(sql).run(params),
  };
}

/** A page whose records were validated and normalized (store-values.ts). */
export type NormalizedPage = Omit<PageCommit, 'run'> & {
  run?: RunRecord;
  /** The run's etag the commit swaps from (absent: the run is written unconditionally). */
  runIfMatch?: string;
};

/** Writes the page; throws StoreConflictError when the run's etag is stale (nothing is kept). */
export function writePage(db: SqlAccess, tenantId: string, page: NormalizedPage, etag: string): void {
  for (const v of page.versions) {
    db.exec(
      `INSERT INTO versions (tenant_id, object_id, version_id, object_type, captured_at, doc)
       VALUES (@tenantId, @objectId, @versionId, @objectType, @capturedAt, @doc)
       ON CONFLICT DO NOTHING`,
      {
        tenantId,
        objectId: v.objectId,
        versionId: v.versionId,
        objectType: v.objectType,
        capturedAt: v.capturedAt,
        doc: JSON.stringify(v),
      },
    );
  }
  for (const o of page.objects) upsertObject(db, tenantId, o);
  for (const e of page.edgesAdded) {
    const { removedAt, ...doc } = e;
    db.exec(
      `INSERT INTO edges (tenant_id, edge_id, source_id, kind, target_id, added_at, removed_at, doc)
       VALUES (@tenantId, @edgeId, @sourceId, @kind, @targetId, @addedAt, @removedAt, @doc)
       ON CONFLICT DO NOTHING`,
      {
        tenantId,
        edgeId: e.edgeId,
        sourceId: e.sourceId,
        kind: e.kind,
        targetId: e.targetId,
        addedAt: e.addedAt,
        removedAt,
        doc: JSON.stringify(doc),
      },
    );
  }
  for (const r of page.edgesRemoved) {
    db.exec(
      `UPDATE edges SET removed_at = @removedAt
       WHERE tenant_id = @tenantId AND edge_id = @edgeId AND (removed_at IS NULL OR removed_at > @removedAt)`,
      { tenantId, ...r },
    );
  }
  if (page.roundState) {
    const c = page.roundState;
    db.exec(
      `INSERT INTO round_state (tenant_id, run_id, stream, seq, data) VALUES (@tenantId, @runId, @stream, @seq, @data)
       ON CONFLICT (tenant_id, run_id, stream, seq) DO UPDATE SET data = excluded.data`,
      { tenantId, runId: c.runId, stream: c.stream, seq: c.seq, data: c.data },
    );
  }
  if (page.run) writeRun(db, page.run, etag, page.runIfMatch);
  // In the same transaction as the run: the checkpoint never counts a chunk that is gone.
  if (page.roundStateDone) {
    db.exec('DELETE FROM round_state WHERE tenant_id = @tenantId AND run_id = @runId AND stream = @stream', {
      tenantId,
      ...page.roundStateDone,
    });
  }
}

function upsertObject(db: SqlAccess, tenantId: string, o: ObjectRecord): void {
  const searchText = searchTextOf(o);
  const existing = db.get(
    'SELECT id, search_text FROM objects WHERE tenant_id = @tenantId AND object_type = @objectType AND object_id = @objectId',
    { tenantId, objectType: o.objectType, objectId: o.objectId },
  );
  const values = {
    tenantId,
    objectType: o.objectType,
    objectId: o.objectId,
    nameLower: (o.displayName ?? '').toLowerCase(),
    deleted: o.deleted ? 1 : 0,
    lastChangedAt: o.lastChangedAt,
    searchText,
    doc: JSON.stringify(o),
  };
  if (!existing) {
    const r = db.exec(
      `INSERT INTO objects (tenant_id, object_type, object_id, name_lower, deleted, last_changed_at, search_text, doc)
       VALUES (@tenantId, @objectType, @objectId, @nameLower, @deleted, @lastChangedAt, @searchText, @doc)`,
      values,
    );
    db.exec('INSERT INTO object_search (rowid, text) VALUES (@id, @text)', {
      id: r.lastInsertRowid,
      text: searchText,
    });
    writeKeys(db, tenantId, Number(r.lastInsertRowid), o);
    return;
  }
  db.exec(
    `UPDATE objects SET name_lower = @nameLower, deleted = @deleted, last_changed_at = @lastChangedAt,
       search_text = @searchText, doc = @doc WHERE id = @id AND tenant_id = @tenantId`,
    { ...values, id: existing.id },
  );
  if (existing.search_text !== searchText) {
    db.exec('UPDATE object_search SET text = @text WHERE rowid = @id', { id: existing.id, text: searchText });
    db.exec('DELETE FROM object_keys WHERE id = @id AND tenant_id = @tenantId', {
      id: existing.id,
      tenantId,
    });
    writeKeys(db, tenantId, Number(existing.id), o);
  }
}

function writeKeys(db: SqlAccess, tenantId: string, id: number, o: ObjectRecord): void {
  for (const key of keyPrefixesOf(searchKeysOfText(o))) {
    db.exec('INSERT OR IGNORE INTO object_keys (tenant_id, key, id) VALUES (@tenantId, @key, @id)', {
      tenantId,
      key,
      id,
    });
  }
}

/** Inserts or (with `ifMatch`) compare-and-swaps a run record. */
export function writeRun(db: SqlAccess, run: RunRecord, etag: string, ifMatch: string | undefined): void {
  const { etag: _etag, ...doc } = run;
  const values = {
    tenantId: run.tenantId,
    runId: run.runId,
    status: run.status,
    createdAt: run.createdAt,
    dueAt: run.dueAt,
    leaseExpiresAt: run.lease?.expiresAt ?? null,
    doc: JSON.stringify(doc),
    etag,
  };
  if (ifMatch === undefined) {
    db.exec(
      `INSERT INTO runs (tenant_id, run_id, status, created_at, due_at, lease_expires_at, doc, etag)
       VALUES (@tenantId, @runId, @status, @createdAt, @dueAt, @leaseExpiresAt, @doc, @etag)
       ON CONFLICT (tenant_id, run_id) DO UPDATE SET status = excluded.status, due_at = excluded.due_at,
         lease_expires_at = excluded.lease_expires_at, doc = excluded.doc, etag = excluded.etag`,
      values,
    );
    return;
  }
  const r = db.exec(
    `UPDATE runs SET status = @status, due_at = @dueAt, lease_expires_at = @leaseExpiresAt, doc = @doc, etag = @etag
     WHERE tenant_id = @tenantId AND run_id = @runId AND etag = @ifMatch`,
    { ...values, ifMatch },
  );
  if (r.changes === 0) {
    throw new StoreConflictError(
      `run ${run.runId} of tenant ${run.tenantId} changed meanwhile or does not exist`,
    );
  }
}
