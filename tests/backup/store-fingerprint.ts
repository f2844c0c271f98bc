// A store's content without times and run ids: two stores that backed up the same tenant
// states hold the same fingerprint, however often one of them was interrupted.

import type { ObjectType } from '../../src/domain.ts';
import { OBJECT_TYPES } from '../../src/domain.ts';
import type { Store } from '../../src/store/store.ts';

export async function storeFingerprint(
  store: Store,
  tenantId: string,
  types: readonly ObjectType[] = OBJECT_TYPES,
) {
  const objects: string[] = [];
  const versions: string[] = [];
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
        objects.push(`${type}|${o.objectId}|${o.deleted}|${o.deletionKind ?? ''}|${o.latestHash}`);
        for (const v of await store.listVersions(tenantId, o.objectId, 1000)) {
          if (v.objectType === type) versions.push(`${type}|${v.objectId}|${v.hash}|${v.deletionKind ?? ''}`);
        }
      }
      continuation = page.continuation;
    } while (continuation);
  }
  const edges = (await store.listEdges(tenantId, { history: true }))
    .map(
      (e) =>
        `${e.sourceId}|${e.kind}|${e.targetId}|${e.attrs?.assignmentId ?? ''}|${e.removedAt ? 'closed' : 'open'}`,
    )
    .sort();
  return { objects: objects.sort(), versions: versions.sort(), edges };
}
