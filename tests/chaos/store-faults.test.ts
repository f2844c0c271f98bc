// Full figures of the store faults: Cosmos DB 429/503/drops on reads and on writes, concurrent
// writers on Cosmos, a locked SQLite file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBackupNow } from '../../src/backup/run-now.ts';
import { createTestWorld, type TestWorld } from '../helpers/test-world.ts';
import { TYPES } from '../security/lib/graph-fault-scenarios.ts';
import {
  cosmosConflictScenario,
  cosmosFaultScenario,
  sqliteBusyScenario,
} from '../security/lib/store-fault-scenarios.ts';
import { recordTally } from '../security/lib/tally.ts';

let world: TestWorld;
beforeAll(async () => {
  world = await createTestWorld({ users: 40, seed: 'chaos-store' });
  const run = await runBackupNow(
    world.ctx,
    world.tenantId,
    { kind: 'full', trigger: 'manual', types: TYPES },
    { pollMs: 50 },
  );
  if (run.status !== 'succeeded') throw new Error(`reference backup ${run.status}`);
});
afterAll(async () => {
  await world?.close();
});

describe('store faults (full)', () => {
  it('Cosmos 429 storm with 503s and drops on reads', async () => {
    const r = await cosmosFaultScenario(world, world.ctx.store, {
      seed: 8,
      rate429: 0.3,
      rate503: 0.05,
      rateDrop: 0.03,
    });
    recordTally('chaos/cosmos-read-faults', r);
    expect(r.problems).toEqual([]);
  });

  it('Cosmos 503s and drops on writes too: failed attempts are resumed, nothing lost or doubled', async () => {
    const r = await cosmosFaultScenario(world, world.ctx.store, {
      seed: 9,
      rate429: 0.1,
      rate503: 0.004,
      rateDrop: 0.003,
      writesToo: true,
    });
    recordTally('chaos/cosmos-write-faults', r);
    expect(r.problems).toEqual([]);
  });

  it('concurrent writers on Cosmos, 20 rounds', async () => {
    const r = await cosmosConflictScenario(world, 20);
    recordTally('chaos/cosmos-conflicts', r);
    expect(r.problems).toEqual([]);
  });

  it('a locked SQLite file', async () => {
    const r = await sqliteBusyScenario(world, world.ctx.store);
    recordTally('chaos/sqlite-busy', r);
    expect(r.problems).toEqual([]);
  });
});
