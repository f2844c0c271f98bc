// kill -9 of the worker role (`entra-backup serve --role worker`) at random points of backups:
// the final store equals a reference store that backed up the same tenant states without
// interruption, and equals the tenant itself. Small here (2 kills); 20 in tests/chaos.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestWorld, type TestWorld } from '../helpers/test-world.ts';
import { backupKillScenario } from './lib/backup-kill-scenario.ts';
import { recordTally } from './lib/tally.ts';

let world: TestWorld;
beforeAll(async () => {
  world = await createTestWorld({ users: 30, seed: 'sec-kill-backup' });
  world.devTenant.setFaults(world.tenantId, { latencyMs: 10, deltaPageSize: 5, deltaMemberPageSize: 8 });
});
afterAll(async () => {
  await world?.close();
});

describe('worker killed during a backup', () => {
  it('resumes from its checkpoint: nothing lost, nothing duplicated, store equals the tenant', async () => {
    const r = await backupKillScenario(world, { kills: 2, seed: 11, maxRounds: 5 });
    recordTally('security/worker-kill-backup', r);
    // Kills land at random instants; a run can end before the next one lands.
    expect(r.kills).toBeGreaterThanOrEqual(1);
    expect(
      r.statuses.every((s) => s.endsWith('succeeded')),
      r.statuses.join(' '),
    ).toBe(true);
    expect(r.examples).toEqual([]);
    expect({ lost: r.lost, duplicated: r.duplicated, repeated: r.repeated }).toEqual({
      lost: 0,
      duplicated: 0,
      repeated: 0,
    });
    expect(r.tenantDiff).toEqual([]);
  }, 300_000);
});
