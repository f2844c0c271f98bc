// Scale-out (issue 7): one web role and three worker roles, each its own `entra-backup serve`
// process, share one Cosmos-protocol store and serve many dev tenants. The workers' schedulers
// queue each tenant's due run; one worker is SIGKILLed while it holds a run mid-way. Every due run
// must complete exactly once (one run per tenant and slot, every object stored with one version),
// the killed worker's run must be taken over by another worker, the web role must never execute a
// backup, and the bot must post each run's result card exactly once.
// `npm run test:scale` runs the 30 tenants (≈ 45 s on two cores at load average 4, a few
// minutes at 12); SCALE_TENANTS=N runs another number.
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scheduledRunId } from '../../src/backup/ids.ts';
import { incrementalSlot } from '../../src/backup/scheduler.ts';
import type { ObjectType } from '../../src/domain.ts';
import type { RunRecord, VersionRecord } from '../../src/store/store.ts';
import type { ConnectorCall } from '../helpers/local-connector.ts';
import { type Cluster, startCluster } from './cluster.ts';
import { queryStats, resetQueryStats } from './cosmos-query-stats.ts';
import { cpuSecondsOf, ownCpuSeconds } from './process-cpu.ts';
import { doneStreams, observeRuns, type RunObserver } from './run-observer.ts';
import { channelOf, installBot, scaleTestPolicy, updateSettings } from './tenant-setup.ts';

const TENANTS = Number(process.env.SCALE_TENANTS ?? 30);
const USERS = Number(process.env.SCALE_USERS ?? 10);
const WORKERS = ['worker-1', 'worker-2', 'worker-3'];
const VICTIM = WORKERS[0];
const LEASE_SECONDS = 10;
const FINISHED = new Set(['succeeded', 'partial', 'failed']);
// The test server serves each query from its partition (tests/helpers/cosmos-partition-index.ts),
// so a tenant's run costs the same whatever the number of tenants: ≈ 1 s of the deployment's time
// per tenant at load average 4 (docs/SCALING.md), eight times that allowed for a loaded machine.
const RUNS_DEADLINE_MS = 60_000 + TENANTS * 8_000;

let cluster: Cluster;
let observer: RunObserver;
let tenantIds: string[] = [];
let runs: RunRecord[] = [];
let killedAt = 0;
/** Runs the victim held, mid-way, when it was killed. */
let victimRuns: RunRecord[] = [];
let resultCalls: ConnectorCall[] = [];
let expectedRunId = '';

const cardTitle = (call: ConnectorCall): string | undefined => {
  const attachments = (call.activity.attachments as { content?: { body?: { text?: string }[] } }[]) ?? [];
  return attachments[0]?.content?.body?.[0]?.text;
};
const isRunCard = (call: ConnectorCall) =>
  call.method === 'POST' &&
  /^Backup (succeeded|failed|partly failed|still failing|recovered)$/.test(cardTitle(call) ?? '');

async function allRuns(): Promise<RunRecord[]> {
  const lists = await Promise.all(tenantIds.map((t) => cluster.store.listRuns(t, { limit: 50 })));
  return lists.flat();
}

async function versionsOf(tenantId: string): Promise<VersionRecord[]> {
  const out: VersionRecord[] = [];
  let continuation: string | undefined;
  do {
    const page = await cluster.store.listChanges(tenantId, {
      from: '1970-01-01T00:00:00.000Z',
      to: '9999-12-31T23:59:59.000Z',
      limit: 1000,
      continuation,
    });
    out.push(...page.items);
    continuation = page.continuation;
  } while (continuation);
  return out;
}

/** Why the runs did not all finish: each unfinished or failed run's state, errors and holders, and the roles' warnings. */
function unfinishedReport(current: RunRecord[]): string {
  const notOk = current.filter((r) => r.status !== 'succeeded');
  const runLines = notOk.map((r) =>
    JSON.stringify({
      tenantId: r.tenantId,
      status: r.status,
      startedAt: r.startedAt,
      lease: r.lease,
      holders: observer.owners.get(`${r.tenantId}|${r.runId}`)?.map((s) => s.owner),
      streamsDone: doneStreams(r),
      errors: r.errors,
    }),
  );
  const warnings = [cluster.web, ...cluster.workers].map(
    (p) =>
      `--- ${p.name}\n${p.lines
        .filter((l) => /"level":(40|50|60)|Error/.test(l))
        .slice(-15)
        .join('\n')}`,
  );
  const succeeded = current.length - notOk.length;
  return [`runs not finished (${succeeded} succeeded of ${TENANTS}):`, ...runLines, ...warnings].join('\n');
}

/** Whether more than one worker held the run (a takeover after a kill or an expired lease). */
function wasResumed(run: RunRecord | undefined): boolean {
  return !!run && (observer.owners.get(`${run.tenantId}|${run.runId}`)?.length ?? 0) > 1;
}

beforeAll(async () => {
  const started = Date.now();
  cluster = await startCluster({
    tenants: TENANTS,
    usersPerTenant: USERS,
    env: {
      LEASE_SECONDS: String(LEASE_SECONDS),
      WORKER_POLL_SECONDS: '1',
      SCHEDULER_ENABLED: 'true',
      // The web role's notifier sees other processes' runs by polling the store (default 30 s).
      NOTIFY_POLL_SECONDS: '5',
    },
  });
  const { store, connector } = cluster;
  tenantIds = (await store.listTenants()).map((s) => s.tenantId).sort();
  expect(tenantIds).toHaveLength(TENANTS);

  // The MSP installs the bot in each tenant's team and asks for a card after every run.
  await Promise.all(tenantIds.map((t) => installBot(cluster.webUrl, t, connector.serviceUrl)));
  await Promise.all(tenantIds.map((t) => updateSettings(store, t, scaleTestPolicy)));
  // The install stored each channel and welcomed the team there.
  for (const t of tenantIds)
    expect((await store.getSettings(t))?.alerts.channelConversationId).toBe(channelOf(t));
  expectedRunId = scheduledRunId('incremental', incrementalSlot(1440, new Date()));

  observer = observeRuns(store, 500);
  await Promise.all(WORKERS.map((id) => cluster.startWorker(id)));
  const ready = Date.now();
  const cpuAtReady = ownCpuSeconds();
  resetQueryStats();
  const webCpuAtReady = cpuSecondsOf(cluster.web.proc.pid) ?? 0;

  // Kill the victim while it holds a run that has committed at least one page.
  const held = await observer.waitUntil(
    (active) =>
      active.some(
        (r) => r.status === 'running' && r.lease?.owner === VICTIM && Object.keys(r.checkpoint).length > 0,
      ),
    60_000,
  );
  victimRuns = held.filter((r) => r.status === 'running' && r.lease?.owner === VICTIM);
  const victimCpu = cpuSecondsOf(cluster.workers[0].proc.pid);
  cluster.workers[0].proc.kill('SIGKILL');
  killedAt = Date.now();
  await cluster.workers[0].exited;

  // Every tenant's run queued and none left queued or running. The observer's one query per poll
  // says when nothing is queued or running; only then are the tenants' runs read one by one (a
  // query per tenant every half second would load the server the workers share).
  const deadline = Date.now() + RUNS_DEADLINE_MS;
  for (;;) {
    if (observer.active().length === 0) {
      runs = await allRuns();
      const tenantsWithRun = new Set(runs.map((r) => r.tenantId));
      if (tenantsWithRun.size === TENANTS && runs.every((r) => FINISHED.has(r.status))) break;
    }
    if (Date.now() > deadline) throw new Error(unfinishedReport(await allRuns()));
    await new Promise((r) => setTimeout(r, 500));
  }
  const finished = Date.now();
  // CPU seconds spent while the runs ran: the test process is mostly the Cosmos-protocol server.
  const cpu = {
    testProcessWithCosmosServer: +(ownCpuSeconds() - cpuAtReady).toFixed(1),
    web: +((cpuSecondsOf(cluster.web.proc.pid) ?? 0) - webCpuAtReady).toFixed(1),
    workers: [victimCpu, ...cluster.workers.slice(1).map((w) => cpuSecondsOf(w.proc.pid))].map((c) =>
      c === undefined ? null : +c.toFixed(1),
    ),
  };
  await observer.stop();

  // The web role's notifier polls the store (the workers are other processes): wait for its posts.
  await connector
    .waitFor(() => connector.calls.filter(isRunCard).length >= runs.length, 75_000)
    .catch(() => undefined);
  // Then a little longer: a second post of any run would show here.
  await new Promise((r) => setTimeout(r, 3000));
  resultCalls = connector.calls.filter(isRunCard);

  const execs = runs.map((r) => Date.parse(r.finishedAt ?? '') - Date.parse(r.startedAt ?? ''));
  const first = Math.min(...runs.map((r) => Date.parse(r.startedAt ?? '')));
  const last = Math.max(...runs.map((r) => Date.parse(r.finishedAt ?? '')));
  const takeovers = victimRuns.map((v) => {
    const next = observer.owners.get(`${v.tenantId}|${v.runId}`)?.find((s) => s.owner !== VICTIM);
    const done = runs.find((r) => r.runId === v.runId && r.tenantId === v.tenantId);
    return {
      runId: v.runId,
      takenOverAfterMs: next ? next.firstSeen - killedAt : undefined,
      finishedAfterMs: done?.finishedAt ? Date.parse(done.finishedAt) - killedAt : undefined,
    };
  });
  const byWorker: Record<string, number> = {};
  for (const r of runs) {
    const owner = observer.owners.get(`${r.tenantId}|${r.runId}`)?.at(-1)?.owner ?? 'unseen';
    byWorker[owner] = (byWorker[owner] ?? 0) + 1;
  }
  console.log(
    `SCALE-OUT FIGURES ${JSON.stringify({
      tenants: TENANTS,
      usersPerTenant: USERS,
      workers: WORKERS.length,
      leaseSeconds: LEASE_SECONDS,
      clusterStartMs: ready - started,
      runsWallMs: last - first,
      runsPerMinuteAllWorkers: +((runs.length / (last - first)) * 60_000).toFixed(1),
      // Per worker that finished runs (the victim dies early and finishes none).
      runsPerMinutePerWorker: +(
        ((runs.length / (last - first)) * 60_000) /
        Object.keys(byWorker).filter((w) => WORKERS.includes(w)).length
      ).toFixed(1),
      runMs: { mean: Math.round(execs.reduce((a, b) => a + b, 0) / execs.length), max: Math.max(...execs) },
      finishedByWorker: byWorker,
      takeovers,
      lastRunToLastCardMs: (resultCalls.at(-1)?.at ?? Number.NaN) - last,
      totalMs: finished - started,
      cpuSecondsDuringRuns: cpu,
      wallSecondsDuringRuns: Math.round((finished - ready) / 1000),
      loadAverage: os.loadavg().map((l) => +l.toFixed(1)),
      cosmosQueriesCostliest: queryStats()
        .slice(0, 8)
        .map(
          (q) =>
            `${q.container}: ${q.calls} × ${(q.totalMs / q.calls).toFixed(1)} ms (max ${Math.round(q.maxMs)}) ${q.query}`,
        ),
    })}`,
  );
}, RUNS_DEADLINE_MS + 180_000);

afterAll(async () => {
  await observer?.stop();
  await cluster?.close();
});

describe(`one web and three workers, ${TENANTS} tenants, on one Cosmos-protocol store`, () => {
  it("every tenant's due run completes exactly once, though a worker was killed mid-run", () => {
    expect(victimRuns.length).toBeGreaterThan(0);
    for (const tenantId of tenantIds) {
      const mine = runs.filter((r) => r.tenantId === tenantId);
      // The three schedulers queued the tenant's slot once (deterministic slot id), and it ran once.
      expect(
        mine.map((r) => `${r.runId}:${r.trigger}:${r.status}`),
        `${tenantId}: ${JSON.stringify(mine.map((r) => r.errors))}`,
      ).toEqual([`${expectedRunId}:schedule:succeeded`]);
      expect(mine[0].errors).toEqual([]);
    }
  });

  it("the killed worker's run was taken over by another worker from its checkpoint", () => {
    for (const victim of victimRuns) {
      const owners = observer.owners.get(`${victim.tenantId}|${victim.runId}`) ?? [];
      const after = owners.slice(owners.findIndex((s) => s.owner === VICTIM) + 1);
      expect(after.length, `run ${victim.runId} was never resumed`).toBeGreaterThan(0);
      expect(after.every((s) => s.owner !== VICTIM && WORKERS.includes(s.owner))).toBe(true);
      // Not before its lease expired (no two workers wrote it at once)…
      expect(after[0].firstSeen).toBeGreaterThanOrEqual(Date.parse(victim.lease?.expiresAt ?? '') - 1000);
      // …and from its checkpoint: the streams the victim had finished stay finished.
      expect(after[0].streamsDone).toEqual(expect.arrayContaining(doneStreams(victim)));
    }
  });

  it(
    'stores every object of every tenant once: one version each, counts equal to the tenant',
    async () => {
      const dev = await cluster.devControl<{
        tenants: { tenantId: string; counts: Record<string, number> }[];
      }>('/_dev/tenants');
      for (const tenantId of tenantIds) {
        const versions = await versionsOf(tenantId);
        const perObject = new Map<string, number>();
        for (const v of versions) perObject.set(v.objectId, (perObject.get(v.objectId) ?? 0) + 1);
        const duplicated = [...perObject].filter(([, n]) => n > 1);
        expect(duplicated, `tenant ${tenantId}: objects with more than one version`).toEqual([]);
        const run = runs.find((r) => r.tenantId === tenantId);
        const counts = Object.values(run?.counts ?? {});
        const created = counts.reduce((n, c) => n + (c?.created ?? 0), 0);
        if (wasResumed(run)) {
          // The page a killed worker wrote without its checkpoint is read again by the next worker,
          // which finds those objects stored already: counted unchanged, stored once.
          const unchanged = counts.reduce((n, c) => n + (c?.unchanged ?? 0), 0);
          expect(versions.length, tenantId).toBeGreaterThanOrEqual(created);
          expect(versions.length, tenantId).toBeLessThanOrEqual(created + unchanged);
        } else {
          expect(versions.length, tenantId).toBe(created);
        }
        // Each type the dev tenant counts is stored in full.
        const stored = await cluster.store.countObjects(tenantId);
        const inTenant = dev.tenants.find((t) => t.tenantId === tenantId)?.counts ?? {};
        for (const type of ['user', 'group', 'application', 'servicePrincipal', 'device'] as ObjectType[]) {
          expect(stored[type]?.live ?? 0, `${tenantId} ${type}`).toBe(inTenant[type] ?? 0);
        }
      }
    },
    30_000 + TENANTS * 1_000,
  );

  it('the web role never executed a backup: every lease holder seen was a worker', () => {
    const holders = new Set([...observer.owners.values()].flat().map((s) => s.owner));
    expect(
      [...holders].every((o) => WORKERS.includes(o)),
      [...holders].join(', '),
    ).toBe(true);
    // Every run was seen held by a worker (the observer polls far faster than a run lasts).
    const unseen = runs.filter((r) => !observer.owners.has(`${r.tenantId}|${r.runId}`));
    expect(unseen.map((r) => r.tenantId)).toEqual([]);
  });

  it("the bot posted each run's result card exactly once, in that tenant's channel", async () => {
    for (const tenantId of tenantIds) {
      const cards = resultCalls.filter((c) => c.conversationId === channelOf(tenantId));
      expect(cards.map(cardTitle), tenantId).toEqual(['Backup succeeded']);
    }
    expect(resultCalls).toHaveLength(runs.length);
    // And the store says why no web process will post them again.
    const after = await allRuns();
    expect(after.every((r) => r.notifiedAt)).toBe(true);
  });
});
