// The store-side comparison a full backup's reconciliation uses (diffAliveEdges): only what
// differs comes back, and it agrees with reading the source's alive edges through listEdges.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite-store.ts';
import { edge, tenant } from './contract.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'store-diff-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('SqliteStore.diffAliveEdges', () => {
  it('returns the alive edges whose target is not wanted and the wanted targets with no alive edge', async () => {
    const store = new SqliteStore({ file: path.join(root, 'a', 'entra-backup.db') });
    await store.init();
    const t = tenant();
    const at = '2024-01-01T00:00:00.000Z';
    const later = '2024-01-02T00:00:00.000Z';
    const closed = edge(t, 'g1', 'u9', at);
    await store.commitPage(t, {
      versions: [],
      objects: [],
      edgesAdded: [edge(t, 'g1', 'u1', at), edge(t, 'g1', 'u2', at), closed, edge(t, 'g2', 'u3', at)],
      edgesRemoved: [],
    });
    await store.commitPage(t, {
      versions: [],
      objects: [],
      edgesAdded: [],
      edgesRemoved: [{ edgeId: closed.edgeId, removedAt: later }],
    });

    const diff = await store.diffAliveEdges(t, {
      sourceId: 'g1',
      kind: 'member',
      targetIds: ['u2', 'u3', 'u9', 'u3'],
    });
    // u1 is alive and not wanted; u3 (another group's member) and u9 (closed) are wanted, not alive.
    expect(diff.stale.map((e) => e.targetId)).toEqual(['u1']);
    expect(diff.stale[0]).toEqual({ ...edge(t, 'g1', 'u1', at), removedAt: null });
    expect(diff.missing.sort()).toEqual(['u3', 'u9']);

    // The same answer listEdges gives, for an empty wanted set too.
    const alive = (await store.listEdges(t, { sourceId: 'g1', kind: 'member' })).map((e) => e.targetId);
    const none = await store.diffAliveEdges(t, { sourceId: 'g1', kind: 'member', targetIds: [] });
    expect(none.stale.map((e) => e.targetId).sort()).toEqual(alive.sort());
    expect(none.missing).toEqual([]);
    await store.close();
  });
});
