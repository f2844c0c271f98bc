// What a killed or failed commit leaves behind, replayed through the page writer:
// - a new execution of the same run (a takeover) meets objects the run already wrote on a page
//   whose checkpoint never landed: they count as created / changed / deleted, not unchanged;
// - on a store whose commits may be partial (Cosmos DB), a later run meets a version written
//   without its object record: it reuses that version instead of storing the content twice.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CollectedPage, ObjectChange } from '../../src/backup/collectors/collector.ts';
import { buildCommit, type WriterContext } from '../../src/backup/page-writer.ts';
import type { GraphClient } from '../../src/graph/gateway.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';

const TENANT = '11111111-2222-3333-4444-555555555555';
const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-02T00:00:00.000Z';
const T2 = '2026-01-03T00:00:00.000Z';
// Hard deletions only: the writer never needs Graph here.
const noGraph = {
  batch: async () => {
    throw new Error('this test has no Graph');
  },
} as unknown as GraphClient;

let dir: string;
let store: Store;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'page-replay-'));
  store = await openStore({ dataDir: dir });
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const user = (id: string, jobTitle: string): ObjectChange => ({
  type: 'user',
  id,
  object: { id, displayName: `User ${id}`, userPrincipalName: `${id}@contoso.test`, jobTitle },
});
const page = (changes: ObjectChange[]): CollectedPage => ({ changes, edges: [], cursor: {} });
/** A fresh writer context = one execution of a stream (a new worker after a takeover). */
const execution = (s: Store, runId: string, capturedAt: string): WriterContext => ({
  store: s,
  tenantId: TENANT,
  client: noGraph,
  runId,
  capturedAt,
});

async function commit(w: WriterContext, p: CollectedPage) {
  const built = await buildCommit(w, p);
  await w.store.commitPage(TENANT, built.commit);
  return built;
}

/** The store, seen by the writer as one whose commits may be partial (as Cosmos DB's). */
function partial(s: Store): Store {
  return new Proxy(s, {
    get(target, prop) {
      if (prop === 'commitsMayBePartial') return true;
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('a page replayed after a kill', () => {
  it('counts what the same run wrote before the kill as created, changed and deleted', async () => {
    await commit(execution(store, 'run-a', T0), page([user('u1', 'A'), user('u2', 'A'), user('u9', 'A')]));
    // Run B writes its page, then dies before its checkpoint: the counts of that page are lost.
    const replayed = page([
      user('u1', 'B'),
      user('u2', 'A'),
      user('u3', 'B'),
      { type: 'user', id: 'u9', deleted: 'hard' },
    ]);
    const first = await commit(execution(store, 'run-b', T1), replayed);
    expect(first.counts.user).toMatchObject({ seen: 4, created: 1, changed: 1, deleted: 1, unchanged: 1 });

    // The worker that takes run B over replays the page: same counts, nothing written twice.
    const takeover = execution(store, 'run-b', T1);
    const again = await buildCommit(takeover, replayed);
    expect(again.commit.versions).toEqual([]);
    expect(again.counts.user).toEqual(first.counts.user);
    // Met twice within one execution (a group split over pages), an object counts once.
    const third = await buildCommit(takeover, replayed);
    expect(third.counts.user).toMatchObject({ seen: 4, created: 0, changed: 0, deleted: 0, unchanged: 4 });

    // A later run finds them unchanged.
    const later = await buildCommit(execution(store, 'run-c', T2), replayed);
    expect(later.counts.user).toMatchObject({ created: 0, changed: 0, deleted: 0, unchanged: 4 });
  });
});

describe('a commit that failed half-way on a non-transactional store', () => {
  it('reuses the version written without its object record: no duplicate, the record names it', async () => {
    const cosmosLike = partial(store);
    await commit(execution(cosmosLike, 'run-a', T0), page([user('u1', 'A')]));
    // Run B's commit stored the versions, then failed before the object records.
    const changed = page([user('u1', 'B'), user('u2', 'new')]);
    const failed = await buildCommit(execution(cosmosLike, 'run-b', T1), changed);
    await store.commitPage(TENANT, { ...failed.commit, objects: [], edgesAdded: [], edgesRemoved: [] });
    const left = new Map(failed.commit.versions.map((v) => [v.objectId, v]));

    // Run C (run B ended failed) meets the same content.
    const next = await buildCommit(execution(cosmosLike, 'run-c', T2), changed);
    expect(next.commit.versions).toEqual([]);
    expect(next.counts.user).toMatchObject({ created: 1, changed: 1, unchanged: 0 });
    await store.commitPage(TENANT, next.commit);
    for (const id of ['u1', 'u2']) {
      const rec = await store.getObject(TENANT, 'user', id);
      expect(rec?.latestVersionId).toBe(left.get(id)?.versionId);
      expect(rec?.lastChangedAt).toBe(T1);
    }
    expect((await store.getObject(TENANT, 'user', 'u2'))?.firstSeenAt).toBe(T1);
    const hashes = (await store.listVersions(TENANT, 'u1')).map((v) => v.hash);
    expect(hashes).toHaveLength(2);
    expect(new Set(hashes).size).toBe(2);
  });

  it('a left version whose content changed again is not reused', async () => {
    const cosmosLike = partial(store);
    await commit(execution(cosmosLike, 'run-a', T0), page([user('u1', 'A')]));
    const failed = await buildCommit(execution(cosmosLike, 'run-b', T1), page([user('u1', 'B')]));
    await store.commitPage(TENANT, { ...failed.commit, objects: [], edgesAdded: [], edgesRemoved: [] });
    const next = await buildCommit(execution(cosmosLike, 'run-c', T2), page([user('u1', 'C')]));
    expect(next.commit.versions.map((v) => v.capturedAt)).toEqual([T2]);
  });
});
