// kill -9 of the worker role at random points of restores: each restore ends exactly where the
// uninterrupted reference restore ends (the tenant as it was at T), each step recorded and
// audited once, no member or user twice. Small here (2 kills); 20 in tests/chaos.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestWorld, type TestWorld } from '../helpers/test-world.ts';
import { restoreKillScenario } from './lib/restore-kill-scenario.ts';
import { recordTally } from './lib/tally.ts';

let world: TestWorld;
beforeAll(async () => {
  world = await createTestWorld({ users: 10, seed: 'sec-kill-restore' });
});
afterAll(async () => {
  await world?.close();
});

describe('worker killed during a restore', () => {
  it('resumes where it stopped: tenant back at T, every step once', async () => {
    const r = await restoreKillScenario(world, { kills: 2, users: 20, seed: 3, maxRounds: 5 });
    recordTally('security/worker-kill-restore', r);
    expect(r.problems).toEqual([]);
    expect(r.kills).toBeGreaterThanOrEqual(1);
    expect({ lost: r.lost, duplicated: r.duplicated, repeated: r.repeated }).toEqual({
      lost: 0,
      duplicated: 0,
      repeated: 0,
    });
  }, 300_000);
});
