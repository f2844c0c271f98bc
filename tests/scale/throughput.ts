// Throughput of the worker role against the number of workers: the same dev tenants (same seed,
// same size), Graph latency injected as the benchmark does (bench/sizes.ts LATENCY), one run per
// tenant queued at once, then N worker processes drain the queue. Each measurement gets a fresh
// cluster (its own Cosmos-protocol server and dev tenant), so every run is the same first backup.
import os from 'node:os';
import { LATENCY } from '../../bench/sizes.ts';
import { startCluster } from './cluster.ts';
import { cpuSecondsOf, ownCpuSeconds } from './process-cpu.ts';

export interface ThroughputOptions {
  workers: number;
  tenants: number;
  usersPerTenant: number;
  /** Graph latency per request (default: the benchmark's, bench/sizes.ts LATENCY). */
  perRequestMs?: number;
}

export interface ThroughputFigures {
  workers: number;
  tenants: number;
  /** Queued → last run finished. */
  wallMs: number;
  runsPerMinute: number;
  runMs: { mean: number; max: number };
  statuses: Record<string, number>;
  /** Runs a worker lost to another after its lease expired (work done twice), and other warnings. */
  workerWarnings: { leaseLost: number; other: number };
  /** CPU seconds while the runs ran: the test process holds the Cosmos-protocol server. */
  cpuSeconds: { cosmosServerAndTest: number; web: number; workers: number };
  graphLatency: { perRequestMs: number; perObjectMs: number };
  loadAverage: number[];
}

const FINISHED = new Set(['succeeded', 'partial', 'failed']);
/** With this clock every queued run is due and every running run's lease has expired. */
const FAR_FUTURE = '9999-12-31T23:59:59.000Z';

export async function measureThroughput(options: ThroughputOptions): Promise<ThroughputFigures> {
  const cluster = await startCluster({
    tenants: options.tenants,
    usersPerTenant: options.usersPerTenant,
    // The test queues the runs itself (no scheduler); results are not posted (no bot installed).
    env: {
      SCHEDULER_ENABLED: 'false',
      WORKER_POLL_SECONDS: '1',
      LEASE_SECONDS: '30',
    },
  });
  const latency = {
    perRequestMs: options.perRequestMs ?? LATENCY.perRequestMs,
    perObjectMs: LATENCY.perObjectMs,
  };
  try {
    const { store } = cluster;
    const tenantIds = (await store.listTenants()).map((s) => s.tenantId);
    if (tenantIds.length !== options.tenants)
      throw new Error(`the web role onboarded ${tenantIds.length} tenants, not ${options.tenants}`);
    await Promise.all(
      tenantIds.map((t) =>
        cluster.devControl(`/_dev/tenants/${t}/faults`, 'PATCH', {
          latencyMs: latency.perRequestMs,
          latencyPerObjectMs: latency.perObjectMs,
        }),
      ),
    );
    const workers = await Promise.all(
      Array.from({ length: options.workers }, (_, i) => cluster.startWorker(`worker-${i + 1}`)),
    );
    const cpuBefore = {
      own: ownCpuSeconds(),
      web: cpuSecondsOf(cluster.web.proc.pid) ?? 0,
      workers: workers.map((w) => cpuSecondsOf(w.proc.pid) ?? 0),
    };

    const queuedAt = Date.now();
    const iso = new Date(queuedAt).toISOString();
    await Promise.all(
      tenantIds.map((tenantId) =>
        store.createRun({
          tenantId,
          runId: `throughput-${queuedAt}`,
          kind: 'incremental',
          status: 'queued',
          trigger: 'manual',
          createdAt: iso,
          dueAt: iso,
          checkpoint: {},
          counts: {},
          graphRequests: 0,
          throttled: 0,
          errors: [],
        }),
      ),
    );

    // Waiting costs the server one query a second (runs still queued or running, all tenants at
    // once), not one per tenant: the test must not compete with the workers for the server.
    const deadline = queuedAt + 60_000 + options.tenants * 20_000;
    while ((await store.listClaimableRuns(FAR_FUTURE, 1000)).length > 0) {
      if (Date.now() > deadline) throw new Error(`runs of ${options.workers} worker(s) not finished in time`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    const runs = (await Promise.all(tenantIds.map((t) => store.listRuns(t, { limit: 5 })))).flat();
    const unfinished = runs.filter((r) => !FINISHED.has(r.status));
    if (runs.length !== options.tenants || unfinished.length > 0)
      throw new Error(`runs not finished: ${runs.map((r) => `${r.tenantId}:${r.status}`).join(', ')}`);
    const last = Math.max(...runs.map((r) => Date.parse(r.finishedAt ?? '')));
    const wallMs = last - queuedAt;
    const execs = runs.map((r) => r.durationMs ?? 0);
    const statuses: Record<string, number> = {};
    for (const r of runs) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    const workerCpu = workers.reduce(
      (sum, w, i) => sum + ((cpuSecondsOf(w.proc.pid) ?? 0) - (cpuBefore.workers[i] ?? 0)),
      0,
    );
    const warnings = workers.flatMap((w) => w.lines.filter((l) => /"level":(40|50)/.test(l)));
    const leaseLost = warnings.filter((l) => l.includes('taken over by another worker')).length;
    return {
      workers: options.workers,
      tenants: options.tenants,
      wallMs,
      runsPerMinute: +((runs.length / wallMs) * 60_000).toFixed(1),
      runMs: { mean: Math.round(execs.reduce((a, b) => a + b, 0) / execs.length), max: Math.max(...execs) },
      statuses,
      workerWarnings: { leaseLost, other: warnings.length - leaseLost },
      cpuSeconds: {
        cosmosServerAndTest: +(ownCpuSeconds() - cpuBefore.own).toFixed(1),
        web: +((cpuSecondsOf(cluster.web.proc.pid) ?? 0) - cpuBefore.web).toFixed(1),
        workers: +workerCpu.toFixed(1),
      },
      graphLatency: latency,
      loadAverage: os.loadavg().map((l) => +l.toFixed(1)),
    };
  } finally {
    await cluster.close();
  }
}
