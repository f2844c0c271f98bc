// The live state the restore card compares the backup with, in one Graph round trip in the
// common cases: an object the backup last saw in the recycle bin is looked up there first (the
// restore engine's readLive asks the live collection first, which for a deleted user costs a
// 404 and a second request). Anything unexpected falls back to readLive.
import type { GraphClient } from '../src/graph/gateway.ts';
import { SOFT_DELETABLE } from '../src/restore/graph-paths.ts';
import {
  isNotFound,
  type LiveState,
  readLive,
  selectQuery,
  stripAnnotations,
} from '../src/restore/live-reader.ts';
import type { ObjectRecord } from '../src/store/store.ts';

export async function readLiveState(
  client: GraphClient,
  object: ObjectRecord,
  snapshotKeys: string[],
): Promise<LiveState> {
  const { objectType, objectId } = object;
  if (object.deleted && object.deletionKind !== 'hard' && SOFT_DELETABLE.has(objectType)) {
    try {
      const raw = await client.get<Record<string, unknown>>(
        `/directory/deletedItems/${encodeURIComponent(objectId)}${selectQuery(objectType, snapshotKeys)}`,
      );
      return { state: 'softDeleted', object: stripAnnotations(raw) };
    } catch (error) {
      // Restored or purged since the last backup: ask the way the restore engine does.
      if (!isNotFound(error)) throw error;
    }
  }
  return readLive(client, objectType, objectId, snapshotKeys);
}
