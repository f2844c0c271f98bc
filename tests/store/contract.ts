// The store contract: every Store implementation must pass this suite unchanged.
// `makeStore` returns a fresh, initialised store (empty where it matters: see claimable tests).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObjectType, Principal } from '../../src/domain.ts';
import { emptyCounts } from '../../src/domain.ts';
import { defaultSettings } from '../../src/settings/tenant-settings.ts';
import { verifyAuditChain } from '../../src/store/audit-chain.ts';
import {
  type EdgeRecord,
  type ObjectRecord,
  type RestoreRecord,
  type RunRecord,
  type Store,
  StoreConflictError,
  type VersionRecord,
} from '../../src/store/store.ts';
import { StoreInputError } from '../../src/store/store-values.ts';

export type StoreFactory = () => Promise<Store>;

const T = (day: number, hour = 0) => new Date(Date.UTC(2024, 0, day, hour)).toISOString();

export function tenant(): string {
  return `t-${randomUUID()}`;
}

export function version(
  tenantId: string,
  objectId: string,
  capturedAt: string,
  content: Record<string, unknown> | null,
  objectType: ObjectType = 'user',
): VersionRecord {
  const hash = content ? `h-${JSON.stringify(content).length}-${capturedAt}` : 'tombstone';
  return {
    tenantId,
    objectType,
    objectId,
    versionId: `${capturedAt}|${hash}`,
    hash,
    content: content ? { id: objectId, ...content } : null,
    deleted: content === null,
    capturedAt,
    runId: 'run-1',
    source: 'backup',
  };
}

export function object(
  tenantId: string,
  objectId: string,
  displayName: string,
  extra: Partial<ObjectRecord> = {},
): ObjectRecord {
  return {
    tenantId,
    objectType: 'user',
    objectId,
    displayName,
    searchKeys: [displayName.toLowerCase(), objectId.toLowerCase()],
    summary: {},
    deleted: false,
    latestVersionId: 'v',
    latestHash: 'h',
    firstSeenAt: T(1),
    lastChangedAt: T(1),
    ...extra,
  };
}

export function edge(
  tenantId: string,
  sourceId: string,
  targetId: string,
  addedAt: string,
  kind: EdgeRecord['kind'] = 'member',
): EdgeRecord {
  return {
    tenantId,
    edgeId: `${sourceId}|${kind}|${targetId}|${addedAt}`,
    sourceType: 'group',
    sourceId,
    kind,
    targetId,
    targetType: '#microsoft.graph.user',
    addedAt,
    removedAt: null,
    runId: 'run-1',
  };
}

export function run(tenantId: string, runId: string, extra: Partial<RunRecord> = {}): RunRecord {
  return {
    tenantId,
    runId,
    kind: 'incremental',
    status: 'queued',
    trigger: 'schedule',
    createdAt: T(1),
    dueAt: T(1),
    checkpoint: {},
    counts: { user: emptyCounts() },
    graphRequests: 0,
    throttled: 0,
    errors: [],
    ...extra,
  };
}

export function actor(tenantId: string, objectId = 'admin-1'): Principal {
  return { tenantId, objectId, displayName: 'Admin', kind: 'user' };
}

export function restore(
  tenantId: string,
  restoreId: string,
  extra: Partial<RestoreRecord> = {},
): RestoreRecord {
  return {
    tenantId,
    restoreId,
    status: 'pending',
    requestedBy: actor(tenantId),
    requestedAt: T(2),
    expiresAt: T(3),
    requiredApprovals: 1,
    decisions: [],
    request: { objects: ['u1'] },
    plan: { steps: [] },
    stepResults: {},
    updatedAt: T(2),
    ...extra,
  };
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

async function conflict(promise: Promise<unknown>): Promise<StoreConflictError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreConflictError);
  return err as StoreConflictError;
}

/** Seeds a small directory used by the search and isolation tests. */
async function seedPeople(store: Store, tenantId: string): Promise<void> {
  const people: ObjectRecord[] = [
    object(tenantId, 'aaaa-0001', 'Alice Adams', {
      searchKeys: ['alice adams', 'alice@contoso.com', 'alice.a@contoso.com', 'alice', 'aaaa-0001'],
      lastChangedAt: T(5),
    }),
    object(tenantId, 'bbbb-0002', 'Bob Brown', {
      searchKeys: ['bob brown', 'bob@contoso.com', 'bobby', 'bbbb-0002'],
      lastChangedAt: T(3),
    }),
    object(tenantId, 'cccc-0003', 'Carol Clark', {
      searchKeys: ['carol clark', 'carol@fabrikam.com', 'cc', 'cccc-0003'],
      deleted: true,
      deletedAt: T(4),
      deletionKind: 'soft',
      lastChangedAt: T(4),
    }),
    object(tenantId, 'dddd-0004', 'dave Dalice', {
      searchKeys: ['dave dalice', 'dave@contoso.com', 'dave', 'dddd-0004'],
      lastChangedAt: T(2),
    }),
    object(tenantId, 'eeee-0005', 'Sales Team', {
      objectType: 'group',
      searchKeys: ['sales team', 'sales@contoso.com', 'sales', 'eeee-0005'],
      lastChangedAt: T(6),
    }),
    object(tenantId, 'ffff-0006', '50%_off "deals"', {
      objectType: 'group',
      searchKeys: ['50%_off "deals"', 'ffff-0006'],
      lastChangedAt: T(7),
    }),
  ];
  await store.commitPage(tenantId, { versions: [], objects: people, edgesAdded: [], edgesRemoved: [] });
}

export function runStoreContract(name: string, makeStore: StoreFactory): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;

    beforeAll(async () => {
      store = await makeStore();
    });

    afterAll(async () => {
      await store?.close();
    });

    it('answers ping once initialised', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('creates and replaces settings, and refuses a stale etag (compare-and-swap)', async () => {
      const t = tenant();
      expect(await store.getSettings(t)).toBeUndefined();
      const created = await store.putSettings(defaultSettings(t, new Date(T(1))));
      expect(created.etag).toBeTruthy();
      const read = await store.getSettings(t);
      expect(read?.retentionDays).toBe(365);
      expect(read?.etag).toBe(created.etag);

      const updated = await store.putSettings({ ...created, retentionDays: 30 }, created.etag);
      expect(updated.etag).not.toBe(created.etag);
      expect((await store.getSettings(t))?.retentionDays).toBe(30);

      const err = await conflict(store.putSettings({ ...created, retentionDays: 7 }, created.etag));
      expect(err.message).toContain(t);
      expect((await store.getSettings(t))?.retentionDays).toBe(30);
      expect((await store.listTenants()).map((s) => s.tenantId)).toContain(t);
    });

    it('keeps sync state per tenant', async () => {
      const t = tenant();
      expect(await store.getSyncState(t)).toBeUndefined();
      await store.putSyncState({
        tenantId: t,
        streams: { user: { deltaLink: 'https://x/delta?token=1' } },
        updatedAt: T(1),
      });
      await store.putSyncState({
        tenantId: t,
        streams: { user: { deltaLink: 'https://x/delta?token=2' } },
        updatedAt: T(2),
      });
      const state = await store.getSyncState(t);
      expect(state?.streams.user.deltaLink).toBe('https://x/delta?token=2');
      expect(await store.getSyncState(tenant())).toBeUndefined();
    });

    it('commits a page idempotently: the same page twice leaves the same state', async () => {
      const t = tenant();
      const page = {
        versions: [
          version(t, 'u1', T(1), { displayName: 'U1' }),
          version(t, 'g1', T(1), { displayName: 'G1' }, 'group'),
        ],
        objects: [object(t, 'u1', 'U1'), object(t, 'g1', 'G1', { objectType: 'group' })],
        edgesAdded: [edge(t, 'g1', 'u1', T(1))],
        edgesRemoved: [],
      };
      await store.commitPage(t, page);
      const snapshot = async () => ({
        versions: [...(await store.listVersions(t, 'u1')), ...(await store.listVersions(t, 'g1'))],
        objects: (await store.listObjects(t, { sort: 'id' })).items,
        edges: await store.listEdges(t, { sourceId: 'g1', history: true }),
        counts: await store.countObjects(t),
      });
      const first = await snapshot();
      await store.commitPage(t, page);
      expect(await snapshot()).toEqual(first);
      expect(first.versions).toHaveLength(2);
      expect(first.edges).toHaveLength(1);
      expect(first.counts).toEqual({ user: { live: 1, deleted: 0 }, group: { live: 1, deleted: 0 } });

      // A replayed "add" does not reopen an edge closed since.
      await store.commitPage(t, {
        versions: [],
        objects: [],
        edgesAdded: [],
        edgesRemoved: [{ edgeId: page.edgesAdded[0].edgeId, removedAt: T(2) }],
      });
      await store.commitPage(t, page);
      expect(await store.listEdges(t, { sourceId: 'g1' })).toEqual([]);
    });

    it('writes the run checkpoint with the page, with compare-and-swap on its etag', async () => {
      const t = tenant();
      const created = await store.createRun(run(t, 'r1', { status: 'running' }));
      const stored = await store.commitPage(t, {
        versions: [version(t, 'u1', T(1), { a: 1 })],
        objects: [object(t, 'u1', 'U1')],
        edgesAdded: [],
        edgesRemoved: [],
        run: { ...created, checkpoint: { user: { nextLink: 'https://graph/next?1' } } },
      });
      expect(stored?.etag).toBeTruthy();
      expect(stored?.etag).not.toBe(created.etag);
      expect((await store.getRun(t, 'r1'))?.checkpoint.user.nextLink).toBe('https://graph/next?1');

      // Another worker took the run: the old etag no longer commits a checkpoint.
      await conflict(
        store.commitPage(t, {
          versions: [],
          objects: [],
          edgesAdded: [],
          edgesRemoved: [],
          run: { ...created, checkpoint: { user: { nextLink: 'stale' } } },
        }),
      );
      expect((await store.getRun(t, 'r1'))?.checkpoint.user.nextLink).toBe('https://graph/next?1');
      // The returned etag chains to the next commit.
      const next = await store.commitPage(t, {
        versions: [],
        objects: [],
        edgesAdded: [],
        edgesRemoved: [],
        run: { ...(stored as RunRecord), checkpoint: { user: { done: true } } },
      });
      expect((await store.getRun(t, 'r1'))?.etag).toBe(next?.etag);
    });

    it('refuses records of another tenant in a commit', async () => {
      const a = tenant();
      const b = tenant();
      await expect(
        store.commitPage(a, {
          versions: [],
          objects: [object(b, 'x', 'X')],
          edgesAdded: [],
          edgesRemoved: [],
        }),
      ).rejects.toBeInstanceOf(StoreInputError);
      expect(await store.getObject(b, 'user', 'x')).toBeUndefined();
      expect(await store.getObject(a, 'user', 'x')).toBeUndefined();
    });

    it('reads an object at any point in time, tombstones included; versions newest first', async () => {
      const t = tenant();
      const v1 = version(t, 'u1', T(2), { displayName: 'One' });
      const v2 = version(t, 'u1', T(4), { displayName: 'Two' });
      const v3 = version(t, 'u1', T(6), null);
      for (const v of [v1, v2, v3]) {
        await store.commitPage(t, { versions: [v], objects: [], edgesAdded: [], edgesRemoved: [] });
      }
      expect(await store.getVersionAt(t, 'u1', T(1))).toBeUndefined();
      expect((await store.getVersionAt(t, 'u1', T(2)))?.content?.displayName).toBe('One');
      expect((await store.getVersionAt(t, 'u1', T(3)))?.content?.displayName).toBe('One');
      expect((await store.getVersionAt(t, 'u1', T(4)))?.content?.displayName).toBe('Two');
      const gone = await store.getVersionAt(t, 'u1', T(9));
      expect(gone?.deleted).toBe(true);
      expect(gone?.content).toBeNull();
      // Any ISO form of the instant works.
      expect((await store.getVersionAt(t, 'u1', '2024-01-04T00:00:00Z'))?.content?.displayName).toBe('Two');

      const all = await store.listVersions(t, 'u1');
      expect(all.map((v) => v.versionId)).toEqual([v3.versionId, v2.versionId, v1.versionId]);
      expect((await store.listVersions(t, 'u1', 2)).map((v) => v.versionId)).toEqual([
        v3.versionId,
        v2.versionId,
      ]);
      expect(await store.getVersion(t, 'u1', v2.versionId)).toEqual(v2);
      expect(await store.getVersion(t, 'u1', 'nope')).toBeUndefined();
    });

    it('answers relationships at a time T, now, by target, and their history', async () => {
      const t = tenant();
      const e1 = edge(t, 'g1', 'u1', T(2));
      const e2 = edge(t, 'g1', 'u2', T(3));
      const e3 = edge(t, 'g1', 'u1', T(3), 'owner');
      await store.commitPage(t, { versions: [], objects: [], edgesAdded: [e1, e2, e3], edgesRemoved: [] });
      await store.commitPage(t, {
        versions: [],
        objects: [],
        edgesAdded: [],
        edgesRemoved: [{ edgeId: e1.edgeId, removedAt: T(5) }],
      });
      const ids = (edges: EdgeRecord[]) => edges.map((e) => `${e.kind}:${e.targetId}`).sort();
      expect(ids(await store.listEdges(t, { sourceId: 'g1', at: T(1) }))).toEqual([]);
      expect(ids(await store.listEdges(t, { sourceId: 'g1', at: T(2) }))).toEqual(['member:u1']);
      expect(ids(await store.listEdges(t, { sourceId: 'g1', at: T(4) }))).toEqual([
        'member:u1',
        'member:u2',
        'owner:u1',
      ]);
      expect(ids(await store.listEdges(t, { sourceId: 'g1', at: T(5) }))).toEqual(['member:u2', 'owner:u1']);
      expect(ids(await store.listEdges(t, { sourceId: 'g1' }))).toEqual(['member:u2', 'owner:u1']);
      expect(ids(await store.listEdges(t, { sourceId: 'g1', kind: 'member', at: T(4) }))).toEqual([
        'member:u1',
        'member:u2',
      ]);
      expect(ids(await store.listEdges(t, { targetId: 'u1', at: T(4) }))).toEqual(['member:u1', 'owner:u1']);
      const history = await store.listEdges(t, { sourceId: 'g1', history: true });
      expect(history).toHaveLength(3);
      expect(history.find((e) => e.edgeId === e1.edgeId)?.removedAt).toBe(T(5));
      expect(history.find((e) => e.edgeId === e2.edgeId)?.removedAt).toBeNull();
    });

    it('lists changes between T1 and T2, oldest first, paged by continuation, filtered by type', async () => {
      const t = tenant();
      const vs = [
        version(t, 'u1', T(1), { a: 1 }),
        version(t, 'u1', T(2), { a: 2 }),
        version(t, 'u2', T(2), { a: 1 }),
        version(t, 'g1', T(3), { a: 1 }, 'group'),
        version(t, 'u2', T(4), null),
        version(t, 'u3', T(5), { a: 1 }),
      ];
      await store.commitPage(t, { versions: vs, objects: [], edgesAdded: [], edgesRemoved: [] });
      const seen: VersionRecord[] = [];
      let continuation: string | undefined;
      let pages = 0;
      do {
        const page = await store.listChanges(t, { from: T(1), to: T(4), limit: 2, continuation });
        seen.push(...page.items);
        continuation = page.continuation;
        pages += 1;
      } while (continuation && pages < 10);
      // from is exclusive, to inclusive.
      expect(seen.map((v) => `${v.objectId}@${v.capturedAt.slice(8, 10)}`)).toEqual([
        'u1@02',
        'u2@02',
        'g1@03',
        'u2@04',
      ]);
      expect(pages).toBe(2);
      const groups = await store.listChanges(t, { from: T(0), to: T(9), types: ['group'] });
      expect(groups.items.map((v) => v.objectId)).toEqual(['g1']);
      expect(groups.continuation).toBeUndefined();
      // A token from another query is refused, not misread.
      const audit = await store.listAudit(t, { limit: 1 });
      expect(audit.items).toEqual([]);
      await expect(
        store.listChanges(t, { from: T(1), to: T(4), continuation: 'garbage!' }),
      ).rejects.toBeInstanceOf(StoreInputError);
    });

    it('searches by prefix and substring on name, UPN, mail, nickname and id, case-insensitively', async () => {
      const t = tenant();
      await seedPeople(store, t);
      const find = async (search: string, extra: Parameters<Store['listObjects']>[1] = {}) =>
        (await store.listObjects(t, { search, ...extra })).items.map((o) => o.objectId);

      expect(await find('ali')).toEqual(['aaaa-0001', 'dddd-0004']); // prefix of Alice; substring of Dalice
      expect(await find('ALICE')).toEqual(['aaaa-0001', 'dddd-0004']);
      expect(await find('lice ad')).toEqual(['aaaa-0001']); // substring of the display name
      expect(await find('bobby')).toEqual(['bbbb-0002']); // nickname
      expect(await find('fabrikam')).toEqual(['cccc-0003']); // mail domain, deleted included
      expect(await find('0003')).toEqual(['cccc-0003']); // object id substring
      expect(await find('CCCC-0003')).toEqual(['cccc-0003']);
      expect(await find('@contoso.com')).toEqual(['aaaa-0001', 'bbbb-0002', 'dddd-0004', 'eeee-0005']);
      // One or two letters: the start of a key or of a display-name word ('Adams', 'Dalice').
      expect(await find('b')).toEqual(['bbbb-0002']);
      expect(await find('ad')).toEqual(['aaaa-0001']);
      expect(await find('DA')).toEqual(['dddd-0004']);
      expect(await find('cc')).toEqual(['cccc-0003']); // nickname
      expect(await find('zz-no-match')).toEqual([]);
      // Search text is data, never syntax: quotes, % and _ match literally.
      expect(await find('50%_')).toEqual(['ffff-0006']);
      expect(await find('"deals"')).toEqual(['ffff-0006']);
      expect(await find("' OR 1=1 --")).toEqual([]);
      expect(await find('%_o')).toEqual(['ffff-0006']);
      expect(await find('%')).toEqual([]); // one character: no key starts with it

      // Deleted objects: included by default, filterable.
      expect(await find('contoso', { deleted: 'live' })).toEqual([
        'aaaa-0001',
        'bbbb-0002',
        'dddd-0004',
        'eeee-0005',
      ]);
      expect(await find('c', { deleted: 'deleted' })).toEqual(['cccc-0003']);
      expect(await find('carol', { deleted: 'live' })).toEqual([]);
      // Type filter.
      expect(await find('contoso', { type: 'group' })).toEqual(['eeee-0005']);
    });

    it('sorts and pages objects by name, id and last change, both directions', async () => {
      const t = tenant();
      await seedPeople(store, t);
      const all = async (query: Parameters<Store['listObjects']>[1]) => {
        const out: string[] = [];
        let continuation: string | undefined;
        let pages = 0;
        do {
          const page = await store.listObjects(t, { ...query, limit: 4, continuation });
          out.push(...page.items.map((o) => o.displayName));
          continuation = page.continuation;
          pages += 1;
        } while (continuation && pages < 10);
        return { out, pages };
      };
      const byName = [
        '50%_off "deals"',
        'Alice Adams',
        'Bob Brown',
        'Carol Clark',
        'dave Dalice',
        'Sales Team',
      ];
      expect(await all({ sort: 'name' })).toEqual({ out: byName, pages: 2 });
      expect((await all({ sort: 'name', descending: true })).out).toEqual([...byName].reverse());
      expect((await all({ sort: 'id' })).out).toEqual([
        'Alice Adams',
        'Bob Brown',
        'Carol Clark',
        'dave Dalice',
        'Sales Team',
        '50%_off "deals"',
      ]);
      expect((await all({ sort: 'lastChange', descending: true })).out).toEqual([
        '50%_off "deals"',
        'Sales Team',
        'Alice Adams',
        'Carol Clark',
        'Bob Brown',
        'dave Dalice',
      ]);
      // Paged search.
      const page1 = await store.listObjects(t, { search: 'contoso', limit: 3 });
      expect(page1.items.map((o) => o.objectId)).toEqual(['aaaa-0001', 'bbbb-0002', 'dddd-0004']);
      const page2 = await store.listObjects(t, {
        search: 'contoso',
        limit: 3,
        continuation: page1.continuation,
      });
      expect(page2.items.map((o) => o.objectId)).toEqual(['eeee-0005']);
      expect(page2.continuation).toBeUndefined();
      // A token from another sort order is refused.
      await expect(
        store.listObjects(t, { sort: 'id', continuation: page1.continuation }),
      ).rejects.toBeInstanceOf(StoreInputError);
    });

    it('reads objects one by one, in batches, live ids per type, and counts', async () => {
      const t = tenant();
      await seedPeople(store, t);
      expect((await store.getObject(t, 'user', 'aaaa-0001'))?.displayName).toBe('Alice Adams');
      expect(await store.getObject(t, 'group', 'aaaa-0001')).toBeUndefined();
      const batch = await store.getObjects(t, 'user', ['aaaa-0001', 'cccc-0003', 'nope']);
      expect([...batch.keys()].sort()).toEqual(['aaaa-0001', 'cccc-0003']);
      const live = (await collect(store.listLiveObjectIds(t, 'user'))).flat().sort();
      expect(live).toEqual(['aaaa-0001', 'bbbb-0002', 'dddd-0004']);
      expect(await store.countObjects(t)).toEqual({
        user: { live: 3, deleted: 1 },
        group: { live: 2, deleted: 0 },
      });
    });

    it('never returns one tenant’s data to a query for another', async () => {
      const a = tenant();
      const b = tenant();
      // Same object ids in both tenants, different content.
      for (const [t, name] of [
        [a, 'Alpha Person'],
        [b, 'Bravo Person'],
      ] as const) {
        await store.commitPage(t, {
          versions: [version(t, 'shared-id', T(2), { displayName: name })],
          objects: [object(t, 'shared-id', name)],
          edgesAdded: [edge(t, 'grp', 'shared-id', T(2))],
          edgesRemoved: [],
        });
        await store.createRun(run(t, 'run-x'));
        await store.putRestore(restore(t, 'rst-x'));
        await store.appendAudit({ tenantId: t, actor: actor(t), action: 'export', target: name });
      }
      await store.commitPage(b, {
        versions: [version(b, 'only-b', T(3), { displayName: 'Bravo Only' })],
        objects: [object(b, 'only-b', 'Bravo Only')],
        edgesAdded: [],
        edgesRemoved: [],
      });

      expect((await store.getObject(a, 'user', 'shared-id'))?.displayName).toBe('Alpha Person');
      expect(await store.getObject(a, 'user', 'only-b')).toBeUndefined();
      expect(
        [...(await store.getObjects(a, 'user', ['shared-id', 'only-b'])).values()].map((o) => o.tenantId),
      ).toEqual([a]);
      expect((await store.listObjects(a, { search: 'person' })).items.map((o) => o.tenantId)).toEqual([a]);
      expect((await store.listObjects(a, { search: 'bravo' })).items).toEqual([]);
      expect((await store.listObjects(a, {})).items.map((o) => o.displayName)).toEqual(['Alpha Person']);
      expect((await collect(store.listLiveObjectIds(a, 'user'))).flat()).toEqual(['shared-id']);
      expect(await store.countObjects(a)).toEqual({ user: { live: 1, deleted: 0 } });
      expect((await store.listVersions(a, 'shared-id')).map((v) => v.content?.displayName)).toEqual([
        'Alpha Person',
      ]);
      expect(await store.listVersions(a, 'only-b')).toEqual([]);
      expect((await store.getVersionAt(a, 'shared-id', T(9)))?.content?.displayName).toBe('Alpha Person');
      expect(await store.getVersionAt(a, 'only-b', T(9))).toBeUndefined();
      const changes = await store.listChanges(a, { from: T(0), to: T(9) });
      expect(changes.items.map((v) => v.tenantId)).toEqual([a]);
      expect((await store.listEdges(a, { sourceId: 'grp', history: true })).map((e) => e.tenantId)).toEqual([
        a,
      ]);
      expect((await store.listEdges(a, { targetId: 'shared-id' })).map((e) => e.tenantId)).toEqual([a]);
      expect((await store.listRuns(a)).map((r) => r.tenantId)).toEqual([a]);
      expect((await store.getRun(a, 'run-x'))?.tenantId).toBe(a);
      expect((await store.listRestores(a)).map((r) => r.tenantId)).toEqual([a]);
      expect((await store.getRestore(a, 'rst-x'))?.tenantId).toBe(a);
      const audit = await store.listAudit(a);
      expect(audit.items.map((e) => e.target)).toEqual(['Alpha Person']);
      expect((await collect(store.readAuditChain(a))).map((e) => e.tenantId)).toEqual([a]);
      // Each tenant has its own chain, both starting at 1.
      expect(audit.items[0].seq).toBe(1);
      // Pruning one tenant leaves the other alone.
      await store.pruneVersions(a, T(30));
      expect(await store.listVersions(b, 'shared-id')).toHaveLength(1);
    });

    it('creates runs once, updates them with compare-and-swap, lists newest first', async () => {
      const t = tenant();
      const r1 = await store.createRun(run(t, 'r1', { createdAt: T(1) }));
      await store.createRun(run(t, 'r2', { createdAt: T(2), status: 'succeeded' }));
      await conflict(store.createRun(run(t, 'r1')));
      expect(r1.etag).toBeTruthy();

      const claimed = await store.updateRun(
        { ...r1, status: 'running', lease: { owner: 'w1', expiresAt: T(1, 1) } },
        r1.etag as string,
      );
      expect(claimed.etag).not.toBe(r1.etag);
      // A second worker with the old etag loses.
      await conflict(
        store.updateRun(
          { ...r1, status: 'running', lease: { owner: 'w2', expiresAt: T(1, 1) } },
          r1.etag as string,
        ),
      );
      expect((await store.getRun(t, 'r1'))?.lease?.owner).toBe('w1');
      await conflict(store.updateRun(run(t, 'missing'), 'whatever'));

      expect((await store.listRuns(t)).map((r) => r.runId)).toEqual(['r2', 'r1']);
      expect((await store.listRuns(t, { limit: 1 })).map((r) => r.runId)).toEqual(['r2']);
      expect((await store.listRuns(t, { status: ['running'] })).map((r) => r.runId)).toEqual(['r1']);
      expect(await store.getRun(t, 'nope')).toBeUndefined();
    });

    it('lists claimable runs and restores across tenants: due, and running with an expired lease', async () => {
      const fresh = await makeStore();
      try {
        const a = tenant();
        const b = tenant();
        const now = T(10);
        await fresh.createRun(run(a, 'due', { dueAt: T(9) }));
        await fresh.createRun(run(b, 'due-b', { dueAt: T(8) }));
        await fresh.createRun(run(a, 'future', { dueAt: T(11) }));
        await fresh.createRun(
          run(a, 'expired', { status: 'running', lease: { owner: 'w1', expiresAt: T(9, 12) } }),
        );
        await fresh.createRun(
          run(b, 'leased', { status: 'running', lease: { owner: 'w1', expiresAt: T(10, 1) } }),
        );
        await fresh.createRun(run(a, 'done', { status: 'succeeded' }));
        const claimable = await fresh.listClaimableRuns(now, 10);
        expect(claimable.map((r) => r.runId).sort()).toEqual(['due', 'due-b', 'expired']);
        expect(claimable.every((r) => typeof r.etag === 'string' && r.etag.length > 0)).toBe(true);
        expect(await fresh.listClaimableRuns(now, 1)).toHaveLength(1);

        await fresh.putRestore(restore(a, 'approved', { status: 'approved' }));
        await fresh.putRestore(restore(b, 'pending', { status: 'pending' }));
        await fresh.putRestore(
          restore(b, 'stuck', { status: 'running', lease: { owner: 'w', expiresAt: T(9) } }),
        );
        await fresh.putRestore(
          restore(a, 'busy', { status: 'running', lease: { owner: 'w', expiresAt: T(11) } }),
        );
        await fresh.putRestore(restore(a, 'done', { status: 'succeeded' }));
        expect((await fresh.listClaimableRestores(now, 10)).map((r) => r.restoreId).sort()).toEqual([
          'approved',
          'stuck',
        ]);
      } finally {
        await fresh.close();
      }
    });

    it('stores restores with compare-and-swap', async () => {
      const t = tenant();
      const created = await store.putRestore(restore(t, 'rs1'));
      expect(created.etag).toBeTruthy();
      const approved = await store.putRestore(
        {
          ...created,
          status: 'approved',
          decisions: [{ by: actor(t, 'admin-2'), decision: 'approve', at: T(2, 1) }],
        },
        created.etag,
      );
      // A racing cancel with the old etag loses; the approval stands.
      await conflict(store.putRestore({ ...created, status: 'cancelled' }, created.etag));
      const read = await store.getRestore(t, 'rs1');
      expect(read?.status).toBe('approved');
      expect(read?.etag).toBe(approved.etag);
      await store.putRestore(restore(t, 'rs2', { requestedAt: T(3) }));
      expect((await store.listRestores(t)).map((r) => r.restoreId)).toEqual(['rs2', 'rs1']);
      expect((await store.listRestores(t, { status: ['approved'] })).map((r) => r.restoreId)).toEqual([
        'rs1',
      ]);
      await conflict(store.putRestore(restore(t, 'never-stored'), 'etag'));
    });

    it('appends a hash chain, stays linear under concurrent appends, and filters the list', async () => {
      const t = tenant();
      const first = await store.appendAudit({
        tenantId: t,
        actor: actor(t, 'alice'),
        action: 'backup.requested',
      });
      expect(first.seq).toBe(1);
      const parallel = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          store.appendAudit({
            tenantId: t,
            actor: actor(t, i % 2 ? 'alice' : 'bob'),
            action: i % 2 ? 'restore.requested' : 'restore.approved',
            target: `obj-${i}`,
            details: { i },
          }),
        ),
      );
      expect(parallel.map((e) => e.seq).sort((x, y) => x - y)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
      const chain = await collect(store.readAuditChain(t));
      expect(chain.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      chain.forEach((e, i) => {
        if (i > 0) expect(e.prevHash).toBe(chain[i - 1].hash);
      });
      expect(await verifyAuditChain(store, t)).toMatchObject({ ok: true, entries: 9 });

      const newest = await store.listAudit(t, { limit: 4 });
      expect(newest.items.map((e) => e.seq)).toEqual([9, 8, 7, 6]);
      const older = await store.listAudit(t, { limit: 4, continuation: newest.continuation });
      expect(older.items.map((e) => e.seq)).toEqual([5, 4, 3, 2]);
      const last = await store.listAudit(t, { limit: 4, continuation: older.continuation });
      expect(last.items.map((e) => e.seq)).toEqual([1]);
      expect(last.continuation).toBeUndefined();

      const bob = await store.listAudit(t, { actorId: 'bob' });
      expect(bob.items).toHaveLength(4);
      expect(bob.items.every((e) => e.actor.objectId === 'bob')).toBe(true);
      expect((await store.listAudit(t, { action: 'backup.requested' })).items.map((e) => e.seq)).toEqual([1]);
      expect((await store.listAudit(t, { action: 'restore.*' })).items).toHaveLength(8);
      expect((await store.listAudit(t, { action: 'restore.approved', actorId: 'alice' })).items).toEqual([]);
      // A keyed entry repeated (a resumed restore step) is appended once; the repeat returns it.
      const once = { tenantId: t, actor: actor(t, 'worker'), action: 'restore.step', onceKey: 'r1:s1' };
      const stepEntry = await store.appendAudit({ ...once, details: { status: 'done' } });
      const repeat = await store.appendAudit({ ...once, details: { status: 'done', reason: 'again' } });
      expect(repeat).toMatchObject({ seq: stepEntry.seq, hash: stepEntry.hash, details: { status: 'done' } });
      expect((await store.appendAudit({ ...once, onceKey: 'r1:s2' })).seq).toBe(stepEntry.seq + 1);
      expect(await verifyAuditChain(store, t)).toMatchObject({ ok: true, entries: 11 });
    });

    it('prunes old versions but keeps each object’s newest and the state at the cut-off', async () => {
      const t = tenant();
      const old1 = version(t, 'u1', T(1), { a: 1 });
      const old2 = version(t, 'u1', T(3), { a: 2 });
      const recent = version(t, 'u1', T(8), { a: 3 });
      const lonely = version(t, 'u2', T(1), { a: 1 });
      const e = edge(t, 'g1', 'u1', T(1));
      const alive = edge(t, 'g1', 'u2', T(1));
      await store.commitPage(t, {
        versions: [old1, old2, recent, lonely],
        objects: [],
        edgesAdded: [e, alive],
        edgesRemoved: [],
      });
      await store.commitPage(t, {
        versions: [],
        objects: [],
        edgesAdded: [],
        edgesRemoved: [{ edgeId: e.edgeId, removedAt: T(2) }],
      });

      const before = await store.getVersionAt(t, 'u1', T(6));
      const removed = await store.pruneVersions(t, T(5));
      expect(removed).toBe(2); // old1 and the edge closed on day 2
      expect((await store.listVersions(t, 'u1')).map((v) => v.versionId)).toEqual([
        recent.versionId,
        old2.versionId,
      ]);
      expect(await store.getVersionAt(t, 'u1', T(6))).toEqual(before);
      expect((await store.listVersions(t, 'u2')).map((v) => v.versionId)).toEqual([lonely.versionId]);
      expect((await store.listEdges(t, { sourceId: 'g1', history: true })).map((x) => x.targetId)).toEqual([
        'u2',
      ]);
      // Pruning far in the future still keeps the newest version of each object.
      await store.pruneVersions(t, T(30));
      expect((await store.listVersions(t, 'u1')).map((v) => v.versionId)).toEqual([recent.versionId]);
      expect(await store.listVersions(t, 'u2')).toHaveLength(1);
    });

    it('reads the newest backup version of many objects at once, without content, per tenant', async () => {
      expect(store.newestBackupVersions).toBeTypeOf('function');
      const [a, b] = [tenant(), tenant()];
      const pre = { ...version(a, 'u1', T(4), { a: 4 }), source: 'pre-restore' as const };
      await store.commitPage(a, {
        versions: [
          version(a, 'u1', T(1), { a: 1 }),
          version(a, 'u1', T(3), { a: 33 }),
          pre,
          version(a, 'g1', T(2), { g: 1 }, 'group'),
          version(a, 'gone', T(2), null),
        ],
        objects: [],
        edgesAdded: [],
        edgesRemoved: [],
      });
      await store.commitPage(b, {
        versions: [version(b, 'u1', T(9), { b: 1 })],
        objects: [],
        edgesAdded: [],
        edgesRemoved: [],
      });
      const newest = await store.newestBackupVersions?.(a, ['u1', 'g1', 'gone', 'missing', 'u1']);
      const u1 = version(a, 'u1', T(3), { a: 33 });
      expect(newest?.get('user|u1')).toEqual({
        objectType: 'user',
        objectId: 'u1',
        versionId: u1.versionId,
        hash: u1.hash,
        capturedAt: T(3),
      });
      expect(newest?.get('group|g1')?.capturedAt).toBe(T(2));
      expect(newest?.get('user|gone')?.hash).toBe('tombstone');
      expect([...(newest?.keys() ?? [])].sort()).toEqual(['group|g1', 'user|gone', 'user|u1']);
      expect((await store.newestBackupVersions?.(b, ['u1', 'g1']))?.get('user|u1')?.capturedAt).toBe(T(9));
      expect((await store.newestBackupVersions?.(b, []))?.size).toBe(0);
    });

    it('keeps a full round’s state chunks per run and stream: in order, replay-idempotent, per tenant', async () => {
      const { readRoundState, deleteRoundState } = store;
      expect(readRoundState).toBeTypeOf('function');
      expect(deleteRoundState).toBeTypeOf('function');
      const read = async (t: string, runId: string, stream: string, pages: number) => {
        const out: [number, string][] = [];
        for await (const c of store.readRoundState?.(t, runId, stream, pages) ?? []) {
          expect([c.runId, c.stream]).toEqual([runId, stream]);
          out.push([c.seq, c.data]);
        }
        return out;
      };
      const [a, b] = [tenant(), tenant()];
      const emptyPage = { versions: [], objects: [], edgesAdded: [], edgesRemoved: [] };
      let r = await store.createRun(run(a, 'r1', { status: 'running' }));
      const commit = async (seq: number, data: string, stream = 'user') => {
        const stored = await store.commitPage(a, {
          ...emptyPage,
          roundState: { runId: 'r1', stream, seq, data },
          run: { ...r, checkpoint: { [stream]: { fullSync: true, roundPages: seq + 1 } } },
        });
        if (stored) r = stored;
      };
      // Any characters survive (the packed slices use control characters), and a large chunk
      // (a page holding a 50,000-member group) is split below Cosmos' document limit.
      const big = `\u0001${'0123456789abcdef'.repeat(250_000)}é\u{1f600}`;
      await commit(0, 'zero');
      await commit(1, big);
      await commit(2, 'two');
      await commit(0, 'other stream', 'group');
      expect(await read(a, 'r1', 'user', 3)).toEqual([
        [0, 'zero'],
        [1, big],
        [2, 'two'],
      ]);
      // Only the chunks the checkpoint counts are read.
      expect(await read(a, 'r1', 'user', 2)).toEqual([
        [0, 'zero'],
        [1, big],
      ]);
      // A replayed page overwrites its chunk: never two for one position.
      await commit(2, 'two again');
      await commit(1, 'one again');
      expect(await read(a, 'r1', 'user', 5)).toEqual([
        [0, 'zero'],
        [1, 'one again'],
        [2, 'two again'],
      ]);
      // Another tenant (or run) sees none of them, even with the same run id.
      await store.createRun(run(b, 'r1', { status: 'running' }));
      expect(await read(b, 'r1', 'user', 3)).toEqual([]);
      expect(await read(a, 'r2', 'user', 3)).toEqual([]);
      // A chunk of one run is refused in the commit of another.
      await expect(
        store.commitPage(a, {
          ...emptyPage,
          roundState: { runId: 'r9', stream: 'user', seq: 0, data: 'x' },
          run: r,
        }),
      ).rejects.toBeInstanceOf(StoreInputError);
      // Nor may one run's commit drop another run's chunks.
      const r2 = await store.createRun(run(a, 'r2', { status: 'running' }));
      await expect(
        store.commitPage(a, { ...emptyPage, roundStateDone: { runId: 'r1', stream: 'user' }, run: r2 }),
      ).rejects.toBeInstanceOf(StoreInputError);
      expect(await read(a, 'r1', 'user', 1)).toEqual([[0, 'zero']]);
      // The stream's last commit drops its chunks (after the checkpoint that stops counting them).
      const done = await store.commitPage(a, {
        ...emptyPage,
        roundStateDone: { runId: 'r1', stream: 'user' },
        run: { ...r, checkpoint: { user: { done: true, fullSync: true } } },
      });
      if (done) r = done;
      expect(await read(a, 'r1', 'user', 3)).toEqual([]);
      expect(await read(a, 'r1', 'group', 1)).toEqual([[0, 'other stream']]);
      // The run's end deletes what is left; tenant b's chunks are not touched by tenant a's calls.
      await store.commitPage(b, {
        ...emptyPage,
        roundState: { runId: 'r1', stream: 'group', seq: 0, data: 'b' },
      });
      expect(await store.deleteRoundState?.(a, 'r1')).toBe(1);
      expect(await read(a, 'r1', 'group', 1)).toEqual([]);
      expect(await read(b, 'r1', 'group', 1)).toEqual([[0, 'b']]);
      // Retention removes chunks a crash left behind once their run is no longer running.
      await store.pruneVersions(b, T(1));
      expect(await read(b, 'r1', 'group', 1)).toEqual([[0, 'b']]);
      const rb = await store.getRun(b, 'r1');
      if (rb) await store.updateRun({ ...rb, status: 'failed' }, rb.etag ?? '');
      await store.pruneVersions(b, T(1));
      expect(await read(b, 'r1', 'group', 1)).toEqual([]);
    });

    it('rejects malformed input with a clear error', async () => {
      const t = tenant();
      await expect(store.getVersionAt(t, 'u1', 'yesterday-ish')).rejects.toThrow(
        /at: 'yesterday-ish' is not a valid/,
      );
      await expect(store.listObjects(t, { limit: -1 })).rejects.toBeInstanceOf(StoreInputError);
    });
  });
}
