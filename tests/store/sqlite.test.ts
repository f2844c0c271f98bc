// The SQLite store: the shared contract, plus what only a file can do wrong (corruption, a lock
// held by another process, a full disk) and audit tampering done directly on the rows.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../src/store/audit-chain.ts';
import { openStore } from '../../src/store/open-store.ts';
import { migrate, SCHEMA_VERSION } from '../../src/store/sqlite-schema.ts';
import { SqliteStore } from '../../src/store/sqlite-store.ts';
import { StoreUnavailableError } from '../../src/store/store.ts';
import { normalizeObject, searchKeysOfText, searchTextOf } from '../../src/store/store-values.ts';
import { actor, object, runStoreContract, tenant, version } from './contract.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'store-sqlite-'));
let n = 0;
const freshFile = () => path.join(root, `db-${++n}`, 'entra-backup.db');

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

runStoreContract('sqlite', async () => {
  const store = new SqliteStore({ file: freshFile() });
  await store.init();
  return store;
});

async function unavailable(promise: Promise<unknown>): Promise<StoreUnavailableError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreUnavailableError);
  return err as StoreUnavailableError;
}

describe('SQLite store: files and faults', () => {
  it('opens through openStore under DATA_DIR, creates the schema once, and keeps data across reopen', async () => {
    const dataDir = path.join(root, 'datadir');
    const first = await openStore({ dataDir });
    expect(first.kind).toBe('sqlite');
    const t = tenant();
    await first.commitPage(t, {
      versions: [],
      objects: [object(t, 'u1', 'Kept')],
      edgesAdded: [],
      edgesRemoved: [],
    });
    await first.close();
    const file = path.join(dataDir, 'entra-backup.db');
    expect(fs.existsSync(file)).toBe(true);
    const second = await openStore({ dataDir });
    expect((await second.getObject(t, 'user', 'u1'))?.displayName).toBe('Kept');
    await second.close();
    const db = new Database(file, { readonly: true });
    // Each migration ran exactly once, in order.
    expect(db.prepare('SELECT version FROM schema_version').all()).toEqual(
      Array.from({ length: SCHEMA_VERSION }, (_, i) => ({ version: i + 1 })),
    );
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('upgrades a file of schema 1 in place: search, listing and versions read as before', async () => {
    const file = freshFile();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const old = new Database(file);
    old.pragma('journal_mode = WAL');
    migrate(old, file, 1);
    // Rows as the schema-1 writer left them: full keys in object_keys, versions WITHOUT ROWID.
    const t = tenant();
    const people = [object(t, 'u1', 'Alice Adams'), object(t, 'u2', 'Bob Brown', { deleted: true })];
    for (const o of people) {
      const record = normalizeObject(o);
      const text = searchTextOf(record);
      const r = old
        .prepare(
          `INSERT INTO objects (tenant_id, object_type, object_id, name_lower, deleted, last_changed_at, search_text, doc)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          t,
          o.objectType,
          o.objectId,
          o.displayName.toLowerCase(),
          o.deleted ? 1 : 0,
          o.lastChangedAt,
          text,
          JSON.stringify(record),
        );
      old.prepare('INSERT INTO object_search (rowid, text) VALUES (?, ?)').run(r.lastInsertRowid, text);
      for (const key of searchKeysOfText(record)) {
        old
          .prepare('INSERT INTO object_keys (tenant_id, key, id) VALUES (?, ?, ?)')
          .run(t, key, r.lastInsertRowid);
      }
    }
    for (const v of [
      version(t, 'u1', '2024-01-01T00:00:00.000Z', { n: 1 }),
      version(t, 'u1', '2024-02-01T00:00:00.000Z', { n: 2 }),
    ]) {
      old
        .prepare(
          'INSERT INTO versions (tenant_id, object_id, version_id, object_type, captured_at, doc) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(t, v.objectId, v.versionId, v.objectType, v.capturedAt, JSON.stringify(v));
    }
    old.close();

    const store = new SqliteStore({ file });
    await store.init();
    const ids = async (query: Parameters<SqliteStore['listObjects']>[1]) =>
      (await store.listObjects(t, query)).items.map((o) => o.objectId);
    expect(await ids({ search: 'ad' })).toEqual(['u1']); // a word's start, from the rebuilt keys
    expect(await ids({ search: 'b' })).toEqual(['u2']);
    expect(await ids({ search: 'lice' })).toEqual(['u1']);
    expect(await ids({ deleted: 'deleted' })).toEqual(['u2']);
    expect(await ids({ type: 'user', sort: 'id', descending: true })).toEqual(['u2', 'u1']);
    expect((await store.listVersions(t, 'u1')).map((v) => v.content?.n)).toEqual([2, 1]);
    expect((await store.getVersionAt(t, 'u1', '2024-01-15T00:00:00.000Z'))?.content?.n).toBe(1);
    // A replayed version is still ignored (the unique key survived the table rebuild).
    await store.commitPage(t, {
      versions: [version(t, 'u1', '2024-02-01T00:00:00.000Z', { n: 2 })],
      objects: [],
      edgesAdded: [],
      edgesRemoved: [],
    });
    expect(await store.listVersions(t, 'u1')).toHaveLength(2);
    await store.close();
  });

  it('reports a corrupt file as StoreUnavailableError naming the path', async () => {
    const file = freshFile();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, Buffer.from('this is not a database, just some bytes '.repeat(200)));
    const err = await unavailable(new SqliteStore({ file }).init());
    expect(err.message).toContain(file);
    expect(err.message).toMatch(/corrupt or not a database/);
    expect(err.code).toBe('STORE_UNAVAILABLE');
  });

  it('reports a path it cannot open as StoreUnavailableError', async () => {
    const blocker = path.join(root, 'a-file');
    fs.writeFileSync(blocker, 'x');
    // The "directory" of the database is a file: nothing can be created there.
    const err = await unavailable(new SqliteStore({ file: path.join(blocker, 'entra-backup.db') }).init());
    expect(err.message).toContain(blocker);
  });

  it('reports a database locked by another process as busy, and works once the lock is gone', async () => {
    const file = freshFile();
    const store = new SqliteStore({ file, busyTimeoutMs: 50 });
    await store.init();
    const other = new Database(file);
    other.exec('BEGIN EXCLUSIVE');
    try {
      const t = tenant();
      const err = await unavailable(
        store.commitPage(t, {
          versions: [],
          objects: [object(t, 'u1', 'U')],
          edgesAdded: [],
          edgesRemoved: [],
        }),
      );
      expect(err.message).toMatch(/is busy/);
      expect(err.message).toContain(file);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    const t = tenant();
    await store.commitPage(t, {
      versions: [],
      objects: [object(t, 'u1', 'U')],
      edgesAdded: [],
      edgesRemoved: [],
    });
    expect(await store.getObject(t, 'user', 'u1')).toBeDefined();
    await store.close();
  });

  it('fails a write cleanly on a full disk: nothing of the page is kept, earlier data intact', async () => {
    const file = freshFile();
    const probe = new SqliteStore({ file });
    await probe.init();
    await probe.close();
    const pages = (new Database(file).pragma('page_count', { simple: true }) as number) + 8;
    const store = new SqliteStore({ file, maxPageCount: pages });
    await store.init();
    const t = tenant();
    await store.commitPage(t, {
      versions: [version(t, 'u0', '2024-01-01T00:00:00.000Z', { a: 1 })],
      objects: [],
      edgesAdded: [],
      edgesRemoved: [],
    });
    const big = Array.from({ length: 200 }, (_, i) =>
      version(t, `u${i + 1}`, '2024-01-02T00:00:00.000Z', { blob: 'x'.repeat(2000), i }),
    );
    const err = await unavailable(
      store.commitPage(t, { versions: big, objects: [], edgesAdded: [], edgesRemoved: [] }),
    );
    expect(err.message).toMatch(/disk is full/);
    expect(await store.listVersions(t, 'u1')).toEqual([]);
    expect(await store.listVersions(t, 'u0')).toHaveLength(1);
    await store.close();
  });

  it('keeps one linear audit chain when two processes append to the same file', async () => {
    const file = freshFile();
    const a = new SqliteStore({ file });
    const b = new SqliteStore({ file });
    await a.init();
    await b.init();
    const t = tenant();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? a : b).appendAudit({
          tenantId: t,
          actor: actor(t),
          action: 'settings.changed',
          details: { i },
        }),
      ),
    );
    expect(await verifyAuditChain(a, t)).toMatchObject({ ok: true, entries: 20 });
    await a.close();
    await b.close();
  });
});

describe('audit verification detects tampering', () => {
  let file: string;
  let store: SqliteStore;
  const t = tenant();

  beforeAll(async () => {
    file = freshFile();
    store = new SqliteStore({ file });
    await store.init();
  });

  afterAll(async () => {
    await store.close();
  });

  async function freshChain(count: number): Promise<void> {
    const db = new Database(file);
    db.prepare('DELETE FROM audit WHERE tenant_id = ?').run(t);
    db.prepare('DELETE FROM audit_head WHERE tenant_id = ?').run(t);
    db.close();
    for (let i = 1; i <= count; i += 1) {
      await store.appendAudit({
        tenantId: t,
        actor: actor(t),
        action: 'restore.approved',
        target: `o${i}`,
        details: { i },
      });
    }
    expect((await verifyAuditChain(store, t)).ok).toBe(true);
  }

  function tamper(sql: string, ...args: unknown[]): void {
    const db = new Database(file);
    db.prepare(sql).run(...args);
    db.close();
  }

  it('names the first altered entry', async () => {
    await freshChain(5);
    tamper(`UPDATE audit SET doc = json_set(doc, '$.details.i', 99) WHERE tenant_id = ? AND seq = 3`, t);
    const result = await verifyAuditChain(store, t);
    expect(result.ok).toBe(false);
    expect(result.firstProblem).toMatchObject({ seq: 3, problem: 'altered' });
  });

  it('names a removed entry in the middle', async () => {
    await freshChain(5);
    tamper('DELETE FROM audit WHERE tenant_id = ? AND seq = 2', t);
    expect((await verifyAuditChain(store, t)).firstProblem).toMatchObject({ seq: 2, problem: 'removed' });
  });

  it('detects removal of the newest entries', async () => {
    await freshChain(5);
    tamper('DELETE FROM audit WHERE tenant_id = ? AND seq >= 4', t);
    const result = await verifyAuditChain(store, t);
    expect(result.firstProblem).toMatchObject({ seq: 4, problem: 'removed' });
    expect(result.firstProblem?.message).toMatch(/4\.\.5 are missing/);
  });

  it('detects an entry re-hashed to hide an edit (the next link breaks)', async () => {
    await freshChain(4);
    // The forger edits entry 2 and recomputes its hash: entry 3 still points at the old hash.
    const { auditHash } = await import('../../src/store/audit-chain.ts');
    const db = new Database(file);
    const row = db.prepare('SELECT doc FROM audit WHERE tenant_id = ? AND seq = 2').get(t) as { doc: string };
    const entry = JSON.parse(row.doc);
    entry.target = 'forged';
    entry.hash = auditHash(entry);
    db.prepare('UPDATE audit SET doc = ? WHERE tenant_id = ? AND seq = 2').run(JSON.stringify(entry), t);
    db.close();
    expect((await verifyAuditChain(store, t)).firstProblem).toMatchObject({ seq: 3, problem: 'broken-link' });
  });
});
