// The naive baseline: what daily full-backup products do. Every run lists every collection
// whole (no delta), and reads every relationship with its own request per object (no $batch,
// no inline members@delta). Same dev tenant, same latency, same gateway and concurrency as the
// product; it stores nothing, so its wall time is if anything flattering to it.
import type { GraphClient } from '../../src/graph/gateway.ts';
import { GROUP_SELECT, USER_SELECT } from '../../src/backup/type-specs.ts';
import { type BenchContext, injectLatency, requireTenant, type Scenario } from '../lib/bench-context.ts';
import { backupLowerBound, GRAPH_PAGING, ratio } from '../lib/lower-bounds.ts';
import type { ScenarioResult } from '../lib/report.ts';
import { timed } from '../lib/stats.ts';
import { fullBackupStreams } from '../lib/tenant-streams.ts';

interface Listing {
  path: string;
  /** Relationship segments read per listed object: `${path}/{id}/${segment}`. */
  relations: string[];
  /** Base path for per-object reads when it differs from the listing's. */
  objectBase?: string;
}

const LISTINGS: Listing[] = [
  { path: `/users?$top=999&$select=${USER_SELECT.join(',')}`, relations: [], objectBase: '/users' },
  { path: `/groups?$top=999&$select=${GROUP_SELECT.join(',')}`, relations: ['members', 'owners'], objectBase: '/groups' },
  { path: '/directoryRoles', relations: ['members'], objectBase: '/directoryRoles' },
  { path: '/roleManagement/directory/roleDefinitions', relations: [] },
  { path: '/roleManagement/directory/roleAssignments?$top=999', relations: [] },
  { path: '/applications?$top=999', relations: ['owners'], objectBase: '/applications' },
  { path: '/servicePrincipals?$top=999', relations: ['owners', 'appRoleAssignedTo'], objectBase: '/servicePrincipals' },
  { path: '/devices?$top=999', relations: ['registeredOwners'], objectBase: '/devices' },
  { path: '/directory/administrativeUnits?$top=999', relations: ['members'], objectBase: '/directory/administrativeUnits' },
  { path: '/identity/conditionalAccess/policies', relations: [] },
  { path: '/auditLogs/signIns?$top=1000', relations: [] },
];

async function readAll(client: GraphClient, path: string): Promise<{ id: string }[]> {
  const items: { id: string }[] = [];
  for await (const page of client.pages<{ id: string }>(path)) items.push(...page.value);
  return items;
}

/** Runs `tasks` with at most `width` in flight. */
async function pool(tasks: (() => Promise<number>)[], width: number): Promise<number> {
  let next = 0;
  let total = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, tasks.length) }, async () => {
      while (next < tasks.length) {
        const task = tasks[next++];
        total += await task();
      }
    }),
  );
  return total;
}

/** One naive full backup; returns objects and relationship entries read. */
export async function naiveFullBackup(client: GraphClient, concurrency: number): Promise<number> {
  let read = 0;
  const relationTasks: (() => Promise<number>)[] = [];
  // Collections in parallel (as the product's types may be); each one's pages in sequence.
  await Promise.all(
    LISTINGS.map(async (listing) => {
      const items = await readAll(client, listing.path);
      read += items.length;
      for (const item of items) {
        for (const segment of listing.relations) {
          relationTasks.push(
            async () => (await readAll(client, `${listing.objectBase}/${encodeURIComponent(item.id)}/${segment}`)).length,
          );
        }
      }
    }),
  );
  return read + (await pool(relationTasks, concurrency));
}

export const naiveBaselineScenario: Scenario = {
  name: 'naive-baseline',
  title: 'Naive full backup (no delta, one request per relationship)',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const { runtime, dev, tenantId } = requireTenant(ctx);
    injectLatency(ctx);
    const client = runtime.graph.forBackup(tenantId);
    const { value: objects, ms } = await timed(() => naiveFullBackup(client, runtime.config.GRAPH_CONCURRENCY));
    ctx.naive = { graphRequests: client.stats.requests, wallMs: ms };
    const bound = backupLowerBound(fullBackupStreams(dev.counts()), GRAPH_PAGING, ctx.latency);
    return {
      scenario: 'naive-baseline',
      status: 'ok',
      // Against the product's own lower bound for the same tenant: how far naive is from ideal.
      ratioToLowerBound: ratio(client.stats.requests, bound.requests),
      wallMs: Math.round(ms),
      graphRequests: client.stats.requests,
      throttled: client.stats.throttled,
      objectsAndRelationsRead: objects,
      requestLowerBound: bound.requests,
      timeToCriticalPath: ratio(ms, bound.criticalPathMs),
    };
  },
};
