// Kill tests: a child process running a full backup is SIGKILLed at random points (4 by default,
// BACKUP_KILLS=20 for the full check) and resumed each time from its checkpoint; the final store
// equals that of an uninterrupted run against the same tenant: no version lost, none twice.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBackupNow } from '../../src/backup/run-now.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { RunRecord } from '../../src/store/store.ts';
import { createTestWorld, type TestWorld } from '../helpers/test-world.ts';
import { prepareChild, startChild } from './child-process.ts';
import { contextFor } from './fixtures/world-context.ts';
import { storeFingerprint } from './store-fingerprint.ts';
import { opsFor, specOf } from './world.ts';

const KILLS = Number(process.env.BACKUP_KILLS ?? 4);
let world: TestWorld;

beforeAll(async () => {
  const [w] = await Promise.all([createTestWorld({ users: 20, seed: 'contoso' }), prepareChild()]);
  world = w;
  // Slow Graph a little so that kills land inside the run, and keep delta pages small so the
  // run has many checkpoints.
  world.devTenant.setFaults(world.tenantId, { deltaPageSize: 6, deltaMemberPageSize: 10 });
});
afterAll(async () => {
  await world?.close();
});

/** Runs a backup to its end in this process against the store in `dataDir` (resuming if needed). */
async function runToEnd(dataDir: string, kind: 'full' | 'incremental'): Promise<RunRecord> {
  const ctx = await contextFor(specOf(world, { dataDir }));
  try {
    return await runBackupNow(
      ctx,
      world.tenantId,
      { kind, trigger: 'manual' },
      { leaseMs: 1000, pollMs: 100 },
    );
  } finally {
    await ctx.close();
  }
}

describe('kill and resume', () => {
  it(`a run killed at ${KILLS} random points ends identical to an uninterrupted run`, async () => {
    const referenceDir = await mkdtemp(path.join(tmpdir(), 'backup-ref-'));
    const killedDir = await mkdtemp(path.join(tmpdir(), 'backup-kill-'));
    const reference = await runToEnd(referenceDir, 'full');
    expect(reference.status).toBe('succeeded');

    let kills = 0;
    let sawProgress = 0;
    for (let i = 0; i < KILLS; i++) {
      const child = startChild(specOf(world, { dataDir: killedDir }), ['run', world.tenantId, 'full'], {
        BACKUP_LEASE_MS: '1000',
      });
      // Kill after a random number of committed pages (each page prints a line).
      const pages = 1 + Math.floor(Math.random() * 12);
      let seen = 0;
      const reached = await child.waitFor((l) => l === 'PAGE' && ++seen >= pages);
      if (reached) {
        child.proc.kill('SIGKILL');
        kills++;
        sawProgress += seen;
      }
      await child.exited;
      if (!reached) break; // the run completed before this kill point
    }
    expect(kills).toBeGreaterThan(0);
    const final = await runToEnd(killedDir, 'full');
    expect(final.status).toBe('succeeded');
    // Its counts equal the uninterrupted run's: what a killed worker wrote before its checkpoint
    // is neither counted twice nor as unchanged when the next worker replays it.
    expect(final.counts).toEqual(reference.counts);

    // One more change and an incremental on both: delta links survived the kills too.
    const ops = opsFor(world, world.tenantId);
    const user = ops.list('user')[5];
    ops.set('user', user.id, { jobTitle: 'Resumed' });
    expect((await runToEnd(referenceDir, 'incremental')).status).toBe('succeeded');
    expect((await runToEnd(killedDir, 'incremental')).status).toBe('succeeded');

    const [a, b] = await Promise.all([
      openStore({ dataDir: referenceDir }),
      openStore({ dataDir: killedDir }),
    ]);
    const fa = await storeFingerprint(a, world.tenantId);
    const fb = await storeFingerprint(b, world.tenantId);
    await a.close();
    await b.close();
    expect(fb.objects).toEqual(fa.objects);
    expect(fb.versions).toEqual(fa.versions);
    expect(fb.edges).toEqual(fa.edges);
    expect(sawProgress).toBeGreaterThan(0);
  }, 240_000);
});
