// The naive baseline: what daily full-backup products do. Every run lists every collection
// whole (no delta), and reads every relationship with its own request per object (no $batch,
// no inline members@delta). Same dev tenant, same latency, same gateway and concurrency as the
// product; it stores nothing, so its wall time is if anything flattering to it. Its request
// count is exact (every request issued); at full size its time is partly extrapolated (below).

import { GROUP_SELECT, USER_SELECT } from '../../src/backup/type-specs.ts';
import type { GraphClient } from '../../src/graph/gateway.ts';
import { type BenchContext, injectLatency, requireTenant, type Scenario } from '../lib/bench-context.ts';
import { backupLowerBound, GRAPH_PAGING, ratio } from '../lib/lower-bounds.ts';
import type { ScenarioResult } from '../lib/report.ts';
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
  {
    path: `/groups?$top=999&$select=${GROUP_SELECT.join(',')}`,
    relations: ['members', 'owners'],
    objectBase: '/groups',
  },
  { path: '/directoryRoles', relations: ['members'], objectBase: '/directoryRoles' },
  { path: '/roleManagement/directory/roleDefinitions', relations: [] },
  { path: '/roleManagement/directory/roleAssignments?$top=999', relations: [] },
  { path: '/applications?$top=999', relations: ['owners'], objectBase: '/applications' },
  {
    path: '/servicePrincipals?$top=999',
    relations: ['owners', 'appRoleAssignedTo'],
    objectBase: '/servicePrincipals',
  },
  { path: '/devices?$top=999', relations: ['registeredOwners'], objectBase: '/devices' },
  {
    path: '/directory/administrativeUnits?$top=999',
    relations: ['members'],
    objectBase: '/directory/administrativeUnits',
  },
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

export interface NaiveMeasure {
  /** Objects and relationship entries read (relationships: of the sampled objects only). */
  read: number;
  listingRequests: number;
  listingMs: number;
  /** Requests and time of the relationship reads issued at the benchmark's latency. */
  relationRequests: number;
  relationMs: number;
  /** Relationship reads issued at the benchmark's latency out of all there are (1 = all). */
  sampled: number;
  /** Requests of the other relationship reads, issued afterwards without latency (counted, not timed). */
  restRequests: number;
}

/**
 * One naive full backup. With `sample` < 1 only that share of the per-object relationship reads
 * (evenly spread) is issued at the latency and timed; then `beforeRest` runs (the caller removes
 * the latency) and the others are issued too, so every request the method needs is counted.
 */
export async function naiveFullBackup(
  client: GraphClient,
  concurrency: number,
  sample = 1,
  beforeRest: () => void = () => undefined,
): Promise<NaiveMeasure> {
  let read = 0;
  const relationTasks: (() => Promise<number>)[] = [];
  const started = performance.now();
  // Collections in parallel (as the product's types may be); each one's pages in sequence.
  await Promise.all(
    LISTINGS.map(async (listing) => {
      const items = await readAll(client, listing.path);
      read += items.length;
      for (const item of items) {
        for (const segment of listing.relations) {
          relationTasks.push(
            async () =>
              (await readAll(client, `${listing.objectBase}/${encodeURIComponent(item.id)}/${segment}`))
                .length,
          );
        }
      }
    }),
  );
  const listingMs = performance.now() - started;
  const listingRequests = client.stats.requests;
  const every = Math.max(1, Math.round(1 / sample));
  const chosen = relationTasks.filter((_, i) => i % every === 0);
  const relationStarted = performance.now();
  read += await pool(chosen, concurrency);
  const relationMs = performance.now() - relationStarted;
  const relationRequests = client.stats.requests - listingRequests;
  const rest = relationTasks.filter((_, i) => i % every !== 0);
  if (rest.length) beforeRest();
  const restStart = client.stats.requests;
  await pool(rest, concurrency);
  return {
    read,
    listingRequests,
    listingMs,
    relationRequests,
    relationMs,
    sampled: relationTasks.length ? chosen.length / relationTasks.length : 1,
    restRequests: client.stats.requests - restStart,
  };
}

export const naiveBaselineScenario: Scenario = {
  name: 'naive-baseline',
  title: 'Naive full backup (no delta, one request per relationship)',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const { runtime, dev, tenantId } = requireTenant(ctx);
    injectLatency(ctx);
    const client = runtime.graph.forBackup(tenantId);
    // Full runs time a tenth of the per-object reads at the latency (tens of thousands at 120 ms
    // each would take most of the 20 minutes) and issue the rest without latency or throttling:
    // every request is counted, the time of the rest is scaled from the timed tenth.
    let throttledTimed = 0;
    const m = await naiveFullBackup(client, runtime.config.GRAPH_CONCURRENCY, ctx.quick ? 1 : 0.1, () => {
      throttledTimed = client.stats.throttled;
      dev.setFaults({ latencyMs: 0, latencyPerObjectMs: 0, throttling: false });
    });
    if (m.restRequests > 0) dev.setFaults({ throttling: true });
    injectLatency(ctx);
    const relationRequests = m.relationRequests + m.restRequests;
    // The timed reads ran in a pool of the gateway's concurrency: time grows with requests.
    const scale = m.relationRequests > 0 ? relationRequests / m.relationRequests : 1;
    const graphRequests = m.listingRequests + relationRequests;
    const wallMs = Math.round(m.listingMs + m.relationMs * scale);
    ctx.naive = { graphRequests, wallMs };
    const bound = backupLowerBound(fullBackupStreams(dev.counts()), GRAPH_PAGING, ctx.latency);
    return {
      scenario: 'naive-baseline',
      status: 'ok',
      // Against the product's own lower bound for the same tenant: how far naive is from ideal.
      ratioToLowerBound: ratio(graphRequests, bound.requests),
      wallMs,
      graphRequests,
      listingRequests: m.listingRequests,
      relationRequests,
      relationRequestsTimed: m.relationRequests,
      relationsTimed: Math.round(m.sampled * 1000) / 1000,
      timeExtrapolated: m.sampled < 1,
      throttled: m.restRequests > 0 ? throttledTimed : client.stats.throttled,
      requestLowerBound: bound.requests,
      timeToCriticalPath: ratio(wallMs, bound.criticalPathMs),
    };
  },
};
