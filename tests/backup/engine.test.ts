// The backup engine against the real dev tenant (HTTPS) and the real SQLite store: full backup
// equals the tenant object by object and edge by edge; an incremental writes exactly what
// changed; the tenant at a past run time is reconstructed exactly; an expired delta token
// falls back to a full sync that tombstones what is gone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authMethodsObjectId } from '../../src/backup/collectors/auth-methods-collector.ts';
import { getHistory, listChangesSince } from '../../src/backup/queries.ts';
import { runBackupNow } from '../../src/backup/run-now.ts';
import type { RunRecord } from '../../src/store/store.ts';
import { createTestWorld, type TestWorld } from '../helpers/test-world.ts';
import { compareViews, readStore, readTenant, type TenantView } from './tenant-oracle.ts';
import { opsFor } from './world.ts';

let world: TestWorld;
const runs: { run: RunRecord; view: TenantView }[] = [];

async function backup(kind: 'full' | 'incremental'): Promise<RunRecord> {
  const run = await runBackupNow(world.ctx, world.tenantId, { kind, trigger: 'manual' }, { leaseMs: 30_000 });
  const view = await readTenant(world.ctx.graph.forBackup(world.tenantId));
  runs.push({ run, view });
  return run;
}

async function versionsOf(runId: string) {
  const all = await world.ctx.store.listChanges(world.tenantId, {
    from: '2000-01-01T00:00:00.000Z',
    to: '2100-01-01T00:00:00.000Z',
    limit: 10_000,
  });
  return all.items.filter((v) => v.runId === runId);
}

beforeAll(async () => {
  world = await createTestWorld({ users: 30, seed: 'contoso' });
});
afterAll(async () => {
  await world?.close();
});

describe('backup engine', () => {
  it('a full backup stores every object and every relationship the tenant has', async () => {
    const run = await backup('full');
    expect(run.errors).toEqual([]);
    expect(run.status).toBe('succeeded');
    const tenant = runs[0].view;
    const stored = await readStore(world.ctx.store, world.tenantId);
    expect(compareViews(tenant, stored)).toEqual([]);
    expect(tenant.edges.size).toBeGreaterThan(30);
    expect(run.counts.user?.created).toBe(tenant.objects.get('user')?.size);
    expect(run.counts.group?.created).toBe(tenant.objects.get('group')?.size);
    const counts = await world.ctx.store.countObjects(world.tenantId);
    expect(counts.signIn?.live).toBeGreaterThan(0);
    expect(counts.authenticationMethods?.live).toBe(tenant.objects.get('user')?.size);
    expect(run.graphRequests).toBeGreaterThan(0);
  });

  it('an incremental run stores exactly the changed objects and edges, and tombstones the deleted', async () => {
    const ops = opsFor(world, world.tenantId);
    // Plain users: no directory role (deleting a role holder also removes its role assignment).
    const roleHolders = new Set(ops.list('roleAssignment').map((a) => String(a.data.principalId)));
    const users = ops.list('user').filter((u) => !roleHolders.has(u.id));
    const groups = ops.list('group');
    const changed = users[1];
    const deleted = users[2];
    const plainGroup = groups.find(
      (g) => !g.data.isAssignableToRole && ops.members('group', g.id).length > 0,
    )!;
    const target = groups.find((g) => g.id !== plainGroup.id)!;
    ops.set('user', changed.id, { department: 'Backup Engine Test' });
    ops.delete('user', deleted.id);
    const addedMember = users.find(
      (u) => ![changed.id, deleted.id].includes(u.id) && !ops.members('group', target.id).includes(u.id),
    )!;
    ops.addMember(target.id, addedMember.id);
    ops.delete('group', plainGroup.id);

    const run = await backup('incremental');
    expect(run.errors).toEqual([]);
    expect(run.status).toBe('succeeded');
    const written = await versionsOf(run.runId);
    const byObject = new Map(written.map((v) => [`${v.objectType}|${v.objectId}`, v]));
    expect([...byObject.keys()].sort()).toEqual(
      [
        `user|${changed.id}`,
        `user|${deleted.id}`,
        `authenticationMethods|${authMethodsObjectId(deleted.id)}`,
        `group|${plainGroup.id}`,
      ].sort(),
    );
    expect(written).toHaveLength(4);
    expect(byObject.get(`user|${deleted.id}`)).toMatchObject({ deleted: true, deletionKind: 'soft' });
    expect(byObject.get(`user|${changed.id}`)?.content?.department).toBe('Backup Engine Test');
    expect(run.counts.user).toMatchObject({ changed: 1, deleted: 1, created: 0 });
    expect(run.counts.group?.deleted).toBe(1);

    const stored = await readStore(world.ctx.store, world.tenantId);
    expect(compareViews(runs[1].view, stored)).toEqual([]);
    const edges = await world.ctx.store.listEdges(world.tenantId, { history: true });
    const added = edges.filter((e) => e.runId === run.runId);
    expect(added.map((e) => `${e.sourceId}|${e.targetId}`)).toEqual([`${target.id}|${addedMember.id}`]);
  });

  it('an incremental run catches app role grants and removals on an unchanged service principal', async () => {
    const ops = opsFor(world, world.tenantId);
    const restore = world.ctx.graph.forRestore(world.tenantId);
    const assignments = ops.list('appRoleAssignment');
    const existing = assignments.find((a) => a.data.principalType === 'User')!;
    const spId = String(existing.data.resourceId);
    const newcomer = ops
      .list('user')
      .find((u) => !assignments.some((a) => a.data.principalId === u.id && a.data.resourceId === spId))!;
    const granted = await restore.post<{ id: string }>(`/servicePrincipals/${spId}/appRoleAssignedTo`, {
      principalId: newcomer.id,
      resourceId: spId,
      appRoleId: existing.data.appRoleId,
    });
    await restore.delete(`/servicePrincipals/${spId}/appRoleAssignedTo/${existing.id}`);
    // Neither change touches the service principal: its delta has nothing to say.
    const delta = await world.ctx.graph
      .forBackup(world.tenantId)
      .getPage<{ id: string }>(
        (await world.ctx.store.getSyncState(world.tenantId))?.streams.servicePrincipal?.deltaLink as string,
      );
    expect(delta.value.map((s) => s.id)).not.toContain(spId);

    const run = await backup('incremental');
    expect(run.errors).toEqual([]);
    expect(run.status).toBe('succeeded');
    const stored = await readStore(world.ctx.store, world.tenantId);
    expect(compareViews(runs[runs.length - 1].view, stored)).toEqual([]);
    expect(stored.edges).toContain(`${spId}|appRoleAssignment|${newcomer.id}#${granted.id}`);
    expect(stored.edges).not.toContain(
      `${spId}|appRoleAssignment|${existing.data.principalId}#${existing.id}`,
    );
    // Only that service principal's assignments were re-read: one edge opened, one closed.
    const edges = await world.ctx.store.listEdges(world.tenantId, { history: true });
    expect(edges.filter((e) => e.runId === run.runId).map((e) => e.targetId)).toEqual([newcomer.id]);
  });

  it('an unreadable audit log ends the run partial with Graph’s error; the next run catches up', async () => {
    const ops = opsFor(world, world.tenantId);
    const assignments = ops.list('appRoleAssignment');
    const existing = assignments.find((a) => a.data.principalType === 'User')!;
    const spId = String(existing.data.resourceId);
    const newcomer = ops
      .list('user')
      .reverse()
      .find((u) => !assignments.some((a) => a.data.principalId === u.id && a.data.resourceId === spId))!;
    const granted = await world.ctx.graph
      .forRestore(world.tenantId)
      .post<{ id: string }>(`/servicePrincipals/${spId}/appRoleAssignedTo`, {
        principalId: newcomer.id,
        resourceId: spId,
        appRoleId: existing.data.appRoleId,
      });
    world.devTenant.setFaults(world.tenantId, {
      forced: [{ pattern: '/auditLogs/directoryAudits*', status: 403, code: 'Authorization_RequestDenied' }],
    });
    let run: RunRecord;
    try {
      run = await backup('incremental');
    } finally {
      world.devTenant.setFaults(world.tenantId, { forced: [] });
    }
    expect(run.status).toBe('partial');
    expect(run.errors).toEqual([
      expect.objectContaining({ objectType: 'servicePrincipal', code: 'Authorization_RequestDenied' }),
    ]);
    const edge = `${spId}|appRoleAssignment|${newcomer.id}#${granted.id}`;
    expect((await readStore(world.ctx.store, world.tenantId)).edges).not.toContain(edge);
    // The audit watermark did not move: the next run reads the same window and finds the grant.
    const next = await backup('incremental');
    expect(next.status).toBe('succeeded');
    const stored = await readStore(world.ctx.store, world.tenantId);
    expect(stored.edges).toContain(edge);
    expect(compareViews(runs[runs.length - 1].view, stored)).toEqual([]);
  });

  it('reconstructs the tenant at each past run time exactly', async () => {
    for (const { run, view } of runs.slice(0, 2)) {
      const at = run.finishedAt!;
      expect(compareViews(view, await readStore(world.ctx.store, world.tenantId, at))).toEqual([]);
    }
  });

  it('history shows the changed property; changes-since lists the run', async () => {
    const ops = opsFor(world, world.tenantId);
    const user = ops.list('user').find((u) => u.data.department === 'Backup Engine Test')!;
    const history = await getHistory(world.ctx, world.tenantId, user.id);
    expect(history.map((h) => h.kind)).toEqual(['changed', 'created']);
    expect(history[0].changes).toContainEqual({
      path: 'department',
      before: expect.anything(),
      after: 'Backup Engine Test',
    });
    const since = await listChangesSince(world.ctx, world.tenantId, runs[0].run.finishedAt!);
    expect(since.map((c) => c.kind).sort()).toEqual(['changed', 'deleted', 'deleted', 'deleted']);
  });

  it('writes no version when nothing changed, even on a full run', async () => {
    const run = await backup('full');
    expect(run.status).toBe('succeeded');
    expect(await versionsOf(run.runId)).toEqual([]);
    expect(run.counts.user?.unchanged).toBe(runs[runs.length - 1].view.objects.get('user')?.size);
  });

  it('an expired delta token falls back to a full sync that tombstones what is gone', async () => {
    const ops = opsFor(world, world.tenantId);
    const victim = ops.list('user').filter((u) => !/admin/i.test(String(u.data.userPrincipalName)))[3];
    ops.purge('user', victim.id);
    ops.expireDeltaTokens('expire');
    const run = await backup('incremental');
    expect(run.errors).toEqual([]);
    expect(run.status).toBe('succeeded');
    const rec = await world.ctx.store.getObject(world.tenantId, 'user', victim.id);
    expect(rec).toMatchObject({ deleted: true, deletionKind: 'hard' });
    expect(
      compareViews(runs[runs.length - 1].view, await readStore(world.ctx.store, world.tenantId)),
    ).toEqual([]);
  });
});
