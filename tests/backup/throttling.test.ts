// Throttling storms (30% 429s) and 503s give the same stored result as a calm run, only slower.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBackupNow } from '../../src/backup/run-now.ts';
import { openStore } from '../../src/store/open-store.ts';
import { createTestWorld, type TestWorld } from '../helpers/test-world.ts';
import { storeFingerprint } from './store-fingerprint.ts';
import { compareViews, readStore, readTenant } from './tenant-oracle.ts';

let world: TestWorld;
beforeAll(async () => {
  // Faults are drawn per request: at 35% a request fails all of the default 6 attempts about
  // once in 550, so a run of a few hundred requests would sometimes give up on one (reported,
  // as it should be). The storm check is about the result, so it gets a retry budget (a setting)
  // that makes giving up negligible (0.35^12 ≈ 3e-6 per request).
  world = await createTestWorld({ users: 25, seed: 'backup-throttle', env: { GRAPH_MAX_ATTEMPTS: '12' } });
});
afterAll(async () => {
  await world?.close();
});

describe('throttling and transient errors', () => {
  it('a run through 30% 429s and 5% 503s stores exactly what a calm run stores', async () => {
    const calm = await runBackupNow(
      world.ctx,
      world.tenantId,
      { kind: 'full', trigger: 'manual' },
      { leaseMs: 30_000 },
    );
    expect(calm.status).toBe('succeeded');
    const expected = await storeFingerprint(world.ctx.store, world.tenantId);

    const dir = await mkdtemp(path.join(tmpdir(), 'backup-storm-'));
    const store = await openStore({ dataDir: dir });
    world.devTenant.setFaults(world.tenantId, { rate429: 0.3, rate503: 0.05, retryAfterSeconds: 0 });
    try {
      const stormy = await runBackupNow(
        { ...world.ctx, store },
        world.tenantId,
        { kind: 'full', trigger: 'manual' },
        { leaseMs: 30_000 },
      );
      expect(stormy.errors).toEqual([]);
      expect(stormy.status).toBe('succeeded');
      expect(stormy.throttled).toBeGreaterThan(0);
      const got = await storeFingerprint(store, world.tenantId);
      expect(got).toEqual(expected);
    } finally {
      world.devTenant.setFaults(world.tenantId, { rate429: 0, rate503: 0 });
      await store.close();
    }
    expect(
      compareViews(
        await readTenant(world.ctx.graph.forBackup(world.tenantId)),
        await readStore(world.ctx.store, world.tenantId),
      ),
    ).toEqual([]);
  }, 90_000);
});
