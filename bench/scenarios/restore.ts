// Scenario 4: restore of soft-deleted users with their memberships (200 in the full run):
// plan + execute as an approved restore runs in the worker, wall time and Graph requests (with
// $batch), beside the request lower bound (batched reads of live state + batched restores).
import { randomUUID } from 'node:crypto';
import { runBackupNow } from '../../src/backup/run-now.ts';
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
    const now = new Date();
    const principal = (objectId: string) => ({ tenantId, objectId, kind: 'user' as const });
    const request = {
      tenantId,
      objects: deleted.ok.map((objectId) => ({ objectType: 'user', objectId })),
      at,
      options: { withMemberships: true, withRoleAssignments: false, withOwners: false },
    };
    const { value: finished, ms } = await timed(async () => {
      const plan = await planRestore(counting.ctx, request);
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
      return executeRestore(counting.ctx, stored);
    });
    const stats = counting.totals();

    // Verify (not measured): every restored user is live again.
    removeLatency(ctx);
    const check = await writeEach(runtime.graph.forBackup(tenantId), deleted.ok, (id) => ({
      method: 'GET',
      url: `/users/${encodeURIComponent(id)}?$select=id`,
    }));
    const bound = restoreLowerBound(deleted.ok.length, 0, GRAPH_PAGING);
    const ok = finished.status === 'succeeded' && check.ok.length === deleted.ok.length;
    return {
      scenario: 'restore',
      status: ok ? 'ok' : 'failed',
      ...(ok
        ? {}
        : { reason: `restore ${finished.status}; ${check.ok.length}/${deleted.ok.length} users live again` }),
      ratioToLowerBound: ratio(stats.requests, bound.requests),
      wallMs: Math.round(ms),
      graphRequests: stats.requests,
      requestLowerBound: bound.requests,
      throttled: stats.throttled,
      users: deleted.ok.length,
      restored: check.ok.length,
      restoreStatus: finished.status,
      stepsRecorded: Object.keys(finished.stepResults).length,
    };
  },
};
