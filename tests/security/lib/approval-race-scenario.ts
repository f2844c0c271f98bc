// The two-person rule under concurrency, through the one approval service the bot and the tab
// share: two approvers racing, a double click racing itself, approve racing the requester's
// cancel, and the requester's own approval racing anything. Every race must end in exactly one
// consistent state: no decision lost, none counted twice, no restore queued twice.

import { decideRestore, requestRestore } from '../../../src/approvals/approval-service.ts';
import { isTenantAdmin } from '../../../src/auth/tenant-admin.ts';
import { runBackupNow } from '../../../src/backup/run-now.ts';
import type { Principal } from '../../../src/domain.ts';
import { ensureTenant } from '../../../src/settings/tenant-settings.ts';
import type { TestWorld } from '../../helpers/test-world.ts';
import type { Tally } from './tally.ts';

export interface RaceResult extends Tally {
  problems: string[];
  races: number;
}

export interface RacePeople {
  requester: Principal;
  approverB: Principal;
  approverC: Principal;
  nonAdmin: Principal;
  targetUserId: string;
}

/** Three admins and one non-admin of the world's tenant, as the product's admin check sees them. */
export async function findPeople(world: TestWorld): Promise<RacePeople> {
  const { ctx, tenantId } = world;
  await runBackupNow(ctx, tenantId, { kind: 'full', trigger: 'manual', types: ['user'] }, { pollMs: 50 });
  const admins: Principal[] = [];
  let nonAdmin: Principal | undefined;
  for (const u of world.devTenant.ops(tenantId).list('user', { limit: 200 })) {
    const p: Principal = { tenantId, objectId: u.id, kind: 'user', displayName: String(u.data.displayName) };
    if (await isTenantAdmin(ctx, tenantId, u.id)) admins.push(p);
    else nonAdmin ??= p;
    if (admins.length >= 3 && nonAdmin) break;
  }
  if (admins.length < 3 || !nonAdmin) throw new Error('the seeded tenant lacks three admins and a non-admin');
  return {
    requester: admins[0],
    approverB: admins[1],
    approverC: admins[2],
    nonAdmin,
    targetUserId: nonAdmin.objectId,
  };
}

async function setApprovers(world: TestWorld, n: number): Promise<void> {
  const s = await ensureTenant(world.ctx.store, world.tenantId, world.ctx.now());
  await world.ctx.store.putSettings({ ...s, approval: { ...s.approval, approversNeeded: n } });
}

export async function approvalRaceScenario(
  world: TestWorld,
  people: RacePeople,
  rounds: number,
): Promise<RaceResult> {
  const { ctx, tenantId } = world;
  const problems: string[] = [];
  let lost = 0;
  let duplicated = 0;
  let repeated = 0;
  let races = 0;
  let runs = 0;
  const { requester: A, approverB: B, approverC: C } = people;
  const newRequest = () =>
    requestRestore(ctx, A, {
      objects: [{ objectType: 'user', objectId: people.targetUserId }],
      at: ctx.now().toISOString(),
    });
  const approvedEvents = new Map<string, number>();
  const onUpdate = (r: { restoreId: string; status: string }) => {
    if (r.status === 'approved') approvedEvents.set(r.restoreId, (approvedEvents.get(r.restoreId) ?? 0) + 1);
  };
  ctx.events.on('restore.updated', onUpdate);
  try {
    for (let round = 0; round < rounds; round++) {
      // 1. Two approvers race, one approval needed: exactly one wins.
      await setApprovers(world, 1);
      let r = await newRequest();
      let [x, y] = await Promise.all([
        decideRestore(ctx, B, tenantId, r.restoreId, 'approve'),
        decideRestore(ctx, C, tenantId, r.restoreId, 'approve'),
      ]);
      races++;
      let stored = await ctx.store.getRestore(tenantId, r.restoreId);
      const wins = [x, y].filter((d) => d.outcome === 'applied').length;
      if (wins !== 1) problems.push(`two approvers: ${wins} applied`);
      duplicated += Math.max(0, (stored?.decisions.length ?? 0) - 1);
      if (stored?.status !== 'approved') problems.push(`two approvers: status ${stored?.status}`);

      // 2. Two approvals needed, both race in: both count, none lost.
      await setApprovers(world, 2);
      r = await newRequest();
      [x, y] = await Promise.all([
        decideRestore(ctx, B, tenantId, r.restoreId, 'approve'),
        decideRestore(ctx, C, tenantId, r.restoreId, 'approve'),
      ]);
      races++;
      stored = await ctx.store.getRestore(tenantId, r.restoreId);
      const approvals = stored?.decisions.filter((d) => d.decision === 'approve').length ?? 0;
      if (x.outcome !== 'applied' || y.outcome !== 'applied')
        problems.push(`two of two: ${x.outcome}/${y.outcome}`);
      lost += Math.max(0, 2 - approvals);
      duplicated += Math.max(0, approvals - 2);
      if (stored?.status !== 'approved') problems.push(`two of two: status ${stored?.status}`);

      // 3. Double click: the same approver twice at once counts once.
      await setApprovers(world, 2);
      r = await newRequest();
      [x, y] = await Promise.all([
        decideRestore(ctx, B, tenantId, r.restoreId, 'approve'),
        decideRestore(ctx, B, tenantId, r.restoreId, 'approve'),
      ]);
      races++;
      stored = await ctx.store.getRestore(tenantId, r.restoreId);
      const byB = stored?.decisions.filter((d) => d.by.objectId === B.objectId).length ?? 0;
      duplicated += Math.max(0, byB - 1);
      if (stored?.status !== 'pending')
        problems.push(`double click: status ${stored?.status} (one of two approvals)`);

      // 4. Approve races the requester's cancel: exactly one wins and the state says which.
      await setApprovers(world, 1);
      r = await newRequest();
      const [approve, cancel] = await Promise.all([
        decideRestore(ctx, B, tenantId, r.restoreId, 'approve'),
        decideRestore(ctx, A, tenantId, r.restoreId, 'cancel'),
      ]);
      races++;
      stored = await ctx.store.getRestore(tenantId, r.restoreId);
      const applied = [approve, cancel].filter((d) => d.outcome === 'applied').length;
      if (applied !== 1) problems.push(`approve vs cancel: ${applied} applied`);
      const expected = approve.outcome === 'applied' ? 'approved' : 'cancelled';
      if (stored?.status !== expected)
        problems.push(`approve vs cancel: status ${stored?.status}, winner says ${expected}`);

      // 5. The requester's own approval never counts, even racing another admin's reject.
      r = await newRequest();
      const [self, reject] = await Promise.all([
        decideRestore(ctx, A, tenantId, r.restoreId, 'approve'),
        decideRestore(ctx, C, tenantId, r.restoreId, 'reject'),
      ]);
      races++;
      stored = await ctx.store.getRestore(tenantId, r.restoreId);
      if (self.outcome !== 'refused') problems.push('self-approval applied');
      if (reject.outcome !== 'applied' || stored?.status !== 'rejected')
        problems.push(`reject: ${reject.outcome} ${stored?.status}`);
      runs += 5;
    }
  } finally {
    ctx.events.off('restore.updated', onUpdate);
  }
  // A restore announced 'approved' more than once would be queued twice.
  for (const n of approvedEvents.values()) repeated += Math.max(0, n - 1);
  return { faults: races, runs, lost, duplicated, repeated, races, problems: problems.slice(0, 20) };
}
