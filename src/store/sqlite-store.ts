// The embedded store: one SQLite file (WAL) under DATA_DIR. Every statement is prepared with
// bound parameters and filters on tenant_id; write paths run in IMMEDIATE transactions so any
// number of processes can share the file (compare-and-swap on etags decides who wins).
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { EdgeKind, ObjectType, RunStatus } from '../domain.ts';
import { auditHash, GENESIS_HASH } from './audit-chain.ts';
import { SqliteCommitThread } from './sqlite-commit-thread.ts';
import { guardSqlite } from './sqlite-errors.ts';
import { DEFAULT_SEARCH_TUNING, listObjectsSql, type SearchTuning } from './sqlite-object-query.ts';
import { type NormalizedPage, type SqlAccess, writePage, writeRun } from './sqlite-page-commit.ts';
import { migrate } from './sqlite-schema.ts';
import {
  type AuditEntry,
  type AuditInput,
  type EdgeQuery,
  type EdgeRecord,
  type ObjectListQuery,
  type ObjectRecord,
  type Page,
  type PageCommit,
  type RestoreRecord,
  type RestoreStatus,
  type RoundStateChunk,
  type RunRecord,
  type Store,
  StoreConflictError,
  StoreUnavailableError,
  type SyncState,
  type TenantSettings,
  type VersionHead,
  type VersionRecord,
} from './store.ts';
import {
  assertTenant,
  clampLimit,
  decodeContinuation,
  encodeContinuation,
  newestHeads,
  normalizeEdge,
  normalizeObject,
  normalizeRestore,
  normalizeRoundState,
  normalizeRoundStateDone,
  normalizeRun,
  normalizeVersion,
  positionNumber,
  positionString,
  toIso,
} from './store-values.ts';

export interface SqliteStoreOptions {
  /** Path of the database file (created with its directory if missing). */
  file: string;
  /** How long a write waits for another process's lock before failing (default 5000 ms). */
  busyTimeoutMs?: number;
  /** Caps the file at this many pages: lets tests reproduce a full disk. */
  maxPageCount?: number;
  now?: () => Date;
  /** Search plan thresholds (tests force each plan with small values). */
  searchTuning?: Partial<SearchTuning>;
  /**
   * Where backup pages are committed: on a writer thread (sqlite-commit-thread.ts) so commits
   * overlap Graph reads, or on this connection. 'auto' (default) moves to the thread once this
   * store has committed COMMIT_THREAD_AFTER_ROWS rows: a backup's pages, not a test's few.
   */
  commitThread?: 'auto' | 'always' | 'never';
}

/** Rows (versions, objects, edges) committed before 'auto' starts the writer thread. */
export const COMMIT_THREAD_AFTER_ROWS = 10_000;

/** The default file name under DATA_DIR. */
export const SQLITE_FILE_NAME = 'entra-backup.db';

type Row = Record<string, unknown>;
type Params = Record<string, unknown>;

function parse<T>(doc: unknown): T {
  return JSON.parse(String(doc)) as T;
}

function withEtag<T extends object>(row: Row | undefined): (T & { etag: string }) | undefined {
  if (!row) return undefined;
  return { ...parse<T>(row.doc), etag: String(row.etag) };
}

function withoutEtag<T extends { etag?: string }>(record: T): Omit<T, 'etag'> {
  const { etag: _etag, ...rest } = record;
  return rest;
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly file: string;
  private db: Database.Database | undefined;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly now: () => Date;
  private readonly tuning: SearchTuning;
  private thread: SqliteCommitThread | undefined;
  private rowsCommitted = 0;
  private access: SqlAccess | undefined;

  constructor(private readonly options: SqliteStoreOptions) {
    this.file = path.resolve(options.file);
    this.now = options.now ?? (() => new Date());
    this.tuning = { ...DEFAULT_SEARCH_TUNING, ...options.searchTuning };
  }

  async init(): Promise<void> {
    if (this.db) return;
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new StoreUnavailableError(
        `SQLite store ${this.file} cannot be created: its directory ${path.dirname(this.file)} is not usable (${code})`,
        { cause: err },
      );
    }
    guardSqlite(this.file, () => {
      const db = new Database(this.file, { timeout: this.options.busyTimeoutMs ?? 5000 });
      try {
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
        db.pragma('foreign_keys = ON');
        // An 8 MB page cache and no memory map: mapped pages and each connection's cache count as
        // resident memory (the backup worker's RSS target is 300 MB at 100k users; the writer
        // thread has a cache of its own); the indexes keep search reads small.
        db.pragma('cache_size = -8192');
        db.pragma('mmap_size = 0');
        // A backup page dirties thousands of index pages: checkpointing every few pages instead
        // of after each one copies a page rewritten by consecutive commits once (WAL ≤ ~40 MB).
        db.pragma('wal_autocheckpoint = 10000');
        if (this.options.maxPageCount) db.pragma(`max_page_count = ${Math.floor(this.options.maxPageCount)}`);
        migrate(db, this.file);
      } catch (err) {
        db.close();
        throw err;
      }
      this.db = db;
    });
  }

  async close(): Promise<void> {
    const thread = this.thread;
    this.thread = undefined;
    this.rowsCommitted = 0;
    await thread?.close();
    this.access = undefined;
    this.statements.clear();
    this.db?.close();
    this.db = undefined;
  }

  async ping(): Promise<void> {
    this.run(() => this.get('SELECT 1 AS ok', {}));
  }

  // ------------------------------------------------------------ plumbing

  private conn(): Database.Database {
    if (!this.db) throw new Error(`SQLite store ${this.file} is not open: call init() first`);
    return this.db;
  }

  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.conn().prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  private get(sql: string, params: Params): Row | undefined {
    return this.stmt(sql).get(params) as Row | undefined;
  }

  private all(sql: string, params: Params): Row[] {
    return this.stmt(sql).all(params) as Row[];
  }

  private exec(sql: string, params: Params): Database.RunResult {
    return this.stmt(sql).run(params);
  }

  /** Whether backup pages now go to the writer thread (observability, tests). */
  get commitsOnThread(): boolean {
    return this.thread?.alive === true;
  }

  /** The page-commit SQL's view of this connection (sqlite-page-commit.ts). */
  private sql(): SqlAccess {
    this.access ??= { get: (sql, p) => this.get(sql, p), exec: (sql, p) => this.exec(sql, p) };
    return this.access;
  }

  /** The writer thread for this commit, started when due; undefined: commit on this connection. */
  private commitThreadFor(page: NormalizedPage): SqliteCommitThread | undefined {
    if (this.thread) return this.thread.alive ? this.thread : undefined;
    const mode = this.options.commitThread ?? 'auto';
    if (mode === 'never') return undefined;
    this.rowsCommitted += page.versions.length + page.objects.length + page.edgesAdded.length;
    if (mode === 'auto' && this.rowsCommitted < COMMIT_THREAD_AFTER_ROWS) return undefined;
    this.conn(); // not open: fail here, as a commit on this connection would
    this.thread = new SqliteCommitThread({
      file: this.file,
      busyTimeoutMs: this.options.busyTimeoutMs ?? 5000,
      maxPageCount: this.options.maxPageCount,
    });
    return this.thread;
  }

  /** Maps environment faults to StoreUnavailableError. */
  private run<T>(fn: () => T): T {
    return guardSqlite(this.file, fn);
  }

  /** A write transaction that takes the write lock up front (no deadlock between readers upgrading). */
  private write<T>(fn: () => T): T {
    return this.run(() => this.conn().transaction(fn).immediate());
  }

  private nowIso(): string {
    return this.now().toISOString();
  }

  // ------------------------------------------------------------ settings

  async listTenants(): Promise<TenantSettings[]> {
    return this.run(() =>
      this.all('SELECT doc, etag FROM settings ORDER BY tenant_id', {}).map(
        (r) => withEtag<TenantSettings>(r) as TenantSettings,
      ),
    );
  }

  async getSettings(tenantId: string): Promise<TenantSettings | undefined> {
    return this.run(() =>
      withEtag<TenantSettings>(
        this.get('SELECT doc, etag FROM settings WHERE tenant_id = @tenantId', { tenantId }),
      ),
    );
  }

  async putSettings(settings: TenantSettings, ifMatch?: string): Promise<TenantSettings> {
    const etag = randomUUID();
    const doc = JSON.stringify(withoutEtag(settings));
    const tenantId = settings.tenantId;
    this.write(() => {
      if (ifMatch === undefined) {
        this.exec(
          `INSERT INTO settings (tenant_id, doc, etag) VALUES (@tenantId, @doc, @etag)
           ON CONFLICT (tenant_id) DO UPDATE SET doc = excluded.doc, etag = excluded.etag`,
          { tenantId, doc, etag },
        );
        return;
      }
      const r = this.exec(
        'UPDATE settings SET doc = @doc, etag = @etag WHERE tenant_id = @tenantId AND etag = @ifMatch',
        { tenantId, doc, etag, ifMatch },
      );
      if (r.changes === 0) {
        throw new StoreConflictError(
          `settings of tenant ${tenantId} changed meanwhile (etag ${ifMatch} is stale)`,
        );
      }
    });
    return { ...withoutEtag(settings), etag };
  }

  async getSyncState(tenantId: string): Promise<SyncState | undefined> {
    return this.run(() =>
      withEtag<SyncState>(
        this.get('SELECT doc, etag FROM sync_state WHERE tenant_id = @tenantId', { tenantId }),
      ),
    );
  }

  async putSyncState(state: SyncState): Promise<SyncState> {
    const etag = randomUUID();
    this.write(() =>
      this.exec(
        `INSERT INTO sync_state (tenant_id, doc, etag) VALUES (@tenantId, @doc, @etag)
         ON CONFLICT (tenant_id) DO UPDATE SET doc = excluded.doc, etag = excluded.etag`,
        { tenantId: state.tenantId, doc: JSON.stringify(withoutEtag(state)), etag },
      ),
    );
    return { ...withoutEtag(state), etag };
  }

  // ------------------------------------------------------------ objects

  async getObject(
    tenantId: string,
    objectType: ObjectType,
    objectId: string,
  ): Promise<ObjectRecord | undefined> {
    return this.run(() => {
      const row = this.get(
        'SELECT doc FROM objects WHERE tenant_id = @tenantId AND object_type = @objectType AND object_id = @objectId',
        { tenantId, objectType, objectId },
      );
      return row ? parse<ObjectRecord>(row.doc) : undefined;
    });
  }

  async getObjects(
    tenantId: string,
    objectType: ObjectType,
    objectIds: string[],
  ): Promise<Map<string, ObjectRecord>> {
    return this.run(() => {
      const out = new Map<string, ObjectRecord>();
      for (let i = 0; i < objectIds.length; i += 500) {
        const ids = JSON.stringify(objectIds.slice(i, i + 500));
        const rows = this.all(
          `SELECT doc FROM objects WHERE tenant_id = @tenantId AND object_type = @objectType
             AND object_id IN (SELECT value FROM json_each(@ids))`,
          { tenantId, objectType, ids },
        );
        for (const row of rows) {
          const record = parse<ObjectRecord>(row.doc);
          out.set(record.objectId, record);
        }
      }
      return out;
    });
  }

  async listObjects(tenantId: string, query: ObjectListQuery): Promise<Page<ObjectRecord>> {
    return this.run(() =>
      listObjectsSql(
        { all: (sql, p) => this.all(sql, p), get: (sql, p) => this.get(sql, p) },
        tenantId,
        query,
        this.tuning,
      ),
    );
  }

  async *listLiveObjectIds(tenantId: string, objectType: ObjectType): AsyncIterable<string[]> {
    let after = '';
    for (;;) {
      const rows = this.run(() =>
        this.all(
          `SELECT object_id FROM objects WHERE tenant_id = @tenantId AND object_type = @objectType AND deleted = 0
             AND object_id > @after ORDER BY object_id LIMIT 1000`,
          { tenantId, objectType, after },
        ),
      );
      if (rows.length === 0) return;
      const ids = rows.map((r) => String(r.object_id));
      yield ids;
      if (rows.length < 1000) return;
      after = ids[ids.length - 1];
    }
  }

  async countObjects(
    tenantId: string,
  ): Promise<Partial<Record<ObjectType, { live: number; deleted: number }>>> {
    return this.run(() => {
      const out: Partial<Record<ObjectType, { live: number; deleted: number }>> = {};
      const rows = this.all(
        `SELECT object_type, deleted, count(*) AS n FROM objects WHERE tenant_id = @tenantId
         GROUP BY object_type, deleted`,
        { tenantId },
      );
      for (const r of rows) {
        const type = String(r.object_type) as ObjectType;
        const entry = out[type] ?? { live: 0, deleted: 0 };
        if (Number(r.deleted) === 1) entry.deleted += Number(r.n);
        else entry.live += Number(r.n);
        out[type] = entry;
      }
      return out;
    });
  }

  // ------------------------------------------------------------ backup pages and history

  async commitPage(tenantId: string, page: PageCommit): Promise<RunRecord | undefined> {
    const normalized: NormalizedPage = {
      versions: page.versions.map((v) => normalizeVersion(assertTenant(tenantId, v, 'version'))),
      objects: page.objects.map((o) => normalizeObject(assertTenant(tenantId, o, 'object'))),
      edgesAdded: page.edgesAdded.map((e) => normalizeEdge(assertTenant(tenantId, e, 'edge'))),
      edgesRemoved: page.edgesRemoved.map((r) => ({
        edgeId: r.edgeId,
        removedAt: toIso(r.removedAt, 'removedAt'),
      })),
      ...(page.run
        ? {
            run: normalizeRun(assertTenant(tenantId, page.run, 'run')),
            ...(page.run.etag === undefined ? {} : { runIfMatch: page.run.etag }),
          }
        : {}),
      ...(page.roundState ? { roundState: normalizeRoundState(page.roundState, page.run?.runId) } : {}),
      ...(page.roundStateDone
        ? { roundStateDone: normalizeRoundStateDone(page.roundStateDone, page.run?.runId) }
        : {}),
    };
    const etag = randomUUID();
    const thread = this.commitThreadFor(normalized);
    if (thread) await thread.commit(tenantId, normalized, etag);
    else this.write(() => writePage(this.sql(), tenantId, normalized, etag));
    return normalized.run ? { ...normalized.run, etag } : undefined;
  }

  async listVersions(tenantId: string, objectId: string, limit?: number): Promise<VersionRecord[]> {
    const n = clampLimit(limit, 1000, 100_000);
    return this.run(() =>
      this.all(
        // `+captured_at`: walk the object's own versions (few), never the tenant's by time (see getVersionAt).
        `SELECT doc FROM versions WHERE tenant_id = @tenantId AND object_id = @objectId
         ORDER BY +captured_at DESC, version_id DESC LIMIT @n`,
        { tenantId, objectId, n },
      ).map((r) => parse<VersionRecord>(r.doc)),
    );
  }

  async newestBackupVersions(tenantId: string, objectIds: string[]): Promise<Map<string, VersionHead>> {
    if (objectIds.length === 0) return new Map();
    const rows = this.run(() =>
      this.all(
        `SELECT v.object_type AS objectType, v.object_id AS objectId, v.version_id AS versionId,
           v.captured_at AS capturedAt, json_extract(v.doc, '$.hash') AS hash, json_extract(v.doc, '$.source') AS source
         FROM json_each(@ids) AS j JOIN versions AS v ON v.tenant_id = @tenantId AND v.object_id = j.value`,
        { tenantId, ids: JSON.stringify([...new Set(objectIds)]) },
      ),
    );
    return newestHeads(rows as unknown as (VersionHead & { source?: unknown })[]);
  }

  async getVersion(
    tenantId: string,
    objectId: string,
    versionId: string,
  ): Promise<VersionRecord | undefined> {
    return this.run(() => {
      const row = this.get(
        'SELECT doc FROM versions WHERE tenant_id = @tenantId AND object_id = @objectId AND version_id = @versionId',
        { tenantId, objectId, versionId },
      );
      return row ? parse<VersionRecord>(row.doc) : undefined;
    });
  }

  async getVersionAt(tenantId: string, objectId: string, at: string): Promise<VersionRecord | undefined> {
    const atIso = toIso(at, 'at');
    return this.run(() => {
      const row = this.get(
        // Without table statistics SQLite would walk versions_by_time back from `at` until it meets
        // the object: every version in the tenant (24 ms a read at 100k users). `+captured_at`
        // keeps it on the (tenant, object, version) index: the object's few versions, sorted.
        `SELECT doc FROM versions WHERE tenant_id = @tenantId AND object_id = @objectId AND +captured_at <= @at
         ORDER BY +captured_at DESC, version_id DESC LIMIT 1`,
        { tenantId, objectId, at: atIso },
      );
      return row ? parse<VersionRecord>(row.doc) : undefined;
    });
  }

  async listChanges(
    tenantId: string,
    query: { from: string; to: string; types?: ObjectType[]; limit?: number; continuation?: string },
  ): Promise<Page<VersionRecord>> {
    const limit = clampLimit(query.limit, 100, 1000);
    const params: Params = {
      tenantId,
      from: toIso(query.from, 'from'),
      to: toIso(query.to, 'to'),
      limit: limit + 1,
      a: '',
      o: '',
      v: '',
    };
    const where = ['tenant_id = @tenantId', 'captured_at > @from', 'captured_at <= @to'];
    if (query.types && query.types.length > 0) {
      where.push('object_type IN (SELECT value FROM json_each(@types))');
      params.types = JSON.stringify(query.types);
    }
    if (query.continuation) {
      const p = decodeContinuation('changes', query.continuation);
      params.a = positionString(p, 0);
      params.o = positionString(p, 1);
      params.v = positionString(p, 2);
      where.push('(captured_at, object_id, version_id) > (@a, @o, @v)');
    }
    const sql = `SELECT doc FROM versions WHERE ${where.join(' AND ')}
      ORDER BY captured_at, object_id, version_id LIMIT @limit`;
    return this.run(() => {
      const rows = this.all(sql, params).map((r) => parse<VersionRecord>(r.doc));
      const more = rows.length > limit;
      const items = more ? rows.slice(0, limit) : rows;
      const last = items[items.length - 1];
      return {
        items,
        ...(more && last
          ? { continuation: encodeContinuation('changes', [last.capturedAt, last.objectId, last.versionId]) }
          : {}),
      };
    });
  }

  async listEdges(tenantId: string, query: EdgeQuery): Promise<EdgeRecord[]> {
    const where = ['tenant_id = @tenantId'];
    const params: Params = { tenantId };
    if (query.sourceId !== undefined) {
      // With a target too, walk the target's edges (a user's few memberships), not the source's
      // (a group's 50,000 members): `+` keeps SQLite off the source index.
      where.push(query.targetId !== undefined ? '+source_id = @sourceId' : 'source_id = @sourceId');
      params.sourceId = query.sourceId;
    }
    if (query.targetId !== undefined) {
      where.push('target_id = @targetId');
      params.targetId = query.targetId;
    }
    if (query.kind !== undefined) {
      where.push('kind = @kind');
      params.kind = query.kind;
    }
    if (!query.history) {
      if (query.at !== undefined) {
        params.at = toIso(query.at, 'at');
        where.push('added_at <= @at AND (removed_at IS NULL OR removed_at > @at)');
      } else {
        where.push('removed_at IS NULL');
      }
    }
    const sql = `SELECT doc, removed_at FROM edges WHERE ${where.join(' AND ')} ORDER BY added_at, edge_id`;
    return this.run(() => {
      // Row by row: a 50,000-member group's documents (≈ 750 bytes each) are never all held as
      // rows and as records at once.
      const out: EdgeRecord[] = [];
      for (const r of this.stmt(sql).iterate(params) as IterableIterator<Row>) {
        const edge = parse<EdgeRecord>(r.doc);
        edge.removedAt = r.removed_at === null ? null : String(r.removed_at);
        out.push(edge);
      }
      return out;
    });
  }

  async diffAliveEdges(
    tenantId: string,
    query: { sourceId: string; kind: EdgeKind; targetIds: string[] },
  ): Promise<{ stale: EdgeRecord[]; missing: string[] }> {
    const params = {
      tenantId,
      sourceId: query.sourceId,
      kind: query.kind,
      targets: JSON.stringify(query.targetIds),
    };
    // The planner cannot see the source's selectivity through json_each: the index is named, else
    // it may scan the tenant's every edge per source.
    const alive = 'tenant_id = @tenantId AND source_id = @sourceId AND kind = @kind AND removed_at IS NULL';
    return this.run(() => ({
      stale: this.all(
        `SELECT doc, removed_at FROM edges INDEXED BY edges_by_source WHERE ${alive}
           AND target_id NOT IN (SELECT value FROM json_each(@targets)) ORDER BY added_at, edge_id`,
        params,
      ).map((r) => ({ ...parse<EdgeRecord>(r.doc), removedAt: null })),
      missing: (
        this.all(
          `SELECT DISTINCT value AS id FROM json_each(@targets)
             WHERE value NOT IN (SELECT target_id FROM edges INDEXED BY edges_by_source WHERE ${alive})`,
          params,
        ) as { id: string }[]
      ).map((r) => r.id),
    }));
  }

  async *readRoundState(
    tenantId: string,
    runId: string,
    stream: string,
    pages: number,
  ): AsyncIterable<RoundStateChunk> {
    // One chunk per query: no statement stays open between the caller's steps.
    for (let seq = 0; seq < pages; seq++) {
      const row = this.run(() =>
        this.get(
          `SELECT data FROM round_state
           WHERE tenant_id = @tenantId AND run_id = @runId AND stream = @stream AND seq = @seq`,
          { tenantId, runId, stream, seq },
        ),
      );
      if (row) yield { runId, stream, seq, data: String(row.data) };
    }
  }

  async deleteRoundState(tenantId: string, runId: string, stream?: string): Promise<number> {
    return this.write(
      () =>
        this.exec(
          `DELETE FROM round_state WHERE tenant_id = @tenantId AND run_id = @runId
           AND (@stream IS NULL OR stream = @stream)`,
          { tenantId, runId, stream: stream ?? null },
        ).changes,
    );
  }

  async pruneVersions(tenantId: string, before: string): Promise<number> {
    const beforeIso = toIso(before, 'before');
    return this.write(() => {
      // Round state a crash left behind: its run is no longer running (never resumed).
      this.exec(
        `DELETE FROM round_state WHERE tenant_id = @tenantId AND run_id NOT IN
           (SELECT run_id FROM runs WHERE tenant_id = @tenantId AND status IN ('queued', 'running'))`,
        { tenantId },
      );
      // A version goes when a newer one exists that is itself at or before `before`: the state
      // at `before` (and each object's newest version) stays. Ranked in one pass over the
      // tenant's versions up to `before` (a correlated "newer exists" subquery was planned on the
      // time index: quadratic in the tenant's versions).
      const versions = this.exec(
        `DELETE FROM versions WHERE id IN (
           SELECT id FROM (
             SELECT id, captured_at, ROW_NUMBER() OVER (
               PARTITION BY object_id ORDER BY captured_at DESC, version_id DESC) AS newer
             FROM versions WHERE tenant_id = @tenantId AND captured_at <= @before)
           WHERE newer > 1 AND captured_at < @before)`,
        { tenantId, before: beforeIso },
      );
      const edges = this.exec(
        'DELETE FROM edges WHERE tenant_id = @tenantId AND removed_at IS NOT NULL AND removed_at < @before',
        { tenantId, before: beforeIso },
      );
      return versions.changes + edges.changes;
    });
  }

  // ------------------------------------------------------------ runs

  async createRun(run: RunRecord): Promise<RunRecord> {
    const record = normalizeRun(run);
    const etag = randomUUID();
    this.write(() => {
      const r = this.exec(
        `INSERT INTO runs (tenant_id, run_id, status, created_at, due_at, lease_expires_at, doc, etag)
         VALUES (@tenantId, @runId, @status, @createdAt, @dueAt, @leaseExpiresAt, @doc, @etag) ON CONFLICT DO NOTHING`,
        {
          tenantId: record.tenantId,
          runId: record.runId,
          status: record.status,
          createdAt: record.createdAt,
          dueAt: record.dueAt,
          leaseExpiresAt: record.lease?.expiresAt ?? null,
          doc: JSON.stringify(record),
          etag,
        },
      );
      if (r.changes === 0) {
        throw new StoreConflictError(`run ${record.runId} of tenant ${record.tenantId} already exists`);
      }
    });
    return { ...record, etag };
  }

  async getRun(tenantId: string, runId: string): Promise<RunRecord | undefined> {
    return this.run(() =>
      withEtag<RunRecord>(
        this.get('SELECT doc, etag FROM runs WHERE tenant_id = @tenantId AND run_id = @runId', {
          tenantId,
          runId,
        }),
      ),
    );
  }

  async updateRun(run: RunRecord, ifMatch: string): Promise<RunRecord> {
    const record = normalizeRun(run);
    const etag = randomUUID();
    this.write(() => writeRun(this.sql(), record, etag, ifMatch));
    return { ...record, etag };
  }

  async listRuns(tenantId: string, query?: { limit?: number; status?: RunStatus[] }): Promise<RunRecord[]> {
    const n = clampLimit(query?.limit, 50, 10_000);
    const params: Params = { tenantId, n };
    let filter = '';
    if (query?.status && query.status.length > 0) {
      filter = 'AND status IN (SELECT value FROM json_each(@status))';
      params.status = JSON.stringify(query.status);
    }
    return this.run(() =>
      this.all(
        `SELECT doc, etag FROM runs WHERE tenant_id = @tenantId ${filter}
         ORDER BY created_at DESC, run_id DESC LIMIT @n`,
        params,
      ).map((r) => withEtag<RunRecord>(r) as RunRecord),
    );
  }

  async listClaimableRuns(now: string, limit: number): Promise<RunRecord[]> {
    const n = clampLimit(limit, 10, 1000);
    return this.run(() =>
      this.all(
        `SELECT doc, etag FROM runs
         WHERE (status = 'queued' AND due_at <= @now)
            OR (status = 'running' AND (lease_expires_at IS NULL OR lease_expires_at <= @now))
         ORDER BY due_at, tenant_id, run_id LIMIT @n`,
        { now: toIso(now, 'now'), n },
      ).map((r) => withEtag<RunRecord>(r) as RunRecord),
    );
  }

  // ------------------------------------------------------------ restores

  async putRestore(restore: RestoreRecord, ifMatch?: string): Promise<RestoreRecord> {
    const record = normalizeRestore(restore);
    const etag = randomUUID();
    const values = {
      tenantId: record.tenantId,
      restoreId: record.restoreId,
      status: record.status,
      requestedAt: record.requestedAt,
      leaseExpiresAt: record.lease?.expiresAt ?? null,
      doc: JSON.stringify(record),
      etag,
    };
    this.write(() => {
      if (ifMatch === undefined) {
        this.exec(
          `INSERT INTO restores (tenant_id, restore_id, status, requested_at, lease_expires_at, doc, etag)
           VALUES (@tenantId, @restoreId, @status, @requestedAt, @leaseExpiresAt, @doc, @etag)
           ON CONFLICT (tenant_id, restore_id) DO UPDATE SET status = excluded.status,
             lease_expires_at = excluded.lease_expires_at, doc = excluded.doc, etag = excluded.etag`,
          values,
        );
        return;
      }
      const r = this.exec(
        `UPDATE restores SET status = @status, lease_expires_at = @leaseExpiresAt, doc = @doc, etag = @etag
         WHERE tenant_id = @tenantId AND restore_id = @restoreId AND etag = @ifMatch`,
        { ...values, ifMatch },
      );
      if (r.changes === 0) {
        throw new StoreConflictError(
          `restore ${record.restoreId} of tenant ${record.tenantId} changed meanwhile or does not exist`,
        );
      }
    });
    return { ...record, etag };
  }

  async getRestore(tenantId: string, restoreId: string): Promise<RestoreRecord | undefined> {
    return this.run(() =>
      withEtag<RestoreRecord>(
        this.get('SELECT doc, etag FROM restores WHERE tenant_id = @tenantId AND restore_id = @restoreId', {
          tenantId,
          restoreId,
        }),
      ),
    );
  }

  async listRestores(
    tenantId: string,
    query?: { status?: RestoreStatus[]; limit?: number },
  ): Promise<RestoreRecord[]> {
    const n = clampLimit(query?.limit, 50, 10_000);
    const params: Params = { tenantId, n };
    let filter = '';
    if (query?.status && query.status.length > 0) {
      filter = 'AND status IN (SELECT value FROM json_each(@status))';
      params.status = JSON.stringify(query.status);
    }
    return this.run(() =>
      this.all(
        `SELECT doc, etag FROM restores WHERE tenant_id = @tenantId ${filter}
         ORDER BY requested_at DESC, restore_id DESC LIMIT @n`,
        params,
      ).map((r) => withEtag<RestoreRecord>(r) as RestoreRecord),
    );
  }

  async listClaimableRestores(now: string, limit: number): Promise<RestoreRecord[]> {
    const n = clampLimit(limit, 10, 1000);
    return this.run(() =>
      this.all(
        `SELECT doc, etag FROM restores
         WHERE status = 'approved'
            OR (status = 'running' AND (lease_expires_at IS NULL OR lease_expires_at <= @now))
         ORDER BY requested_at, tenant_id, restore_id LIMIT @n`,
        { now: toIso(now, 'now'), n },
      ).map((r) => withEtag<RestoreRecord>(r) as RestoreRecord),
    );
  }

  // ------------------------------------------------------------ audit

  async appendAudit(input: AuditInput): Promise<AuditEntry> {
    const tenantId = input.tenantId;
    return this.write(() => {
      if (input.onceKey !== undefined) {
        const done = this.get('SELECT doc FROM audit WHERE tenant_id = @tenantId AND once_key = @key', {
          tenantId,
          key: input.onceKey,
        });
        if (done) return parse<AuditEntry>(done.doc);
      }
      const head = this.get('SELECT seq, hash FROM audit_head WHERE tenant_id = @tenantId', { tenantId });
      const seq = head ? Number(head.seq) + 1 : 1;
      const prevHash = head ? String(head.hash) : GENESIS_HASH;
      const body: Omit<AuditEntry, 'hash'> = {
        tenantId,
        actor: input.actor,
        action: input.action,
        ...(input.target === undefined ? {} : { target: input.target }),
        ...(input.details === undefined ? {} : { details: input.details }),
        ...(input.onceKey === undefined ? {} : { onceKey: input.onceKey }),
        seq,
        at: this.nowIso(),
        prevHash,
      };
      const entry: AuditEntry = { ...body, hash: auditHash(body) };
      this.exec(
        `INSERT INTO audit (tenant_id, seq, actor_id, action, once_key, doc)
         VALUES (@tenantId, @seq, @actorId, @action, @onceKey, @doc)`,
        {
          tenantId,
          seq,
          actorId: input.actor.objectId,
          action: input.action,
          onceKey: input.onceKey ?? null,
          doc: JSON.stringify(entry),
        },
      );
      this.exec(
        `INSERT INTO audit_head (tenant_id, seq, hash) VALUES (@tenantId, @seq, @hash)
         ON CONFLICT (tenant_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`,
        { tenantId, seq, hash: entry.hash },
      );
      return entry;
    });
  }

  async listAudit(
    tenantId: string,
    query?: { actorId?: string; action?: string; limit?: number; continuation?: string },
  ): Promise<Page<AuditEntry>> {
    const limit = clampLimit(query?.limit, 50, 1000);
    const where = ['tenant_id = @tenantId'];
    const params: Params = { tenantId, limit: limit + 1 };
    if (query?.actorId !== undefined) {
      where.push('actor_id = @actorId');
      params.actorId = query.actorId;
    }
    if (query?.action !== undefined) {
      if (query.action.endsWith('*')) {
        where.push('substr(action, 1, @prefixLength) = @prefix');
        params.prefix = query.action.slice(0, -1);
        params.prefixLength = query.action.length - 1;
      } else {
        where.push('action = @action');
        params.action = query.action;
      }
    }
    if (query?.continuation) {
      where.push('seq < @before');
      params.before = positionNumber(decodeContinuation('audit', query.continuation), 0);
    }
    const sql = `SELECT doc FROM audit WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT @limit`;
    return this.run(() => {
      const rows = this.all(sql, params).map((r) => parse<AuditEntry>(r.doc));
      const more = rows.length > limit;
      const items = more ? rows.slice(0, limit) : rows;
      const last = items[items.length - 1];
      return { items, ...(more && last ? { continuation: encodeContinuation('audit', [last.seq]) } : {}) };
    });
  }

  async *readAuditChain(tenantId: string): AsyncIterable<AuditEntry> {
    let after = 0;
    for (;;) {
      const rows = this.run(() =>
        this.all(
          'SELECT seq, doc FROM audit WHERE tenant_id = @tenantId AND seq > @after ORDER BY seq LIMIT 500',
          {
            tenantId,
            after,
          },
        ),
      );
      for (const r of rows) {
        // The row's seq is authoritative: an entry edited in place cannot hide by rewriting its own seq.
        yield { ...parse<AuditEntry>(r.doc), seq: Number(r.seq) };
      }
      if (rows.length < 500) return;
      after = Number(rows[rows.length - 1].seq);
    }
  }

  async readAuditHead(tenantId: string): Promise<{ seq: number; hash: string } | undefined> {
    return this.run(() => {
      const row = this.get('SELECT seq, hash FROM audit_head WHERE tenant_id = @tenantId', { tenantId });
      return row ? { seq: Number(row.seq), hash: String(row.hash) } : undefined;
    });
  }
}
