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
  /** From the start until every listing has ended (the sign-in log's pacing sets it). */
  listingMs: number;
  /** From the start until the listings that relationship reads need have ended. */
  parentsListedMs: number;
  /** Requests and time of the relationship reads issued at the benchmark's latency. */
  relationRequests: number;
  relationMs: number;
  /** Relationship reads issued at the benchmark's latency out of all there are (1 = all). */
  sampled: number;
  /** Requests of the other relationship reads, issued afterwards without latency (counted, not timed). */
  restRequests: number;
  /** Harness time spent issuing those (not part of the baseline's time). */
  restMs: number;
  /** 429 answers while at the benchmark's latency and throttling. */
  throttled: number;
}

/**
 * One naive full backup. Every collection is listed in parallel; relationship reads start once
 * the collections they need are listed (not after the sign-in log, which feeds none: a product
 * reading all collections in parallel does not wait for it). With `sample` < 1 only that share of
 * the per-object relationship reads (evenly spread) is issued at the latency and timed; then,
 * once every listing has ended, `beforeRest` runs (the caller removes the latency) and the others
 * are issued too, so every request the method needs is counted. `openClient` gives a client of
 * the same tenant each call (shared concurrency limit, own request counts).
 */
export async function naiveFullBackup(
  openClient: () => GraphClient,
  concurrency: number,
  sample = 1,
  beforeRest: () => void = () => undefined,
): Promise<NaiveMeasure> {
  const listingClient = openClient();
  const relationClient = openClient();
  let read = 0;
  const relationTasks: (() => Promise<number>)[] = [];
  const started = performance.now();
  const list = async (listing: Listing) => {
    const items = await readAll(listingClient, listing.path);
    read += items.length;
    for (const item of items) {
      for (const segment of listing.relations) {
        relationTasks.push(
          async () =>
            (await readAll(relationClient, `${listing.objectBase}/${encodeURIComponent(item.id)}/${segment}`))
              .length,
        );
      }
    }
  };
  // Collections in parallel (as the product's types may be); each one's pages in sequence.
  const others = Promise.all(LISTINGS.filter((l) => l.relations.length === 0).map(list)).then(
    () => performance.now() - started,
  );
  // Awaited below; handled now so a failure while the relationship reads run is not "unhandled".
  others.catch(() => undefined);
  await Promise.all(LISTINGS.filter((l) => l.relations.length > 0).map(list));
  const parentsListedMs = performance.now() - started;
  const every = Math.max(1, Math.round(1 / sample));
  const chosen = relationTasks.filter((_, i) => i % every === 0);
  const relationStarted = performance.now();
  read += await pool(chosen, concurrency);
  const relationMs = performance.now() - relationStarted;
  const listingMs = Math.max(await others, parentsListedMs);
  const relationRequests = relationClient.stats.requests;
  const throttled = listingClient.stats.throttled + relationClient.stats.throttled;
  const rest = relationTasks.filter((_, i) => i % every !== 0);
  if (rest.length) beforeRest();
  const restStarted = performance.now();
  await pool(rest, concurrency);
  return {
    read,
    listingRequests: listingClient.stats.requests,
    listingMs,
    parentsListedMs,
    relationRequests,
    relationMs,
    sampled: relationTasks.length ? chosen.length / relationTasks.length : 1,
    restRequests: relationClient.stats.requests - relationRequests,
    restMs: performance.now() - restStarted,
    throttled,
  };
}

export const naiveBaselineScenario: Scenario = {
  name: 'naive-baseline',
  title: 'Naive full backup (no delta, one request per relationship)',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const { runtime, dev, tenantId } = requireTenant(ctx);
    injectLatency(ctx);
    // Full runs time a tenth of the per-object reads at the latency (tens of thousands at 120 ms
    // each would take most of the 20 minutes) and issue the rest without latency or throttling:
    // every request is counted, the time of the rest is scaled from the timed tenth.
    const m = await naiveFullBackup(
      () => runtime.graph.forBackup(tenantId),
      runtime.config.GRAPH_CONCURRENCY,
      ctx.quick ? 1 : 0.1,
      () => dev.setFaults({ latencyMs: 0, latencyPerObjectMs: 0, throttling: false }),
    );
    if (m.restRequests > 0) dev.setFaults({ throttling: true });
    injectLatency(ctx);
    const relationRequests = m.relationRequests + m.restRequests;
    // The timed reads ran in a pool of the gateway's concurrency: time grows with requests.
    const scale = m.relationRequests > 0 ? relationRequests / m.relationRequests : 1;
    const graphRequests = m.listingRequests + relationRequests;
    // Relationship reads start once their parents are listed; the run ends when they and every
    // listing (the sign-in log's pacing) have. Scaled, the relationship part is the longer one.
    const wallMs = Math.round(Math.max(m.listingMs, m.parentsListedMs + m.relationMs * scale));
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
      // Where the scenario's own time went (ms): the listings and the timed relationship reads
      // (both at the benchmark's latency), then issuing the untimed ones only to count them.
      phasesMs: {
        parentListings: Math.round(m.parentsListedMs),
        allListings: Math.round(m.listingMs),
        timedRelations: Math.round(m.relationMs),
        untimedRelations: Math.round(m.restMs),
      },
      relationsTimed: Math.round(m.sampled * 1000) / 1000,
      timeExtrapolated: m.sampled < 1,
      throttled: m.throttled,
      requestLowerBound: bound.requests,
      timeToCriticalPath: ratio(wallMs, bound.criticalPathMs),
    };
  },
};
