// Store faults at small scale (tests/chaos runs them larger). Full disk is covered by
// tests/backup/bad-input.test.ts and tests/store/sqlite.test.ts (see docs/SECURITY.md).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBackupNow } from '../../src/backup/run-now.ts';
import { createTestWorld, type TestWorld } from '../helpers/test-world.ts';
import { TYPES } from './lib/graph-fault-scenarios.ts';
import {
  cosmosConflictScenario,
  cosmosFaultScenario,
  cosmosHalfCommitScenario,
  sqliteBusyScenario,
} from './lib/store-fault-scenarios.ts';
import { recordTally } from './lib/tally.ts';

let world: TestWorld;
beforeAll(async () => {
  world = await createTestWorld({ users: 15, seed: 'sec-store-faults' });
  // The reference: a calm full backup in the world's own store.
  const run = await runBackupNow(
    world.ctx,
    world.tenantId,
    { kind: 'full', trigger: 'manual', types: TYPES },
    { pollMs: 50 },
  );
  if (run.status !== 'succeeded') throw new Error(`reference backup ${run.status}`);
}, 120_000);
afterAll(async () => {
  await world?.close();
});

describe('store faults', () => {
  it('Cosmos DB answering 429, 503 and dropping connections: the backup completes identical to a calm one', async () => {
    const r = await cosmosFaultScenario(world, world.ctx.store, {
      seed: 4,
      rate429: 0.15,
      rate503: 0.03,
      rateDrop: 0.02,
    });
    recordTally('security/cosmos-faults', r);
    expect(r.problems).toEqual([]);
    expect(r.faults).toBeGreaterThan(5);
    expect({ lost: r.lost, duplicated: r.duplicated }).toEqual({ lost: 0, duplicated: 0 });
  }, 180_000);

  it('concurrent writers on Cosmos: one claim wins, one settings write wins, the audit chain stays linear', async () => {
    const r = await cosmosConflictScenario(world, 3);
    recordTally('security/cosmos-conflicts', r);
    expect(r.problems).toEqual([]);
    expect({ lost: r.lost, duplicated: r.duplicated }).toEqual({ lost: 0, duplicated: 0 });
  }, 90_000);

  it('a SQLite file locked by another process fails the attempt clearly; the next one completes', async () => {
    const r = await sqliteBusyScenario(world, world.ctx.store);
    recordTally('security/sqlite-busy', r);
    expect(r.problems).toEqual([]);
  }, 90_000);

  // Last: it changes users in the world's tenant, which the scenarios above compare against.
  it('a Cosmos commit failing between versions and object records: the next run stores no version twice', async () => {
    const r = await cosmosHalfCommitScenario(world);
    recordTally('security/cosmos-half-commit', r);
    expect(r.problems).toEqual([]);
  }, 90_000);
});
