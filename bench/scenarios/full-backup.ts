// Scenario 1: full backup of the seeded tenant with 120 ms + 0.4 ms/object injected and Graph's
// large-tenant throttling budget, on the embedded SQLite store; beside the fewest requests
// Graph's page sizes allow and the critical path (longest chain of sequential pages).
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runBackupNow } from '../../src/backup/run-now.ts';
import type { ObjectType } from '../../src/domain.ts';
import { SQLITE_FILE_NAME } from '../../src/store/sqlite-store.ts';
import { type BenchContext, injectLatency, requireTenant, type Scenario } from '../lib/bench-context.ts';
import { backupLowerBound, GRAPH_PAGING, ratio } from '../lib/lower-bounds.ts';
import type { ScenarioResult } from '../lib/report.ts';
import { sampleRss } from '../lib/rss-sampler.ts';
import { timed } from '../lib/stats.ts';
import { fullBackupStreams, SCENARIO_TYPES } from '../lib/tenant-streams.ts';

export function storeBytes(dataDir: string): number {
  let bytes = 0;
  for (const suffix of ['', '-wal', '-shm']) {
    const file = join(dataDir, `${SQLITE_FILE_NAME}${suffix}`);
    if (existsSync(file)) bytes += statSync(file).size;
  }
  return bytes;
}

export const fullBackupScenario: Scenario = {
  name: 'full-backup',
  title: 'Full backup',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const { runtime, dev, tenantId } = requireTenant(ctx);
    const counts = dev.counts();
    const bound = backupLowerBound(fullBackupStreams(counts), GRAPH_PAGING, ctx.latency);
    injectLatency(ctx);
    const rss = sampleRss();
    // Where the time goes: when each type's pages were committed (first to last), and the
    // type's share of the wall time (types the engine runs one after another add up).
    const typeSpans = new Map<string, { first: number; last: number; pages: number }>();
    const started = performance.now();
    const { value: run, ms } = await timed(() =>
      runBackupNow(
        runtime,
        tenantId,
        { kind: 'full', types: [...SCENARIO_TYPES] as ObjectType[], trigger: 'manual' },
        {
          onProgress: (_run, type) => {
            if (!type) return;
            const at = performance.now() - started;
            const span = typeSpans.get(type) ?? { first: at, last: at, pages: 0 };
            span.last = at;
            span.pages++;
            typeSpans.set(type, span);
          },
        },
      ),
    );
    const peakRssMb = rss.stop();
    ctx.log(`  ${run.status}: ${run.graphRequests} requests in ${Math.round(ms)} ms`);
    ctx.backedUp = run.status === 'succeeded' || run.status === 'partial';
    const objects = Object.values(run.counts).reduce((sum, c) => sum + (c?.seen ?? 0), 0);
    return {
      scenario: 'full-backup',
      status: run.status === 'succeeded' ? 'ok' : 'failed',
      ...(run.status === 'succeeded' ? {} : { reason: `run ${run.status}: ${run.errors[0]?.message ?? ''}` }),
      ratioToLowerBound: ratio(ms, bound.criticalPathMs),
      wallMs: Math.round(ms),
      criticalPathMs: Math.round(bound.criticalPathMs),
      criticalStream: bound.criticalStream,
      graphRequests: run.graphRequests,
      requestLowerBound: bound.requests,
      requestsRatio: ratio(run.graphRequests, bound.requests),
      throttled: run.throttled,
      objects,
      objectsPerSecond: Math.round(objects / (ms / 1000)),
      peakRssMb,
      rssAtStartMb: rss.startMb,
      ...rss.atPeak(),
      storeBytes: storeBytes(ctx.dataDir),
      storeBytesPerObject: objects ? Math.round(storeBytes(ctx.dataDir) / objects) : null,
      tenant: { objects: counts.objects, deltaLinks: counts.deltaLinks },
      committedPages: Object.fromEntries(
        [...typeSpans].map(([type, span]) => [
          type,
          { pages: span.pages, firstMs: Math.round(span.first), lastMs: Math.round(span.last) },
        ]),
      ),
      perStream: bound.streams.map((s) => ({
        name: s.name,
        requests: s.requests,
        criticalMs: Math.round(s.criticalMs),
      })),
    };
  },
};
