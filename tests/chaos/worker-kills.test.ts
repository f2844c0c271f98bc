// Full figures: the worker role SIGKILLed 20 times at random points of backups and 20 times at
// random points of restores (CHAOS_KILLS overrides), each compared with an uninterrupted reference.
import { afterAll, describe, expect, it } from 'vitest';
import { createTestWorld, type TestWorld } from '../helpers/test-world.ts';
import { backupKillScenario } from '../security/lib/backup-kill-scenario.ts';
import { restoreKillScenario } from '../security/lib/restore-kill-scenario.ts';
import { recordTally } from '../security/lib/tally.ts';

const KILLS = Number(process.env.CHAOS_KILLS ?? 20);
const worlds: TestWorld[] = [];
afterAll(async () => {
  for (const w of worlds) await w.close();
});

describe('kill -9 of the worker role', () => {
  it(`during backups, ${KILLS} times: the store equals the uninterrupted reference and the tenant`, async () => {
    const world = await createTestWorld({ users: 60, seed: 'chaos-kill-backup' });
    worlds.push(world);
    world.devTenant.setFaults(world.tenantId, { latencyMs: 15, deltaPageSize: 5, deltaMemberPageSize: 8 });
    const r = await backupKillScenario(world, { kills: KILLS, seed: 2026, maxRounds: 30 });
    recordTally('chaos/worker-kill-backup', r);
    expect(r.kills).toBe(KILLS);
    expect(
      r.statuses.every((s) => s.endsWith('succeeded')),
      r.statuses.join(' '),
    ).toBe(true);
    expect(r.examples).toEqual([]);
    expect(r.tenantDiff).toEqual([]);
    expect({ lost: r.lost, duplicated: r.duplicated, repeated: r.repeated }).toEqual({
      lost: 0,
      duplicated: 0,
      repeated: 0,
    });
  });

  it(`during restores, ${KILLS} times: the tenant ends as at T, every step once`, async () => {
    const world = await createTestWorld({ users: 10, seed: 'chaos-kill-restore' });
    worlds.push(world);
    const r = await restoreKillScenario(world, { kills: KILLS, users: 120, seed: 2026, maxRounds: 14 });
    recordTally('chaos/worker-kill-restore', r);
    expect(r.problems).toEqual([]);
    expect(r.kills).toBe(KILLS);
    expect({ lost: r.lost, duplicated: r.duplicated, repeated: r.repeated }).toEqual({
      lost: 0,
      duplicated: 0,
      repeated: 0,
    });
  });
});
