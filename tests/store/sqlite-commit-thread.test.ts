// Backup pages committed on the SQLite writer thread (src/store/sqlite-commit-thread.ts): the
// same store contract, the same faults reported the same way, commits in order and visible to
// the store's own reads as soon as they resolve, and the switch from the store's connection to
// the thread once a backup's worth of rows has been committed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMIT_THREAD_AFTER_ROWS, SqliteStore } from '../../src/store/sqlite-store.ts';
import { StoreConflictError, StoreUnavailableError } from '../../src/store/store.ts';
import { edge, object, runStoreContract, tenant, version } from './contract.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'store-sqlite-thread-'));
let n = 0;
const freshFile = () => path.join(root, `db-${++n}`, 'entra-backup.db');

afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

runStoreContract('sqlite, pages committed on the writer thread', async () => {
  const store = new SqliteStore({ file: freshFile(), commitThread: 'always' });
  await store.init();
  return store;
});

const page = (t: string, ids: string[], capturedAt = '2024-01-01T00:00:00.000Z') => ({
  versions: ids.map((id) => version(t, id, capturedAt, { id, n: 1 })),
  objects: ids.map((id) => object(t, id, `Name ${id}`)),
  edgesAdded: [],
  edgesRemoved: [],
});

describe('SQLite writer thread', () => {
  it('commits concurrent pages in order, each visible to reads once it resolves', async () => {
    const store = new SqliteStore({ file: freshFile(), commitThread: 'always' });
    await store.init();
    const t = tenant();
    // Not awaited one by one: queued on the thread, applied in order (the last upsert wins).
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        store.commitPage(t, {
          versions: [],
          objects: [object(t, 'u1', `Name ${i}`)],
          edgesAdded: [edge(t, 'g1', `u${i}`, '2024-01-01T00:00:00.000Z')],
          edgesRemoved: [],
        }),
      ),
    );
    expect((await store.getObject(t, 'user', 'u1'))?.displayName).toBe('Name 9');
    expect(await store.listEdges(t, { sourceId: 'g1' })).toHaveLength(10);
    const found = await store.listObjects(t, { search: 'name 9' });
    expect(found.items.map((o) => o.objectId)).toEqual(['u1']);
    await store.close();
  });

  it('rejects a stale run etag with StoreConflictError and keeps nothing of that page', async () => {
    const store = new SqliteStore({ file: freshFile(), commitThread: 'always' });
    await store.init();
    const t = tenant();
    const run = await store.createRun({
      tenantId: t,
      runId: 'r1',
      kind: 'full',
      trigger: 'manual',
      status: 'running',
      createdAt: '2024-01-01T00:00:00.000Z',
      dueAt: '2024-01-01T00:00:00.000Z',
      counts: {},
      checkpoint: {},
      errors: [],
      graphRequests: 0,
      throttled: 0,
    });
    const stored = await store.commitPage(t, { ...page(t, ['u1']), run });
    expect(stored?.etag).not.toBe(run.etag);
    const err = await store.commitPage(t, { ...page(t, ['u2']), run }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreConflictError);
    expect(await store.getObject(t, 'user', 'u2')).toBeUndefined();
    expect(await store.getObject(t, 'user', 'u1')).toBeDefined();
    await store.close();
  });

  it('reports a full disk as StoreUnavailableError, keeping nothing of the page', async () => {
    const file = freshFile();
    const probe = new SqliteStore({ file });
    await probe.init();
    await probe.close();
    const pages = (new Database(file).pragma('page_count', { simple: true }) as number) + 8;
    const store = new SqliteStore({ file, maxPageCount: pages, commitThread: 'always' });
    await store.init();
    const t = tenant();
    const big = Array.from({ length: 200 }, (_, i) =>
      version(t, `u${i}`, '2024-01-02T00:00:00.000Z', { blob: 'x'.repeat(2000), i }),
    );
    const err = await store
      .commitPage(t, { versions: big, objects: [], edgesAdded: [], edgesRemoved: [] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect((err as Error).message).toMatch(/disk is full/);
    expect(await store.listVersions(t, 'u1')).toEqual([]);
    await store.close();
  });

  it('reports a lock held by another process as busy, then commits once it is gone', async () => {
    const file = freshFile();
    const store = new SqliteStore({ file, busyTimeoutMs: 50, commitThread: 'always' });
    await store.init();
    const other = new Database(file);
    other.exec('BEGIN EXCLUSIVE');
    const t = tenant();
    try {
      const err = await store.commitPage(t, page(t, ['u1'])).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreUnavailableError);
      expect((err as Error).message).toMatch(/is busy/);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    await store.commitPage(t, page(t, ['u1']));
    expect(await store.getObject(t, 'user', 'u1')).toBeDefined();
    await store.close();
  });

  it("'auto' moves to the thread after a backup's worth of rows, with nothing lost at the switch", async () => {
    const store = new SqliteStore({ file: freshFile() });
    await store.init();
    const t = tenant();
    const perPage = 500;
    const pages = Math.ceil((COMMIT_THREAD_AFTER_ROWS / 2 + perPage) / perPage) + 1;
    const onThread: boolean[] = [];
    for (let p = 0; p < pages; p++) {
      const ids = Array.from({ length: perPage }, (_, i) => `u${p * perPage + i}`);
      await store.commitPage(t, page(t, ids));
      onThread.push(store.commitsOnThread);
    }
    // Each page is 2 x 500 rows (versions + objects): the first pages stay on the connection.
    expect(onThread[0]).toBe(false);
    expect(onThread[pages - 1]).toBe(true);
    const counts = await store.countObjects(t);
    expect(counts.user?.live).toBe(pages * perPage);
    expect(await store.getObject(t, 'user', `u${pages * perPage - 1}`)).toBeDefined();
    await store.close();
  });

  it('close() waits for commits still queued on the thread', async () => {
    const file = freshFile();
    const store = new SqliteStore({ file, commitThread: 'always' });
    await store.init();
    const t = tenant();
    const queued = store.commitPage(t, page(t, ['u1', 'u2']));
    await store.close();
    await queued;
    const reopened = new SqliteStore({ file });
    await reopened.init();
    expect(await reopened.getObject(t, 'user', 'u2')).toBeDefined();
    await reopened.close();
  });
});
