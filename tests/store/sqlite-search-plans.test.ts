// The SQLite search picks a plan per query (fetch the candidates and sort them; walk the sort
// order reading rows; walk it keeping only candidates; a mix). Whatever the plan, a search must
// return exactly the objects a plain reading of the contract gives, in order, across pages.
// Thresholds are forced small here so every plan and every switch between plans runs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObjectType } from '../../src/domain.ts';
import type { SearchTuning } from '../../src/store/sqlite-object-query.ts';
import { SqliteStore } from '../../src/store/sqlite-store.ts';
import type { ObjectListQuery, ObjectRecord } from '../../src/store/store.ts';
import { normalizeObject, searchNeedle, searchTextOf } from '../../src/store/store-values.ts';

const FIRST = ['Ann', 'Anna', 'Bo', 'Cara', 'Dan', 'Ed', 'Zed'];
const LAST = ['Lee', 'Leeds', 'Ng', 'Oak', 'Annex'];
const TYPES: ObjectType[] = ['user', 'user', 'user', 'group', 'device'];

/** A small deterministic generator (the runs must be reproducible). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    return s / 2 ** 32;
  };
}

function objects(tenantId: string, n: number): ObjectRecord[] {
  const r = rng(7);
  return Array.from({ length: n }, (_, i) => {
    const first = FIRST[Math.floor(r() * FIRST.length)];
    const last = LAST[Math.floor(r() * LAST.length)];
    const id = `${Math.floor(r() * 0xffffffff)
      .toString(16)
      .padStart(8, '0')}-${String(i).padStart(4, '0')}`;
    // Names repeat on purpose: ties on the sort key are broken by id, across pages too.
    const displayName = i % 13 === 0 ? `${first} ${last}` : `${first} ${last} ${i % 40}`;
    const nick = `${first}.${last}${i}`.toLowerCase();
    return {
      tenantId,
      objectType: TYPES[i % TYPES.length],
      objectId: id,
      displayName,
      searchKeys: [displayName.toLowerCase(), `${nick}@contoso.com`, nick, id],
      summary: {},
      deleted: r() < 0.2,
      latestVersionId: 'v1',
      latestHash: 'h1',
      firstSeenAt: '2024-01-01T00:00:00.000Z',
      // Few distinct instants: many ties on last change.
      lastChangedAt: new Date(Date.UTC(2024, 0, 1) + Math.floor(r() * 20) * 60_000).toISOString(),
    };
  });
}

/** The contract read plainly: filter, match on the search text, sort with the id tie-breaks. */
function expected(all: ObjectRecord[], q: ObjectListQuery): string[] {
  const term = q.search?.trim().toLowerCase();
  const keyOf = (o: ObjectRecord): string[] => {
    if (q.sort === 'id') return [o.objectId, o.objectType];
    if (q.sort === 'lastChange') return [o.lastChangedAt, o.objectId, o.objectType];
    return [o.displayName.toLowerCase(), o.objectId, o.objectType];
  };
  const cmp = (a: string[], b: string[]) => {
    for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
    return 0;
  };
  return all
    .filter((o) => !q.type || o.objectType === q.type)
    .filter((o) => q.deleted !== 'live' || !o.deleted)
    .filter((o) => q.deleted !== 'deleted' || o.deleted)
    .filter((o) => !term || searchTextOf(normalizeObject(o)).includes(searchNeedle(term)))
    .sort((a, b) => cmp(keyOf(a), keyOf(b)) * (q.descending ? -1 : 1))
    .map((o) => o.objectId);
}

const TUNINGS: Record<string, Partial<SearchTuning>> = {
  'fetch and sort the candidates': { candidateCap: 1_000_000 },
  'walk, then the candidate semi-join to the end': {
    candidateCap: 1,
    walkBudget: 7,
    manyCandidates: 1,
  },
  'walk, bounded semi-join, then fetch the rest': {
    candidateCap: 1,
    walkBudget: 5,
    manyCandidates: 1_000_000,
    walkPerCandidate: 1,
    walkPerCandidateByName: 1,
  },
  'default thresholds': {},
};

describe('SQLite search plans all return what the contract says', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'store-plans-'));
  const tenantId = 'plans-tenant';
  const data = objects(tenantId, 600);
  const file = path.join(root, 'entra-backup.db');

  beforeAll(async () => {
    const store = new SqliteStore({ file });
    await store.init();
    await store.commitPage(tenantId, { versions: [], objects: data, edgesAdded: [], edgesRemoved: [] });
    // Another tenant with the same names: never returned, whatever the plan.
    await store.commitPage('other-tenant', {
      versions: [],
      objects: objects('other-tenant', 200),
      edgesAdded: [],
      edgesRemoved: [],
    });
    await store.close();
  });

  afterAll(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  const terms = [
    'a',
    'an',
    'ann',
    'anna',
    'lee',
    'ee',
    'e',
    'z',
    'nex',
    'ann lee',
    '@contoso',
    '-00',
    'zz',
    'qqq',
  ];
  const queries: ObjectListQuery[] = [];
  const r = rng(11);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(r() * items.length)];
  for (let i = 0; i < 70; i += 1) {
    queries.push({
      search: pick(terms),
      ...(r() < 0.6 ? { type: pick(['user', 'group', 'device'] as const) } : {}),
      deleted: pick(['all', 'live', 'deleted'] as const),
      sort: pick(['name', 'id', 'lastChange'] as const),
      descending: r() < 0.4,
      limit: pick([3, 10, 50]),
    });
  }

  for (const [plan, tuning] of Object.entries(TUNINGS)) {
    it(`${plan}: same objects, same order, across pages`, async () => {
      const store = new SqliteStore({ file, searchTuning: tuning });
      await store.init();
      try {
        for (const q of queries) {
          const got: string[] = [];
          let continuation: string | undefined;
          let pages = 0;
          do {
            const page = await store.listObjects(tenantId, { ...q, continuation });
            expect(page.items.length).toBeLessThanOrEqual(q.limit ?? 50);
            expect(page.items.every((o) => o.tenantId === tenantId)).toBe(true);
            got.push(...page.items.map((o) => o.objectId));
            continuation = page.continuation;
            pages += 1;
          } while (continuation && pages < 400);
          expect({ q, got }).toEqual({ q, got: expected(data, q) });
        }
      } finally {
        await store.close();
      }
    });
  }
});
