// Scenario 2: an incremental run after a share of objects changed (1%): Graph requests and time
// beside the pages those changes need plus one delta round per type, and versions written
// (must equal the changes). Then a day of 15-minute incrementals (sampled, × 96) against one
// naive full backup: the goal is a ratio under 0.3.
import { runBackupNow } from '../../src/backup/run-now.ts';
import type { ObjectType } from '../../src/domain.ts';
import type { RunRecord } from '../../src/store/store.ts';
import {
  type BenchContext,
  injectLatency,
  removeLatency,
  requireTenant,
  type Scenario,
} from '../lib/bench-context.ts';
import {
  APP_ROLE_AUDIT_FAMILIES,
  GRAPH_PAGING,
  incrementalLowerBound,
  ratio,
  type StreamKind,
} from '../lib/lower-bounds.ts';
import type { ScenarioResult } from '../lib/report.ts';
import { requestTally } from '../lib/request-tally.ts';
import { timed } from '../lib/stats.ts';
import { SCENARIO_TYPES } from '../lib/tenant-streams.ts';
import { writeEach } from '../lib/tenant-writes.ts';
import { RUNS_PER_DAY } from '../sizes.ts';

/** Changeable types: a property Graph lets the restore app patch, and the collection path. */
const CHANGES: { type: string; path: string; body: (stamp: string) => Record<string, unknown> }[] = [
  { type: 'user', path: '/users', body: (s) => ({ jobTitle: `Analyst ${s}` }) },
  { type: 'group', path: '/groups', body: (s) => ({ description: `Changed by the benchmark ${s}` }) },
  { type: 'application', path: '/applications', body: (s) => ({ notes: `Benchmark ${s}` }) },
  { type: 'device', path: '/devices', body: (s) => ({ displayName: `BENCH-${s}` }) },
];

const KIND: Record<string, StreamKind> = {
  roleDefinition: 'listing',
  roleAssignment: 'listing',
  conditionalAccessPolicy: 'listing',
  signIn: 'signIns',
};

let stampCounter = 0;

/** Patches `share` of each changeable type (latency off: setup, not measured); returns ids changed per type. */
async function changeTenant(ctx: BenchContext, share: number): Promise<Record<string, number>> {
  const { runtime, dev, tenantId } = requireTenant(ctx);
  removeLatency(ctx);
  const client = runtime.graph.forRestore(tenantId);
  const counts = dev.counts();
  const changed: Record<string, number> = {};
  const round = ++stampCounter;
  for (const change of CHANGES) {
    const total = counts.objects[change.type] ?? 0;
    const wanted = Math.max(1, Math.round(total * share));
    // Rotate through the collection so successive rounds change different objects.
    const all = dev.ids(change.type, total);
    const offset = ((round - 1) * wanted) % Math.max(1, all.length);
    const ids = [...all.slice(offset), ...all.slice(0, offset)].slice(0, wanted);
    const outcome = await writeEach(client, ids, (id) => ({
      method: 'PATCH',
      url: `${change.path}/${encodeURIComponent(id)}`,
      body: change.body(`${round}-${id.slice(0, 8)}`),
    }));
    changed[change.type] = outcome.ok.length;
  }
  return changed;
}

async function versionsOfRun(ctx: BenchContext, run: RunRecord, from: string, to: string): Promise<number> {
  const { runtime, tenantId } = requireTenant(ctx);
  let versions = 0;
  let continuation: string | undefined;
  do {
    const page = await runtime.store.listChanges(tenantId, { from, to, limit: 1000, continuation });
    versions += page.items.filter((v) => v.runId === run.runId).length;
    continuation = page.continuation;
  } while (continuation);
  return versions;
}

async function incrementalRun(
  ctx: BenchContext,
): Promise<{ run: RunRecord; ms: number; versions: number; perEndpoint: Record<string, number> }> {
  const { runtime, tenantId } = requireTenant(ctx);
  injectLatency(ctx);
  const tally = requestTally(runtime);
  const from = new Date(Date.now() - 1000).toISOString();
  const { value: run, ms } = await timed(() =>
    runBackupNow(tally.ctx, tenantId, {
      kind: 'incremental',
      types: [...SCENARIO_TYPES] as ObjectType[],
      trigger: 'manual',
    }),
  );
  const versions = await versionsOfRun(ctx, run, from, new Date(Date.now() + 1000).toISOString());
  return { run, ms, versions, perEndpoint: tally.counts() };
}

export const incrementalScenario: Scenario = {
  name: 'incremental',
  title: 'Incremental after 1% change',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const { dev } = requireTenant(ctx);
    if (!ctx.backedUp) throw new Error('needs the full backup of scenario 1');
    const changed = await changeTenant(ctx, ctx.sizes.changeShare);
    const changesMade = Object.values(changed).reduce((s, n) => s + n, 0);
    const counts = dev.counts();
    const bound = incrementalLowerBound(
      [
        ...SCENARIO_TYPES.map((type) => ({
          name: type,
          kind: KIND[type] ?? 'delta',
          changed: changed[type] ?? 0,
          total: counts.objects[type] ?? 0,
        })),
        // App-role assignments have no delta: the audit log says which service principals'
        // changed (none here), which takes one filtered read per activity family.
        {
          name: 'servicePrincipal.appRoleAssignedTo',
          kind: 'audited' as const,
          changed: 0,
          auditQueries: APP_ROLE_AUDIT_FAMILIES,
        },
      ],
      GRAPH_PAGING,
    );
    ctx.log(`  changed ${changesMade} objects; incremental run…`);
    const { run, ms, versions, perEndpoint } = await incrementalRun(ctx);
    ctx.log(`  incremental: ${run.graphRequests} requests in ${Math.round(ms)} ms; sampling a day…`);

    // A day of 15-minute incrementals: the day's changes (changeShare) spread over 96 runs.
    const samples: { requests: number; ms: number }[] = [];
    for (let i = 0; i < ctx.sizes.daySamples; i++) {
      await changeTenant(ctx, ctx.sizes.changeShare / RUNS_PER_DAY);
      const sample = await incrementalRun(ctx);
      samples.push({ requests: sample.run.graphRequests, ms: sample.ms });
    }
    const meanRequests = samples.reduce((s, x) => s + x.requests, 0) / Math.max(1, samples.length);
    const meanMs = samples.reduce((s, x) => s + x.ms, 0) / Math.max(1, samples.length);
    const dayRequests = Math.round(meanRequests * RUNS_PER_DAY);
    const dayMs = Math.round(meanMs * RUNS_PER_DAY);
    return {
      scenario: 'incremental',
      status: run.status === 'succeeded' && versions === changesMade ? 'ok' : 'failed',
      ...(versions === changesMade
        ? {}
        : { reason: `versions written ${versions} ≠ changes ${changesMade}` }),
      ratioToLowerBound: ratio(run.graphRequests, bound.requests),
      graphRequests: run.graphRequests,
      requestLowerBound: bound.requests,
      // Measured per endpoint (page reads and $batch chunks) beside the bound per stream.
      requestsPerEndpoint: perEndpoint,
      lowerBoundPerStream: Object.fromEntries(bound.perStream.map((p) => [p.name, p.requests])),
      wallMs: Math.round(ms),
      throttled: run.throttled,
      changesMade,
      changesPerType: changed,
      versionsWritten: versions,
      daySampledRuns: samples.length,
      dayRequests,
      dayWallMs: dayMs,
      naiveRequests: ctx.naive?.graphRequests ?? null,
      naiveWallMs: ctx.naive ? Math.round(ctx.naive.wallMs) : null,
      dayToNaiveRequests: ctx.naive ? ratio(dayRequests, ctx.naive.graphRequests) : null,
      dayToNaiveTime: ctx.naive ? ratio(dayMs, ctx.naive.wallMs) : null,
    };
  },
};
