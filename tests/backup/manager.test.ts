// Users' managers are backed up as 'manager' edges (user → manager) from users delta with
// `manager` in $select (`manager@delta`): a full run stores the dev tenant's org chart, an
// incremental run closes the old interval and opens the new one when a manager changes or is
// removed, and the user at a past time has the manager it had then.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getObjectAt } from '../../src/backup/queries.ts';
import { runBackupNow } from '../../src/backup/run-now.ts';
import type { GraphClient } from '../../src/graph/gateway.ts';
import type { EdgeRecord } from '../../src/store/store.ts';
import { createTestWorld, type TestWorld } from '../helpers/test-world.ts';

let world: TestWorld;
let w: GraphClient;

const ref = (id: string) => ({ '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${id}` });

async function backup(kind: 'full' | 'incremental') {
  const run = await runBackupNow(world.ctx, world.tenantId, { kind, trigger: 'manual', types: ['user'] });
  expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');
  return run;
}

/** user id → manager id, as the dev tenant has it now (users without one left out). */
async function tenantManagers(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const page of w.pages<{ id: string; manager?: { id: string } | null }>(
    '/users?$select=id&$expand=manager&$top=999',
  )) {
    for (const u of page.value) if (u.manager?.id) out.set(u.id, u.manager.id);
  }
  return out;
}

/** user id → manager id, as the store has it alive (at `at`, or now). */
async function storedManagers(at?: string): Promise<Map<string, string>> {
  const edges = await world.ctx.store.listEdges(world.tenantId, { kind: 'manager', ...(at ? { at } : {}) });
  const out = new Map<string, string>();
  for (const e of edges) {
    expect(out.has(e.sourceId), `two managers alive for ${e.sourceId}`).toBe(false);
    out.set(e.sourceId, e.targetId);
  }
  return out;
}

const history = (userId: string): Promise<EdgeRecord[]> =>
  world.ctx.store.listEdges(world.tenantId, { sourceId: userId, kind: 'manager', history: true });

beforeAll(async () => {
  world = await createTestWorld({ users: 30, seed: 'contoso' });
  w = world.ctx.graph.forRestore(world.tenantId);
}, 60_000);

afterAll(async () => {
  await world?.close();
});

describe("users' manager backup", () => {
  let fullAt: string;
  let changed: string;
  let removed: string;
  let oldManager: string;
  let newManager: string;

  it("a full run stores each user's manager as the dev tenant's org chart has it", async () => {
    await backup('full');
    fullAt = world.ctx.now().toISOString();
    const tenant = await tenantManagers();
    // The seeded org chart: every member but each department's head has a manager.
    expect(tenant.size).toBeGreaterThan(10);
    expect(await storedManagers()).toEqual(tenant);
    const edge = (await world.ctx.store.listEdges(world.tenantId, { kind: 'manager' }))[0];
    expect(edge).toMatchObject({ sourceType: 'user', kind: 'manager', targetType: '#microsoft.graph.user' });
  });

  it('an incremental run records a changed and a removed manager as new intervals', async () => {
    const before = await tenantManagers();
    const [a, b] = [...before.keys()];
    changed = a;
    removed = b;
    oldManager = String(before.get(changed));
    newManager = [...before.values()].find((m) => m !== oldManager && m !== changed) ?? '';
    expect(newManager).not.toBe('');
    await new Promise((r) => setTimeout(r, 5));
    await w.put(`/users/${changed}/manager/$ref`, ref(newManager));
    await w.delete(`/users/${removed}/manager/$ref`);

    const run = await backup('incremental');
    expect(await storedManagers()).toEqual(await tenantManagers());
    // The changed user: the old interval closed by this run, one new one opened by it.
    const changedEdges = await history(changed);
    expect(changedEdges.map((e) => [e.targetId, e.removedAt === null])).toEqual([
      [oldManager, false],
      [newManager, true],
    ]);
    expect(changedEdges[1].runId).toBe(run.runId);
    expect(changedEdges[0].removedAt).toBe(changedEdges[1].addedAt);
    // The removed one: closed, nothing alive.
    const removedEdges = await history(removed);
    expect(removedEdges).toHaveLength(1);
    expect(removedEdges[0].removedAt).not.toBeNull();
    // Only these two users' manager edges changed.
    const touched = (
      await world.ctx.store.listEdges(world.tenantId, { kind: 'manager', history: true })
    ).filter((e) => e.runId === run.runId || (e.removedAt !== null && e.removedAt > fullAt));
    expect(new Set(touched.map((e) => e.sourceId))).toEqual(new Set([changed, removed]));
  });

  it('the user at a time before the change has its old manager', async () => {
    const record = await world.ctx.store.getObject(world.tenantId, 'user', changed);
    if (!record) throw new Error('the changed user is not in the store');
    const then = await getObjectAt(world.ctx, world.tenantId, record, fullAt);
    expect(then.outgoing.filter((e) => e.kind === 'manager').map((e) => e.targetId)).toEqual([oldManager]);
    const now = await getObjectAt(world.ctx, world.tenantId, record);
    expect(now.outgoing.filter((e) => e.kind === 'manager').map((e) => e.targetId)).toEqual([newManager]);
    expect((await storedManagers(fullAt)).get(removed)).toBeDefined();
    expect((await storedManagers()).get(removed)).toBeUndefined();
  });

  it("a full run replaces each user's managers with what the listing returns", async () => {
    // A full round sees no @removed entries: a user listed without a manager has its interval
    // closed by reconciliation, and a replaced manager's interval is closed and the new one opened.
    const ops = world.devTenant.ops(world.tenantId);
    const tenant = await tenantManagers();
    const other = [...tenant.keys()].find((id) => id !== changed && id !== removed) ?? '';
    ops.setManager(changed, oldManager);
    ops.setManager(other, null);
    await backup('full');
    expect(await storedManagers()).toEqual(await tenantManagers());
    expect((await history(changed)).filter((e) => e.removedAt === null).map((e) => e.targetId)).toEqual([
      oldManager,
    ]);
    expect((await history(other)).every((e) => e.removedAt !== null)).toBe(true);
  });
});
