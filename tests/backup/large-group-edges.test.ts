// A group whose delta slices name hundreds of members at once (All Company: every user) is
// written by looking up only the members each slice names (page-writer.ts applyEdges), not its
// whole stored membership per slice. The result must be the same: every membership stored once,
// a removed member closed by the next full round, nothing duplicated across runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBackupNow } from '../../src/backup/run-now.ts';
import { createTestWorld, type TestWorld } from '../helpers/test-world.ts';
import { compareViews, readStore, readTenant } from './tenant-oracle.ts';
import { opsFor } from './world.ts';

let world: TestWorld;

beforeAll(async () => {
  world = await createTestWorld({ users: 240, seed: 'contoso' });
});
afterAll(async () => {
  await world?.close();
});

const backup = (kind: 'full' | 'incremental') =>
  runBackupNow(world.ctx, world.tenantId, { kind, trigger: 'manual' }, { leaseMs: 30_000 });

describe('large group memberships', () => {
  it('stores, re-reads and closes the members of a group of 240 exactly', async () => {
    const ops = opsFor(world, world.tenantId);
    const groups = ops.list('group');
    const memberships = ops.list('user').length;
    const first = await backup('full');
    expect(first.status).toBe('succeeded');
    expect(
      compareViews(
        await readTenant(world.ctx.graph.forBackup(world.tenantId)),
        await readStore(world.ctx.store, world.tenantId),
      ),
    ).toEqual([]);
    // The largest group: its slice names more members than the writer loads whole.
    const sizes = await Promise.all(
      groups.map(async (g) => ({
        id: g.id,
        n: (await world.ctx.store.listEdges(world.tenantId, { sourceId: g.id, kind: 'member' })).length,
      })),
    );
    const large = sizes.reduce((a, b) => (b.n > a.n ? b : a));
    expect(large.n).toBe(memberships);

    const members = await world.ctx.store.listEdges(world.tenantId, { sourceId: large.id, kind: 'member' });
    const leaving = members[7].targetId;
    await world.ctx.graph.forRestore(world.tenantId).delete(`/groups/${large.id}/members/${leaving}/$ref`);

    const second = await backup('full');
    expect(second.status).toBe('succeeded');
    expect(
      compareViews(
        await readTenant(world.ctx.graph.forBackup(world.tenantId)),
        await readStore(world.ctx.store, world.tenantId),
      ),
    ).toEqual([]);
    const history = await world.ctx.store.listEdges(world.tenantId, {
      sourceId: large.id,
      kind: 'member',
      history: true,
    });
    // One edge per member ever (none opened twice), the leaver's closed by the second run.
    expect(history).toHaveLength(memberships);
    expect(history.filter((e) => e.removedAt !== null).map((e) => e.targetId)).toEqual([leaving]);
  });
});
