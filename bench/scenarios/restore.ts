// Scenario 4: restore of soft-deleted users with their memberships (200 in the full run):
// plan + execute as an approved restore runs in the worker, wall time and Graph requests (with
// $batch), beside the request lower bound (batched reads of live state + batched restores).
import { randomUUID } from 'node:crypto';
import { runBackupNow } from '../../src/backup/run-now.ts';
import type { Runtime } from '../../src/cli/cli-deps.ts';
import type { ObjectType } from '../../src/domain.ts';
import { executeRestore } from '../../src/restore/executor.ts';
import { planRestore } from '../../src/restore/planner.ts';
import type { RestoreRecord } from '../../src/store/store.ts';
import {
  type BenchContext,
  injectLatency,
  removeLatency,
  requireTenant,
  type Scenario,
} from '../lib/bench-context.ts';
import { countingContext } from '../lib/counting-graph.ts';
import { GRAPH_PAGING, ratio, restoreLowerBound } from '../lib/lower-bounds.ts';
import type { ScenarioResult } from '../lib/report.ts';
import { timed } from '../lib/stats.ts';
import { writeEach } from '../lib/tenant-writes.ts';
import { countingStore, timedGraph } from './restore-store-stats.ts';

/** Group memberships of `ids` the backup recorded at `at` (what the users had before deletion). */
async function countMemberships(
  runtime: Runtime,
  tenantId: string,
  ids: string[],
  at: string,
): Promise<number> {
  let n = 0;
  for (const id of ids) {
    const edges = await runtime.store.listEdges(tenantId, { targetId: id, kind: 'member', at });
    n += edges.filter((e) => e.sourceType === 'group').length;
  }
  return n;
}

/** The manager of each of `ids` the backup recorded at `at` (users without one left out). */
async function recordedManagers(
  runtime: Runtime,
  tenantId: string,
  ids: string[],
  at: string,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const id of ids) {
    const [edge] = await runtime.store.listEdges(tenantId, { sourceId: id, kind: 'manager', at });
    if (edge) out.set(id, edge.targetId);
  }
  return out;
}

/** How many of `expected` (user → manager) the tenant has now, read back (not measured). */
async function managersInPlace(
  runtime: Runtime,
  tenantId: string,
  expected: Map<string, string>,
): Promise<number> {
  const client = runtime.graph.forBackup(tenantId);
  const ids = [...expected.keys()];
  const answers = await client.batch(
    ids.map((id, i) => ({
      id: String(i),
      method: 'GET' as const,
      url: `/users/${encodeURIComponent(id)}/manager?$select=id`,
    })),
  );
  return answers.filter((a, i) => a.status === 200 && (a.body as { id?: string }).id === expected.get(ids[i]))
    .length;
}

/** Live group memberships of `ids`, read back from the tenant (not measured). */
async function liveMembershipCount(runtime: Runtime, tenantId: string, ids: string[]): Promise<number> {
  const client = runtime.graph.forBackup(tenantId);
  let n = 0;
  for (const id of ids) {
    for await (const page of client.pages<Record<string, unknown>>(
      `/users/${encodeURIComponent(id)}/memberOf?$select=id`,
    )) {
      n += page.value.filter((v) => v['@odata.type'] === '#microsoft.graph.group').length;
    }
  }
  return n;
}

/** Users not live after the restore, with their steps' outcomes (what the record says happened). */
function notRestored(record: RestoreRecord, ids: string[], live: ReadonlySet<string>): string[] {
  const plan = record.plan as { steps?: { stepId: string; kind: string; target: { objectId: string } }[] };
  return ids
    .filter((id) => !live.has(id))
    .slice(0, 5)
    .map((id) => {
      const steps = (plan.steps ?? []).filter((s) => s.target.objectId === id);
      const outcomes = steps.map((s) => {
        const r = record.stepResults[s.stepId];
        return `${s.kind}:${r?.status ?? 'not run'}${r?.reason ? ` (${r.reason})` : ''}`;
      });
      return `${id}: ${outcomes.join(', ') || 'no step planned'}`;
    });
}

export const restoreScenario: Scenario = {
  name: 'restore',
  title: 'Restore of deleted users with memberships',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const { runtime, dev, tenantId } = requireTenant(ctx);
    if (!ctx.backedUp) throw new Error('needs the full backup of scenario 1');
    // Setup (not measured): delete the users, and let an incremental backup record it.
    removeLatency(ctx);
    const ids = dev.usersWithMemberships(ctx.sizes.restoreUsers, dev.globalAdmins());
    const at = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const deleted = await writeEach(runtime.graph.forRestore(tenantId), ids, (id) => ({
      method: 'DELETE',
      url: `/users/${encodeURIComponent(id)}`,
    }));
    await runBackupNow(runtime, tenantId, {
      kind: 'incremental',
      types: ['user', 'group'] as ObjectType[],
      trigger: 'manual',
    });

    injectLatency(ctx);
    const counting = countingContext(runtime);
    const storeStats = countingStore(runtime.store);
    const planGraph = timedGraph(counting.ctx.graph);
    const executeStore = countingStore(runtime.store);
    const executeGraph = timedGraph(counting.ctx.graph);
    const now = new Date();
    const principal = (objectId: string) => ({ tenantId, objectId, kind: 'user' as const });
    const request = {
      tenantId,
      objects: deleted.ok.map((objectId) => ({ objectType: 'user', objectId })),
      at,
      options: { withMemberships: true, withRoleAssignments: false, withOwners: false },
    };
    let membershipAdds = 0;
    let planMs = 0;
    let planRequests = 0;
    let returning = 0;
    const { value: finished, ms } = await timed(async () => {
      const t0 = performance.now();
      const plan = await planRestore(
        { ...counting.ctx, store: storeStats.store, graph: planGraph.graph },
        request,
      );
      planMs = performance.now() - t0;
      planRequests = counting.totals().requests;
      membershipAdds = plan.steps.filter((s) => s.kind === 'addMember' || s.kind === 'addAuMember').length;
      for (const s of plan.steps) {
        if (s.kind === 'restoreFromRecycleBin' && Array.isArray(s.details.returnsWithObject))
          returning += s.details.returnsWithObject.length;
      }
      const record: RestoreRecord = {
        tenantId,
        restoreId: `bench-${randomUUID()}`,
        status: 'approved',
        requestedBy: principal('bench-requester'),
        requestedAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + 86400_000).toISOString(),
        requiredApprovals: 1,
        decisions: [{ by: principal('bench-approver'), decision: 'approve', at: now.toISOString() }],
        request,
        plan: plan as unknown as Record<string, unknown>,
        stepResults: {},
        updatedAt: now.toISOString(),
      };
      const stored = await runtime.store.putRestore(record);
      return executeRestore(
        { ...counting.ctx, store: executeStore.store, graph: executeGraph.graph },
        stored,
      );
    });
    const stats = counting.totals();

    // Verify (not measured): every restored user is live again.
    removeLatency(ctx);
    const check = await writeEach(runtime.graph.forBackup(tenantId), deleted.ok, (id) => ({
      method: 'GET',
      url: `/users/${encodeURIComponent(id)}?$select=id`,
    }));
    // …and is a member of every group it was in before the deletion (Graph brought them back).
    const membershipsBefore = await countMemberships(runtime, tenantId, deleted.ok, at);
    const membershipsAfter = await liveMembershipCount(runtime, tenantId, check.ok);
    // Membership adds the bound allows: those the plan needs (none when restoring to a time
    // before the deletion: the memberships come back with each user, and are read back once).
    const withRelationships = (
      await Promise.all(deleted.ok.map((id) => countMemberships(runtime, tenantId, [id], at)))
    ).filter((n) => n > 0).length;
    // …and has the manager it had (Graph brings it back too; the restore checks it like memberships).
    const managers = await recordedManagers(runtime, tenantId, deleted.ok, at);
    const managersAfter = await managersInPlace(runtime, tenantId, managers);
    // The read-back is one list per relationship view the users had: memberships, manager.
    const bound = restoreLowerBound(
      deleted.ok.length,
      withRelationships + managers.size,
      membershipAdds,
      GRAPH_PAGING,
    );
    const ok =
      finished.status === 'succeeded' &&
      check.ok.length === deleted.ok.length &&
      membershipsAfter >= membershipsBefore &&
      managersAfter === managers.size;
    return {
      scenario: 'restore',
      status: ok ? 'ok' : 'failed',
      ...(ok
        ? {}
        : {
            reason: `restore ${finished.status}; ${check.ok.length}/${deleted.ok.length} users live again; memberships ${membershipsAfter}/${membershipsBefore}; managers ${managersAfter}/${managers.size}`,
            notRestored: notRestored(finished, deleted.ok, new Set(check.ok)),
          }),
      ratioToLowerBound: ratio(stats.requests, bound.requests),
      wallMs: Math.round(ms),
      planMs: Math.round(planMs),
      executeMs: Math.round(ms - planMs),
      planRequests,
      // Store reads of planning per method (calls, records, ms): they must not grow with the tenant.
      planStoreReads: storeStats.totals(),
      planGraphCalls: planGraph.totals(),
      executeStoreCalls: executeStore.totals(),
      executeGraphCalls: executeGraph.totals(),
      graphRequests: stats.requests,
      requestLowerBound: bound.requests,
      throttled: stats.throttled,
      users: deleted.ok.length,
      ...(deleted.failed.length
        ? {
            setupDeleteFailures: `${deleted.failed.length} (HTTP ${[...new Set(deleted.failed.map((f) => f.status))].join('/')})`,
          }
        : {}),
      restored: check.ok.length,
      restoreStatus: finished.status,
      stepsRecorded: Object.keys(finished.stepResults).length,
      membershipsReturnedWithUsers: returning,
      membershipAddsPlanned: membershipAdds,
      usersWithMemberships: withRelationships,
      membershipsBefore,
      membershipsAfter,
      usersWithManager: managers.size,
      managersAfter,
    };
  },
};
