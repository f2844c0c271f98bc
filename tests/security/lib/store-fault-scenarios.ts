// Store faults under a real backup: Cosmos DB answering 429 (x-ms-retry-after-ms), 503 and
// dropped connections through the fault proxy; compare-and-swap conflicts of concurrent
// writers on Cosmos; a SQLite file locked by another process during a run. Each ends with the
// store compared to a calm reference and to the tenant.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { claimRun } from '../../../src/backup/claim-run.ts';
import { requestBackup } from '../../../src/backup/request-backup.ts';
import { runBackupNow } from '../../../src/backup/run-now.ts';
import { ensureTenant } from '../../../src/settings/tenant-settings.ts';
import { verifyAuditChain } from '../../../src/store/audit-chain.ts';
import { openStore } from '../../../src/store/open-store.ts';
import { SQLITE_FILE_NAME } from '../../../src/store/sqlite-store.ts';
import { type RunRecord, type Store, StoreConflictError } from '../../../src/store/store.ts';
import { startCosmosServer } from '../../helpers/cosmos-server.ts';
import { startFaultProxy } from '../../helpers/fault-proxy.ts';
import type { TestWorld } from '../../helpers/test-world.ts';
import { TYPES, tenantDiff } from './graph-fault-scenarios.ts';
import { compareSnapshots, snapshotStore } from './store-snapshot.ts';
import type { Tally } from './tally.ts';

export interface StoreFaultOutcome extends Tally {
  problems: string[];
  attempts: number;
}

/** 503s and drops on reads (GET), or on everything with `writesToo`, on top of the 429s. */
async function startReadFaults(
  proxy: Awaited<ReturnType<typeof startFaultProxy>>,
  options: { rate503: number; rateDrop: number; writesToo?: boolean },
  rate429: number,
): Promise<{ stop(): void }> {
  proxy.setFaults({
    rate429,
    rate503: options.rate503,
    rateDrop: options.rateDrop,
    retryAfterMs: 5,
    // 429s apply to every request; the other faults are filtered by the match.
    match: options.writesToo
      ? undefined
      : (r) =>
          r.method === 'GET' || String(r.headers['x-ms-documentdb-isquery'] ?? '').toLowerCase() === 'true',
  });
  return { stop: () => proxy.setFaults({}) };
}

/** A Cosmos-protocol server behind a fault proxy, and the product's store opened through it. */
async function cosmosBehindProxy(world: TestWorld, seed: number, databasePrefix: string) {
  const cosmos = await startCosmosServer();
  const proxy = await startFaultProxy({ target: cosmos.endpoint, targetCaPem: cosmos.caPem, seed });
  try {
    const store = await openStore({
      dataDir: world.dataDir,
      cosmos: {
        endpoint: proxy.url,
        key: cosmos.key,
        database: `${databasePrefix}-${randomUUID().slice(0, 8)}`,
        caPem: proxy.caPem,
        requestTimeoutMs: 3000,
      },
    });
    return {
      proxy,
      store,
      close: async () => {
        await store.close();
        await proxy.stop();
        await cosmos.stop();
      },
    };
  } catch (error) {
    await proxy.stop();
    await cosmos.stop();
    throw error;
  }
}

/** Runs (and re-runs, as a worker's next poll would) one backup until it ends; store errors end an attempt. */
async function backupThroughFaults(
  world: TestWorld,
  store: Store,
  maxAttempts: number,
): Promise<{ run?: RunRecord; attempts: number; errors: string[] }> {
  const ctx = { ...world.ctx, store };
  const errors: string[] = [];
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    try {
      const run = await runBackupNow(
        ctx,
        world.tenantId,
        { kind: 'full', trigger: 'manual', types: TYPES },
        { workerId: 'sec-store-faults', leaseMs: 60_000, pollMs: 50 },
      );
      if (run.status === 'succeeded') return { run, attempts: attempt, errors };
      errors.push(`${run.status}: ${run.errors.map((e) => e.code).join(',')}`);
    } catch (error) {
      errors.push(error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : String(error));
    }
  }
  return { attempts: maxAttempts, errors };
}

export async function cosmosFaultScenario(
  world: TestWorld,
  reference: Store,
  options: { seed: number; rate429: number; rate503: number; rateDrop: number; writesToo?: boolean },
): Promise<StoreFaultOutcome> {
  const { proxy, store, close } = await cosmosBehindProxy(world, options.seed, 'faults');
  const problems: string[] = [];
  try {
    // 429s hit every request (the SDK honours x-ms-retry-after-ms). 503s and drops hit reads
    // only unless `writesToo`: a write failing mid-page is the case of the chaos suite.
    const rate429 = options.rate429;
    proxy.setFaults({ rate429, retryAfterMs: 5 });
    const reads = await startReadFaults(proxy, options, rate429);
    const result = await backupThroughFaults(world, store, 12);
    reads.stop();
    proxy.setFaults({});
    if (!result.run)
      problems.push(
        `no successful run in ${result.attempts} attempts: ${result.errors.slice(-3).join(' | ')}`,
      );
    const cmp = compareSnapshots(
      await snapshotStore(reference, world.tenantId, TYPES),
      await snapshotStore(store, world.tenantId, TYPES),
    );
    problems.push(...cmp.examples);
    problems.push(...(await tenantDiff(world, store)).map((d) => `tenant vs store: ${d}`));
    const i = proxy.injected;
    if (process.env.CHAOS_DEBUG)
      process.stderr.write(
        `cosmos faults: ${proxy.requests.length} requests, ${JSON.stringify(i)}, attempts ${result.attempts}: ${result.errors.join(' | ')}\n`,
      );
    return {
      problems,
      attempts: result.attempts,
      faults: i.throttled + i.unavailable + i.dropped,
      runs: result.attempts,
      lost: cmp.lost,
      duplicated: cmp.duplicated,
      repeated: 0,
    };
  } finally {
    await close();
  }
}

/** Concurrent writers on one Cosmos database: claims, settings and the audit chain stay consistent. */
export async function cosmosConflictScenario(world: TestWorld, rounds: number): Promise<StoreFaultOutcome> {
  const cosmos = await startCosmosServer();
  const problems: string[] = [];
  const database = `conflicts-${randomUUID().slice(0, 8)}`;
  const open = () =>
    openStore({
      dataDir: world.dataDir,
      cosmos: { endpoint: cosmos.endpoint, key: cosmos.key, database, caPem: cosmos.caPem },
    });
  const a = await open();
  const b = await open();
  let duplicated = 0;
  let lost = 0;
  let races = 0;
  try {
    const tenantId = world.tenantId;
    await ensureTenant(a, tenantId, new Date());
    for (let round = 0; round < rounds; round++) {
      // Two workers (two clients) claim the same queued run at once: exactly one holds it.
      const queued = await requestBackup({ ...world.ctx, store: a }, tenantId, {
        kind: 'incremental',
        trigger: 'manual',
        types: ['user'],
      });
      const [x, y] = await Promise.all([
        claimRun({ ...world.ctx, store: a }, queued, `wa-${round}`, 60_000),
        claimRun({ ...world.ctx, store: b }, queued, `wb-${round}`, 60_000),
      ]);
      races++;
      const winners = [x, y].filter(Boolean) as RunRecord[];
      if (winners.length !== 1) problems.push(`round ${round}: ${winners.length} workers hold the run`);
      duplicated += Math.max(0, winners.length - 1);
      const stored = await a.getRun(tenantId, queued.runId);
      if (winners[0] && stored?.lease?.owner !== winners[0].lease?.owner)
        problems.push(`round ${round}: lease owner differs from the winner`);
      // Finish it so the next round can queue again.
      if (stored) await a.updateRun({ ...stored, status: 'cancelled', lease: undefined }, stored.etag ?? '');

      // Two settings writers with the same etag: one wins, the other gets a conflict.
      const s = await a.getSettings(tenantId);
      if (!s) throw new Error('settings missing');
      const outcomes = await Promise.allSettled([
        a.putSettings({ ...s, retentionDays: 100 + round }, s.etag),
        b.putSettings({ ...s, retentionDays: 200 + round }, s.etag),
      ]);
      races++;
      const ok = outcomes.filter((o) => o.status === 'fulfilled').length;
      const conflicts = outcomes.filter(
        (o) => o.status === 'rejected' && o.reason instanceof StoreConflictError,
      ).length;
      if (ok !== 1 || conflicts !== 1)
        problems.push(`round ${round}: settings CAS ${ok} ok / ${conflicts} conflicts`);
      duplicated += Math.max(0, ok - 1);

      // Both clients append to the audit chain at once.
      const actor = { tenantId, objectId: 'system', kind: 'system' as const };
      await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          (i % 2 ? a : b).appendAudit({ tenantId, actor, action: 'chaos.append', details: { round, i } }),
        ),
      );
      races++;
    }
    const verified = await verifyAuditChain(a, tenantId);
    if (!verified.ok) problems.push(`audit chain broken: ${JSON.stringify(verified.firstProblem)}`);
    const appended = (await a.listAudit(tenantId, { action: 'chaos.append', limit: 1000 })).items.length;
    lost += Math.max(0, rounds * 6 - appended);
    duplicated += Math.max(0, appended - rounds * 6);
    return { problems, attempts: rounds, faults: races, runs: rounds, lost, duplicated, repeated: 0 };
  } finally {
    await a.close();
    await b.close();
    await cosmos.stop();
  }
}

/**
 * Another process holds the SQLite file's write lock while a backup runs: with a short busy
 * timeout the attempt fails with a clear busy error (never a half-written page); once the lock
 * is gone the run completes and equals the reference.
 */
export async function sqliteBusyScenario(world: TestWorld, reference: Store): Promise<StoreFaultOutcome> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sec-busy-'));
  const problems: string[] = [];
  const store = await openStore({ dataDir: dir, busyTimeoutMs: 200 });
  try {
    const ctx = { ...world.ctx, store };
    await ensureTenant(store, world.tenantId, new Date());
    // The lock is taken by a second connection, as another process would.
    const locker = new Database(path.join(dir, SQLITE_FILE_NAME));
    locker.prepare('BEGIN EXCLUSIVE').run();
    let busyError = '';
    try {
      const run = await runBackupNow(
        ctx,
        world.tenantId,
        { kind: 'full', trigger: 'manual', types: TYPES },
        { workerId: 'sec-busy', leaseMs: 60_000, pollMs: 50 },
      );
      busyError = run.status === 'succeeded' ? '' : JSON.stringify(run.errors);
      if (run.status === 'succeeded')
        problems.push('a run succeeded while another process held the write lock');
    } catch (error) {
      busyError = error instanceof Error ? error.message : String(error);
    } finally {
      locker.prepare('ROLLBACK').run();
      locker.close();
    }
    if (!/busy|lock/i.test(busyError))
      problems.push(`the failure does not say the store is busy: ${busyError.slice(0, 300)}`);
    const result = await backupThroughFaults(world, store, 3);
    if (!result.run) problems.push(`after the lock: ${result.errors.join(' | ')}`);
    const cmp = compareSnapshots(
      await snapshotStore(reference, world.tenantId, TYPES),
      await snapshotStore(store, world.tenantId, TYPES),
    );
    problems.push(...cmp.examples);
    return {
      problems,
      attempts: result.attempts,
      faults: 1,
      runs: 1 + result.attempts,
      lost: cmp.lost,
      duplicated: cmp.duplicated,
      repeated: 0,
    };
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A Cosmos DB page commit fails between its versions and its object records (the first write
 * to the objects container answers 503): the run fails cleanly, and the next run stores the
 * same changes without a second copy of the versions left behind.
 */
export async function cosmosHalfCommitScenario(world: TestWorld): Promise<StoreFaultOutcome> {
  const { proxy, store, close } = await cosmosBehindProxy(world, 1, 'half');
  const problems: string[] = [];
  try {
    const ctx = { ...world.ctx, store };
    const backup = (kind: 'full' | 'incremental') =>
      runBackupNow(
        ctx,
        world.tenantId,
        { kind, trigger: 'manual', types: ['user'] },
        { workerId: 'sec-half-commit', leaseMs: 60_000, pollMs: 50 },
      );
    const first = await backup('full');
    if (first.status !== 'succeeded') problems.push(`first run ${first.status}`);
    const ops = world.devTenant.ops(world.tenantId);
    const changed = ops.list('user').slice(0, 3);
    for (const u of changed) ops.set('user', u.id, { jobTitle: `Half commit ${randomUUID().slice(0, 6)}` });

    // Every write (not query) to the objects container fails during this run (the SDK retries
    // a 503 itself, so one is not enough).
    proxy.setFaults({
      rate503: 1,
      match: (r) =>
        r.method === 'POST' &&
        /\/colls\/objects\/docs/.test(r.path) &&
        String(r.headers['x-ms-documentdb-isquery'] ?? '').toLowerCase() !== 'true',
    });
    const started = Date.now();
    const failed = await backup('incremental');
    proxy.setFaults({});
    if (proxy.injected.unavailable === 0) problems.push('no object write failed');
    if (process.env.CHAOS_DEBUG)
      process.stderr.write(`half commit: ${proxy.injected.unavailable} 503s, ${Date.now() - started} ms\n`);
    if (failed.status !== 'failed' || !failed.errors.some((e) => e.code === 'STORE_UNAVAILABLE'))
      problems.push(`the half-committed run ended ${failed.status}: ${JSON.stringify(failed.errors)}`);
    // The gap the fix is about: versions stored, object records not.
    let left = 0;
    for (const u of changed) {
      const [newest] = await store.listVersions(world.tenantId, u.id, 1);
      const rec = await store.getObject(world.tenantId, 'user', u.id);
      if (newest && rec && newest.hash !== rec.latestHash) left++;
    }
    if (left === 0)
      problems.push('the failed commit left no version behind: the scenario did not hit the gap');

    const next = await backup('incremental');
    if (next.status !== 'succeeded') problems.push(`next run ${next.status}`);
    if (next.counts.user?.changed !== changed.length)
      problems.push(`next run counts ${next.counts.user?.changed} changed users, expected ${changed.length}`);
    let duplicated = 0;
    for (const u of changed) {
      const versions = await store.listVersions(world.tenantId, u.id, 100);
      const rec = await store.getObject(world.tenantId, 'user', u.id);
      duplicated += versions.length - new Set(versions.map((v) => v.hash)).size;
      if (versions.length !== 2) problems.push(`user ${u.id} has ${versions.length} versions, expected 2`);
      if (rec?.latestVersionId !== versions[0]?.versionId)
        problems.push(`user ${u.id}: the object record does not name its newest version`);
    }
    if (duplicated) problems.push(`${duplicated} versions stored twice`);
    return { problems, attempts: 3, faults: 1, runs: 3, lost: 0, duplicated, repeated: 0 };
  } finally {
    await close();
  }
}
