// Two-person rule under concurrency on both stores (SQLite file, Cosmos-protocol server):
// racing approvers, double clicks, approve vs cancel, self-approval racing a reject.
import { afterAll, describe, expect, it } from 'vitest';
import { createTestWorld, type TestWorld } from '../helpers/test-world.ts';
import { approvalRaceScenario, findPeople } from './lib/approval-race-scenario.ts';
import { recordTally } from './lib/tally.ts';

const worlds: TestWorld[] = [];
afterAll(async () => {
  for (const w of worlds) await w.close();
});

describe.each(['sqlite', 'cosmos'] as const)('two-person rule under concurrency (%s)', (store) => {
  it('every race ends in one consistent state: no approval lost, doubled or self-granted', async () => {
    const world = await createTestWorld({ users: 12, seed: `sec-race-${store}`, store });
    worlds.push(world);
    const people = await findPeople(world);
    const r = await approvalRaceScenario(world, people, 3);
    recordTally(`security/approval-races-${store}`, r);
    expect(r.problems).toEqual([]);
    expect({ lost: r.lost, duplicated: r.duplicated, repeated: r.repeated }).toEqual({
      lost: 0,
      duplicated: 0,
      repeated: 0,
    });
    expect(r.races).toBe(15);
  }, 90_000);
});
