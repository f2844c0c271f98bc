// Graph faults at small scale (tests/chaos runs them larger): each checks the store and the
// tenant afterwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestWorld, type TestWorld } from '../helpers/test-world.ts';
import {
  consentRevokedMidRunScenario,
  expiredDeltaScenario,
  stormScenario,
  unexpectedShapeScenario,
} from './lib/graph-fault-scenarios.ts';
import { recordTally } from './lib/tally.ts';

let world: TestWorld;
beforeAll(async () => {
  world = await createTestWorld({ users: 20, seed: 'sec-graph-faults' });
});
afterAll(async () => {
  await world?.close();
});

describe('Graph faults', () => {
  it('a storm of 429s, 503s, 504s, resets and answers slower than the timeout stores what a calm run stores', async () => {
    const r = await stormScenario(world, {
      seed: 21,
      rate429: 0.2,
      rate503: 0.05,
      rateDrop: 0.05,
      rateSlow: 0.04,
      rate504: 0.05,
      rateReset: 0.03,
    });
    recordTally('security/graph-storm', r);
    expect(r.problems).toEqual([]);
    expect(r.faults).toBeGreaterThan(5);
    expect(r.run.throttled).toBeGreaterThan(0);
    expect({ lost: r.lost, duplicated: r.duplicated }).toEqual({ lost: 0, duplicated: 0 });
  }, 120_000);

  it('expired delta tokens fall back to a full sync that tombstones what is gone', async () => {
    const r = await expiredDeltaScenario(world);
    recordTally('security/expired-delta', r);
    expect(r.problems).toEqual([]);
  }, 90_000);

  it('consent revoked mid-run ends the run with a clear consent error and loses nothing stored', async () => {
    const r = await consentRevokedMidRunScenario(world);
    recordTally('security/consent-revoked', r);
    expect(r.problems).toEqual([]);
  }, 90_000);

  it('a page with an unexpected shape fails only its type, clearly, and the next run catches up', async () => {
    const r = await unexpectedShapeScenario(world);
    recordTally('security/unexpected-shape', r);
    expect(r.problems).toEqual([]);
  }, 90_000);
});
