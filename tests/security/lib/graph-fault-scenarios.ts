// Graph faults against the real backup engine, each checked against the store and the tenant
// afterwards: storms (429 with Retry-After, 503, 504, connection resets, responses slower than
// the client's timeout) through a fault proxy in front of the dev tenant; expired delta tokens;
// consent revoked in the middle of a run; a page with an unexpected shape.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { requestBackup } from '../../../src/backup/request-backup.ts';
import { followRun, runBackupNow } from '../../../src/backup/run-now.ts';
import { loadOrCreateLoopbackCert } from '../../../src/devtenant/tls.ts';
import { openStore } from '../../../src/store/open-store.ts';
import type { RunRecord, Store } from '../../../src/store/store.ts';
import { compareViews, readStore, readTenant } from '../../backup/tenant-oracle.ts';
import { type FaultProxy, startFaultProxy } from '../../helpers/fault-proxy.ts';
import type { TestWorld } from '../../helpers/test-world.ts';
import { KILL_TYPES as TYPES } from './backup-kill-scenario.ts';
import { productContext } from './product-context.ts';
import { compareSnapshots, snapshotStore } from './store-snapshot.ts';
import type { Tally } from './tally.ts';
import { sleep, waitUntil } from './worker-process.ts';

export { TYPES };

export interface FaultOutcome extends Tally {
  run: RunRecord;
  problems: string[];
}

async function freshStore(): Promise<{ store: Store; dispose(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sec-graph-fault-'));
  const store = await openStore({ dataDir: dir });
  return {
    store,
    dispose: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function tenantDiff(world: TestWorld, store: Store): Promise<string[]> {
  const view = await readStore(store, world.tenantId);
  return compareViews(await readTenant(world.ctx.graph.forBackup(world.tenantId)), view);
}

export async function graphProxy(world: TestWorld, seed: number): Promise<FaultProxy> {
  // The proxy serves the dev tenant's own loopback certificate: the gateway trusts one CA for
  // Graph and the token issuer alike.
  const tls = await loadOrCreateLoopbackCert(path.join(world.dataDir, 'devtenant'));
  return startFaultProxy({ target: world.devTenant.graphUrl, targetCaPem: world.devTenant.caPem, seed, tls });
}

/**
 * A full backup through a storm (proxy: 429/503/drops/slow answers; dev tenant: 504 and resets)
 * stores exactly what a calm run stores, and what the tenant holds.
 */
export async function stormScenario(
  world: TestWorld,
  options: {
    seed: number;
    rate429: number;
    rate503: number;
    rateDrop: number;
    rateSlow: number;
    rate504: number;
    rateReset: number;
  },
): Promise<FaultOutcome> {
  const calm = await freshStore();
  const stormy = await freshStore();
  const proxy = await graphProxy(world, options.seed);
  const ctx = productContext(world, { store: calm.store });
  const sctx = productContext(world, {
    graphUrl: proxy.url,
    graphCaPem: proxy.caPem,
    store: stormy.store,
    requestTimeoutMs: 400,
    maxAttempts: 15,
  });
  const problems: string[] = [];
  try {
    const reference = await runBackupNow(
      ctx,
      world.tenantId,
      { kind: 'full', trigger: 'manual', types: TYPES },
      { leaseMs: 60_000, pollMs: 50 },
    );
    if (reference.status !== 'succeeded')
      problems.push(`calm run ${reference.status}: ${JSON.stringify(reference.errors)}`);
    // Only Graph is faulted (not the token endpoint, which is the issuer's).
    proxy.setFaults({
      rate429: options.rate429,
      rate503: options.rate503,
      rateDrop: options.rateDrop,
      rateSlow: options.rateSlow,
      slowMs: 1200,
      retryAfterMs: 10,
    });
    // Small pages: many requests, many chances to fail mid-stream.
    world.devTenant.setFaults(world.tenantId, {
      rate504: options.rate504,
      rateReset: options.rateReset,
      retryAfterSeconds: 0,
      deltaPageSize: 4,
      deltaMemberPageSize: 6,
    });
    let run: RunRecord;
    try {
      run = await runBackupNow(
        sctx,
        world.tenantId,
        { kind: 'full', trigger: 'manual', types: TYPES },
        { leaseMs: 60_000, pollMs: 50 },
      );
    } finally {
      proxy.setFaults({});
      world.devTenant.setFaults(world.tenantId, {
        rate504: 0,
        rateReset: 0,
        deltaPageSize: 200,
        deltaMemberPageSize: 1000,
      });
    }
    if (run.status !== 'succeeded')
      problems.push(`stormy run ${run.status}: ${JSON.stringify(run.errors).slice(0, 600)}`);
    const cmp = compareSnapshots(
      await snapshotStore(calm.store, world.tenantId, TYPES),
      await snapshotStore(stormy.store, world.tenantId, TYPES),
    );
    problems.push(...cmp.examples);
    problems.push(...(await tenantDiff(world, stormy.store)).map((d) => `tenant vs store: ${d}`));
    const i = proxy.injected;
    if (process.env.CHAOS_DEBUG)
      process.stderr.write(`storm: ${proxy.requests.length} requests, injected ${JSON.stringify(i)}\n`);
    return {
      run,
      problems,
      faults: i.throttled + i.unavailable + i.dropped + i.slowed,
      runs: 2,
      lost: cmp.lost,
      duplicated: cmp.duplicated,
      repeated: 0,
    };
  } finally {
    ctx.close();
    sctx.close();
    await proxy.stop();
    await calm.dispose();
    await stormy.dispose();
  }
}

/** Delta tokens expire between runs: the incremental falls back to a full sync that tombstones what is gone. */
export async function expiredDeltaScenario(world: TestWorld): Promise<FaultOutcome> {
  const { ctx, tenantId } = world;
  const ops = world.devTenant.ops(tenantId);
  const problems: string[] = [];
  const first = await runBackupNow(
    ctx,
    tenantId,
    { kind: 'full', trigger: 'manual', types: TYPES },
    { pollMs: 50 },
  );
  if (first.status !== 'succeeded') problems.push(`first run ${first.status}`);
  const users = ops.list('user');
  const gone = users[3];
  ops.delete('user', gone.id);
  ops.set('user', users[4].id, { jobTitle: 'After expiry' });
  ops.expireDeltaTokens('expire');
  const run = await runBackupNow(
    ctx,
    tenantId,
    { kind: 'incremental', trigger: 'manual', types: TYPES },
    { pollMs: 50 },
  );
  if (run.status !== 'succeeded')
    problems.push(`incremental after expiry ${run.status}: ${JSON.stringify(run.errors).slice(0, 400)}`);
  const rec = await ctx.store.getObject(tenantId, 'user', gone.id);
  if (!rec?.deleted) problems.push('the user deleted while the tokens expired is not tombstoned');
  problems.push(...(await tenantDiff(world, ctx.store)));
  const again = await runBackupNow(
    ctx,
    tenantId,
    { kind: 'incremental', trigger: 'manual', types: TYPES },
    { pollMs: 50 },
  );
  const versions = Object.values(again.counts).reduce(
    (n, c) => n + (c?.created ?? 0) + (c?.changed ?? 0) + (c?.deleted ?? 0),
    0,
  );
  // After the fallback, new delta links work: the next incremental finds nothing new.
  if (again.status !== 'succeeded' || versions !== 0)
    problems.push(`next incremental ${again.status} with ${versions} changes`);
  return { run, problems, faults: 1, runs: 3, lost: 0, duplicated: versions, repeated: 0 };
}

/** Consent is revoked while a run is in flight: the run ends with a clear consent error, nothing stored is lost. */
export async function consentRevokedMidRunScenario(world: TestWorld): Promise<FaultOutcome> {
  const { ctx, tenantId } = world;
  const problems: string[] = [];
  const before = await snapshotStore(ctx.store, tenantId, TYPES);
  world.devTenant.setFaults(tenantId, { latencyMs: 80, deltaPageSize: 2 });
  const queued = await requestBackup(ctx, tenantId, { kind: 'full', trigger: 'manual', types: TYPES });
  const following = followRun(ctx, queued, { workerId: 'sec-consent', leaseMs: 60_000, pollMs: 50 });
  let run: RunRecord;
  try {
    // Revoke once the run has committed something.
    await waitUntil(async () => {
      const r = await ctx.store.getRun(tenantId, queued.runId);
      return r && Object.keys(r.checkpoint).length > 0 ? r : undefined;
    }, 30_000);
    world.devTenant.revokeConsent(tenantId, 'backup');
    run = await following;
  } finally {
    world.devTenant.grantConsent(tenantId, 'backup');
    world.devTenant.setFaults(tenantId, { latencyMs: 0, deltaPageSize: 200 });
  }
  if (run.status === 'succeeded') problems.push('the run succeeded although consent was revoked mid-run');
  // With a token already cached Graph answers 403 (Authorization_RequestDenied); a new token
  // is refused (CONSENT_REVOKED). Either way the error must say consent is the cause.
  const consent = run.errors.find(
    (e) => e.code === 'CONSENT_REVOKED' || e.status === 401 || e.status === 403,
  );
  if (!consent || !/consent/i.test(consent.message))
    problems.push(`no clear consent error: ${JSON.stringify(run.errors).slice(0, 400)}`);
  const after = await snapshotStore(ctx.store, tenantId, TYPES);
  // Nothing stored before is lost (objects may only have gained versions).
  const lostVersions = before.versions.filter((v) => !after.versions.includes(v));
  if (lostVersions.length) problems.push(`lost versions: ${lostVersions.slice(0, 3).join(', ')}`);
  const next = await runBackupNow(
    ctx,
    tenantId,
    { kind: 'full', trigger: 'manual', types: TYPES },
    { pollMs: 50 },
  );
  if (next.status !== 'succeeded') problems.push(`run after consent granted again: ${next.status}`);
  problems.push(...(await tenantDiff(world, ctx.store)));
  return {
    run,
    problems,
    faults: 1,
    runs: 2,
    lost: lostVersions.length,
    duplicated: after.repeatedVersions,
    repeated: 0,
  };
}

/**
 * One object type's delta page comes back in a shape Graph never sends: that type fails with a
 * clear error naming it, the others are stored, nothing stored is lost, and the next clean run
 * catches up with the tenant.
 */
export async function unexpectedShapeScenario(world: TestWorld): Promise<FaultOutcome> {
  const proxy = await graphProxy(world, 3);
  const ctx = productContext(world, { graphUrl: proxy.url, graphCaPem: proxy.caPem });
  const problems: string[] = [];
  try {
    const before = await snapshotStore(world.ctx.store, world.tenantId, TYPES);
    let bent = 0;
    proxy.setResponseRewrite((req, body) => {
      if (!/^\/v1\.0\/groups\/delta/.test(req.path) || !body || typeof body !== 'object') return body;
      bent++;
      return {
        ...(body as Record<string, unknown>),
        value: { unexpected: 'an object where a list belongs' },
      };
    });
    const run = await runBackupNow(
      ctx,
      world.tenantId,
      { kind: 'full', trigger: 'manual', types: TYPES },
      { pollMs: 50 },
    );
    proxy.setResponseRewrite(undefined);
    if (bent === 0) problems.push('the bent page was never requested');
    if (run.status !== 'partial') problems.push(`run ended ${run.status}, expected partial`);
    const groupError = run.errors.find((e) => e.objectType === 'group');
    if (!groupError)
      problems.push(`no error names the group type: ${JSON.stringify(run.errors).slice(0, 300)}`);
    if ((run.counts.user?.failed ?? 0) > 0 || run.errors.some((e) => e.objectType === 'user'))
      problems.push('users failed too');
    const after = await snapshotStore(world.ctx.store, world.tenantId, TYPES);
    const lost = before.versions.filter((v) => !after.versions.includes(v)).length;
    if (lost) problems.push(`${lost} stored versions lost`);
    await sleep(10);
    const clean = await runBackupNow(
      ctx,
      world.tenantId,
      { kind: 'full', trigger: 'manual', types: TYPES },
      { pollMs: 50 },
    );
    if (clean.status !== 'succeeded') problems.push(`clean run ${clean.status}`);
    problems.push(...(await tenantDiff(world, world.ctx.store)));
    return { run, problems, faults: bent, runs: 2, lost, duplicated: after.repeatedVersions, repeated: 0 };
  } finally {
    ctx.close();
    await proxy.stop();
  }
}
