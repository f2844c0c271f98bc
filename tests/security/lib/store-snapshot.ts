// What a store holds for a tenant, without times and run ids, as multisets: two stores that
// backed up the same tenant states hold equal snapshots however often one was interrupted.
// `compareSnapshots` counts what the reference has and the other lacks (lost) and what the
// other holds more than once (duplicated), so the chaos figures come from observation.
import { OBJECT_TYPES, type ObjectType } from '../../../src/domain.ts';
import type { Store } from '../../../src/store/store.ts';

export interface StoreSnapshot {
  objects: string[];
  versions: string[];
  edges: string[];
  /** Consecutive versions of one object with the same hash: a version written twice. */
  repeatedVersions: number;
}

export async function snapshotStore(
  store: Store,
  tenantId: string,
  types: readonly ObjectType[] = OBJECT_TYPES,
): Promise<StoreSnapshot> {
  const objects: string[] = [];
  const versions: string[] = [];
  let repeatedVersions = 0;
  for (const type of types) {
    let continuation: string | undefined;
    do {
      const page = await store.listObjects(tenantId, {
        type,
        deleted: 'all',
        sort: 'id',
        limit: 1000,
        continuation,
      });
      for (const o of page.items) {
        objects.push(`${type}|${o.objectId}|${o.deleted}|${o.latestHash}`);
        const list = (await store.listVersions(tenantId, o.objectId, 1000)).filter(
          (v) => v.objectType === type && v.source === 'backup',
        );
        for (let i = 0; i < list.length; i++) {
          versions.push(`${type}|${list[i].objectId}|${list[i].hash}`);
          if (i > 0 && list[i].hash === list[i - 1].hash) repeatedVersions++;
        }
      }
      continuation = page.continuation;
    } while (continuation);
  }
  const edges = (await store.listEdges(tenantId, { history: true })).map(
    (e) =>
      `${e.sourceId}|${e.kind}|${e.targetId}|${e.attrs?.assignmentId ?? ''}|${e.removedAt ? 'closed' : 'open'}`,
  );
  return { objects: objects.sort(), versions: versions.sort(), edges: edges.sort(), repeatedVersions };
}

function counts(items: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const i of items) m.set(i, (m.get(i) ?? 0) + 1);
  return m;
}

/** Items of `reference` missing from `actual`, and items `actual` holds more often. */
function multisetDiff(reference: string[], actual: string[]): { lost: string[]; extra: string[] } {
  const ref = counts(reference);
  const act = counts(actual);
  const lost: string[] = [];
  const extra: string[] = [];
  for (const [k, n] of ref) for (let i = act.get(k) ?? 0; i < n; i++) lost.push(k);
  for (const [k, n] of act) for (let i = ref.get(k) ?? 0; i < n; i++) extra.push(k);
  return { lost, extra };
}

export interface SnapshotComparison {
  lost: number;
  duplicated: number;
  /** Examples for the assertion message. */
  examples: string[];
}

export function compareSnapshots(reference: StoreSnapshot, actual: StoreSnapshot): SnapshotComparison {
  let lost = 0;
  let duplicated = actual.repeatedVersions;
  const examples: string[] = [];
  for (const key of ['objects', 'versions', 'edges'] as const) {
    const d = multisetDiff(reference[key], actual[key]);
    lost += d.lost.length;
    duplicated += d.extra.length;
    examples.push(...d.lost.slice(0, 3).map((x) => `lost ${key}: ${x}`));
    examples.push(...d.extra.slice(0, 3).map((x) => `extra ${key}: ${x}`));
  }
  return { lost, duplicated, examples };
}
