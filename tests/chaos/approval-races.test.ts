// Full figures of the two-person rule under concurrency: 20 rounds of five races on each store.
import { afterAll, describe, expect, it } from 'vitest';
import { createTestWorld, type TestWorld } from '../helpers/test-world.ts';
import { approvalRaceScenario, findPeople } from '../security/lib/approval-race-scenario.ts';
import { recordTally } from '../security/lib/tally.ts';

const worlds: TestWorld[] = [];
afterAll(async () => {
  for (const w of worlds) await w.close();
});

describe.each(['sqlite', 'cosmos'] as const)('approval races (%s)', (store) => {
  it('100 races end consistent', async () => {
    const world = await createTestWorld({ users: 12, seed: `chaos-race-${store}`, store });
    worlds.push(world);
    const r = await approvalRaceScenario(world, await findPeople(world), 20);
    recordTally(`chaos/approval-races-${store}`, r);
    expect(r.problems).toEqual([]);
    expect({ lost: r.lost, duplicated: r.duplicated, repeated: r.repeated }).toEqual({
      lost: 0,
      duplicated: 0,
      repeated: 0,
    });
  });
});
