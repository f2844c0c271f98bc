// Full figures of the Graph faults: storms at several seeds on a larger tenant, expired delta
// tokens, consent revoked mid-run, a page with an unexpected shape.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestWorld, type TestWorld } from '../helpers/test-world.ts';
import {
  consentRevokedMidRunScenario,
  expiredDeltaScenario,
  stormScenario,
  unexpectedShapeScenario,
} from '../security/lib/graph-fault-scenarios.ts';
import { recordTally } from '../security/lib/tally.ts';

let world: TestWorld;
beforeAll(async () => {
  world = await createTestWorld({ users: 60, seed: 'chaos-graph' });
});
afterAll(async () => {
  await world?.close();
});

describe('Graph faults (full)', () => {
  it.each([
    [1, 0.3, 0.05, 0.03, 0.02, 0.05, 0.02],
    [2, 0.5, 0.02, 0.02, 0.01, 0.02, 0.02],
    [3, 0.1, 0.1, 0.05, 0.03, 0.1, 0.05],
  ])(
    'storm seed %i (429 %f, 503 %f, drop %f, slow %f, 504 %f, reset %f) stores what a calm run stores',
    async (seed, r429, r503, drop, slow, r504, reset) => {
      const r = await stormScenario(world, {
        seed,
        rate429: r429,
        rate503: r503,
        rateDrop: drop,
        rateSlow: slow,
        rate504: r504,
        rateReset: reset,
      });
      recordTally(`chaos/graph-storm-${seed}`, r);
      expect(r.problems).toEqual([]);
      expect({ lost: r.lost, duplicated: r.duplicated }).toEqual({ lost: 0, duplicated: 0 });
    },
  );

  it('expired delta tokens', async () => {
    const r = await expiredDeltaScenario(world);
    recordTally('chaos/expired-delta', r);
    expect(r.problems).toEqual([]);
  });

  it('consent revoked mid-run', async () => {
    const r = await consentRevokedMidRunScenario(world);
    recordTally('chaos/consent-revoked', r);
    expect(r.problems).toEqual([]);
  });

  it('a page with an unexpected shape', async () => {
    const r = await unexpectedShapeScenario(world);
    recordTally('chaos/unexpected-shape', r);
    expect(r.problems).toEqual([]);
  });
});
