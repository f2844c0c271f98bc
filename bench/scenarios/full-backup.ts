// Scenario 1: full backup of the seeded tenant with 120 ms + 0.4 ms/object injected and Graph's
// large-tenant throttling budget, on the embedded SQLite store; beside the fewest requests
// Graph's page sizes allow and the critical path (longest chain of sequential pages).
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ObjectType } from '../../src/domain.ts';
import { SQLITE_FILE_NAME } from '../../src/store/sqlite-store.ts';
import { type BenchContext, injectLatency, requireTenant, type Scenario } from '../lib/bench-context.ts';
import { runFullBackupChild } from '../lib/full-backup-process.ts';
import { backupLowerBound, GRAPH_PAGING, ratio } from '../lib/lower-bounds.ts';
import type { ScenarioResult } from '../lib/report.ts';
import { sampleRss } from '../lib/rss-sampler.ts';
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
    const { dev, tenantId } = requireTenant(ctx);
    const counts = dev.counts();
    const bound = backupLowerBound(fullBackupStreams(counts), GRAPH_PAGING, ctx.latency);
    injectLatency(ctx);
    // The backup runs in its own process (the product's runtime alone, as a worker runs it):
    // peakRssMb is that process's. This process only waits; its RSS is reported beside it.
    const harness = sampleRss();
    const child = await runFullBackupChild({
      dataDir: ctx.dataDir,
      graphPort: dev.graphPort,
      loginPort: dev.loginPort,
      tenantId,
      types: [...SCENARIO_TYPES] as ObjectType[],
      onLog: (line) => ctx.log(`  backup: ${line}`),
    });
    const harnessPeakMb = harness.stop();
    const { run, wallMs: ms, memory } = child;
    ctx.log(`  ${run.status}: ${run.graphRequests} requests in ${Math.round(ms)} ms`);
    ctx.backedUp = run.status === 'succeeded' || run.status === 'partial';
    const objects = Object.values(run.counts).reduce((sum, c) => sum + (c?.seen ?? 0), 0);
    const bytes = storeBytes(ctx.dataDir);
    return {
      scenario: 'full-backup',
      status: run.status === 'succeeded' ? 'ok' : 'failed',
      ...(run.status === 'succeeded' ? {} : { reason: `run ${run.status}: ${run.firstError ?? ''}` }),
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
      // The backup process: the kernel's high-water mark (exact), else the sampled peak.
      peakRssMb: Math.max(memory.peakRssMb, memory.kernelPeakRssMb ?? 0),
      sampledPeakRssMb: memory.peakRssMb,
      rssAtStartMb: memory.rssAtStartMb,
      peakAtMs: memory.peakAtMs,
      heapUsedMb: memory.heapUsedMb,
      externalMb: memory.externalMb,
      benchProcessPeakRssMb: harnessPeakMb,
      storeBytes: bytes,
      storeBytesPerObject: objects ? Math.round(bytes / objects) : null,
      tenant: { objects: counts.objects, deltaLinks: counts.deltaLinks },
      committedPages: Object.fromEntries(
        Object.entries(child.typeSpans).map(([type, span]) => [
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
