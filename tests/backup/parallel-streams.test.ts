// Streams (object types) of one run are read concurrently: their pages interleave, yet the
// run's commits go through one writer (never two at once, no compare-and-swap conflict between
// the run's own streams), each stream's pages stay in order, and the run ends as complete as a
// sequential one. Kill/resume per stream checkpoint is covered by kill-resume.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAhead } from '../../src/backup/read-ahead.ts';
import { runBackupNow } from '../../src/backup/run-now.ts';
import { runStreams } from '../../src/backup/stream-pool.ts';
import type { ObjectType } from '../../src/domain.ts';
import type { PageCommit } from '../../src/store/store.ts';
import { createTestWorld, type TestWorld } from '../helpers/test-world.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('readAhead', () => {
  it('keeps order, pulls at most `depth` items ahead, and raises an error only after the items before it', async () => {
    let pulled = 0;
    async function* source() {
      for (let i = 0; i < 5; i++) {
        pulled++;
        await sleep(1);
        yield i;
      }
      throw new Error('page 5 failed');
    }
    const seen: number[] = [];
    const ahead: number[] = [];
    await expect(
      (async () => {
        for await (const item of readAhead(source(), 2)) {
          await sleep(10); // a slow commit: the source runs ahead meanwhile, but only so far
          ahead.push(pulled - item - 1);
          seen.push(item);
        }
      })(),
    ).rejects.toThrow('page 5 failed');
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    expect(Math.max(...ahead)).toBeLessThanOrEqual(2);
    expect(Math.max(...ahead)).toBeGreaterThan(0);
  });

  it('lets the source clean up when the consumer stops early', async () => {
    let cleaned = false;
    async function* source() {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        cleaned = true;
      }
    }
    for await (const item of readAhead(source(), 2)) if (item === 3) break;
    expect(cleaned).toBe(true);
  });
});

describe('runStreams', () => {
  it('runs at most `limit` streams at once and starts a stream only after those it waits for', async () => {
    let running = 0;
    let peak = 0;
    const ended: string[] = [];
    const task = (key: string, ms: number, after?: string[]) => ({
      key,
      after,
      run: async () => {
        running++;
        peak = Math.max(peak, running);
        if (key === 'c') expect(ended).toContain('a');
        try {
          await sleep(ms);
          if (key === 'b') throw new Error('one stream failing does not stop the others');
          ended.push(key);
        } finally {
          running--;
        }
      },
    });
    await runStreams([task('a', 30), task('b', 5), task('c', 5, ['a']), task('d', 5), task('e', 5)], 2);
    expect(peak).toBe(2);
    expect(ended.sort()).toEqual(['a', 'c', 'd', 'e']);
  });
});

describe('a run reads its streams concurrently', () => {
  let world: TestWorld;
  beforeAll(async () => {
    world = await createTestWorld({ users: 24, seed: 'parallel-streams' });
    // Small delta pages and some latency: every delta type takes several pages.
    world.devTenant.setFaults(world.tenantId, { deltaPageSize: 4, deltaMemberPageSize: 8, latencyMs: 15 });
  });
  afterAll(async () => {
    await world?.close();
  });

  it('interleaves pages of different types through one writer and completes every type', async () => {
    const store = world.ctx.store;
    const original = store.commitPage.bind(store);
    let inFlight = 0;
    let maxInFlight = 0;
    store.commitPage = async (tenantId: string, page: PageCommit) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        return await original(tenantId, page);
      } finally {
        inFlight--;
      }
    };
    const order: ObjectType[] = [];
    try {
      const run = await runBackupNow(
        world.ctx,
        world.tenantId,
        { kind: 'full', trigger: 'manual' },
        { leaseMs: 30_000, onProgress: (_r, type) => type && order.push(type) },
      );
      expect(run.status).toBe('succeeded');
      expect(run.errors).toEqual([]);
      // Every type of the run finished its stream.
      for (const type of Object.keys(run.counts)) expect(run.checkpoint[type]?.done).toBe(true);
      expect(run.counts.user?.created).toBe(24); // every seeded user
    } finally {
      store.commitPage = original;
    }
    expect(maxInFlight).toBe(1);
    // Users are read in several pages; other types' pages were committed between them.
    const users = order.flatMap((t, i) => (t === 'user' ? [i] : []));
    expect(users.length).toBeGreaterThan(3);
    const between = order.slice(users[0], users[users.length - 1]).filter((t) => t !== 'user');
    expect(new Set(between).size).toBeGreaterThan(1);
  }, 60_000);
});
