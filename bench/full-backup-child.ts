// Runs scenario 1's full backup in a process of its own, as a backup worker runs in production:
// the product's runtime (store, Graph gateway, backup engine) and nothing of the benchmark's
// other scenarios (bot SDK, Cosmos emulator, restore, search), so its peak RSS is the product's.
// Argument: JSON { dataDir, graphPort, loginPort, tenantId, types }. Prints one JSON line with
// the run, its wall time, when each type's pages were committed, and the process's memory.

import { boundHeapGrowth } from '../src/backup/heap-growth.ts';
import { runBackupNow } from '../src/backup/run-now.ts';
import { loadConfig } from '../src/config.ts';
import type { ObjectType } from '../src/domain.ts';
import { createLogger } from '../src/log.ts';
import { openRuntime } from '../src/runtime.ts';
import { kernelPeakRssMb, sampleRss } from './lib/rss-sampler.ts';

// Set at process start, as the worker role and the backup CLI do.
boundHeapGrowth();

const args = JSON.parse(process.argv[2] ?? '{}') as {
  dataDir: string;
  graphPort: number;
  loginPort: number;
  tenantId: string;
  types: ObjectType[];
};
const config = loadConfig({
  DATA_DIR: args.dataDir,
  DEV_TENANT_GRAPH_PORT: String(args.graphPort),
  DEV_TENANT_LOGIN_PORT: String(args.loginPort),
  LOG_LEVEL: 'warn',
  SCHEDULER_ENABLED: 'false',
  NODE_ENV: 'test',
});
const runtime = await openRuntime(config, {
  startDevTenant: false,
  logger: createLogger('warn', process.stderr),
});
const rss = sampleRss();
// BENCH_MEMORY_TRACE=1: the process's memory every second on stderr (where a peak comes from).
const trace = process.env.BENCH_MEMORY_TRACE
  ? setInterval(() => {
      const m = process.memoryUsage();
      const f = (b: number) => Math.round(b / 1048576);
      process.stderr.write(
        `memory ${Math.round(performance.now() - started)} ms: rss ${f(m.rss)} heapUsed ${f(m.heapUsed)} heapTotal ${f(m.heapTotal)} external ${f(m.external)} MB\n`,
      );
    }, 1000)
  : undefined;
const typeSpans = new Map<string, { first: number; last: number; pages: number }>();
const started = performance.now();
const run = await runBackupNow(
  runtime,
  args.tenantId,
  { kind: 'full', types: args.types, trigger: 'manual' },
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
);
const wallMs = performance.now() - started;
clearInterval(trace);
const peakRssMb = rss.stop();
// The store's writer thread is unref'd: keep the loop alive while it closes (else a top-level
// await with nothing left to run ends the process with code 13).
const keepAlive = setInterval(() => undefined, 1000);
await runtime.close();
clearInterval(keepAlive);
process.stdout.write(
  `${JSON.stringify({
    run: {
      status: run.status,
      graphRequests: run.graphRequests,
      throttled: run.throttled,
      counts: run.counts,
      firstError: run.errors[0]?.message,
    },
    wallMs,
    typeSpans: Object.fromEntries(typeSpans),
    memory: {
      peakRssMb,
      kernelPeakRssMb: kernelPeakRssMb(),
      rssAtStartMb: rss.startMb,
      ...rss.atPeak(),
    },
  })}\n`,
);
