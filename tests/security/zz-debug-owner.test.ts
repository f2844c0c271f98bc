import { it, expect } from 'vitest';
import { runBackupNow } from '../../src/backup/run-now.ts';
import { compareViews, readStore, readTenant } from '../backup/tenant-oracle.ts';
import { createTestWorld } from '../helpers/test-world.ts';
import { KILL_TYPES } from './lib/backup-kill-scenario.ts';
import { seededRandom } from '../helpers/fault-proxy.ts';

it('debug', async () => {
  const world = await createTestWorld({ users: 30, seed: 'sec-kill-backup' });
  const { tenantId } = world;
  const ops = world.devTenant.ops(tenantId);
  world.devTenant.setFaults(tenantId, { latencyMs: 10, deltaPageSize: 5, deltaMemberPageSize: 8 });
  const random = seededRandom(11);
  const diff = async (label: string) => {
    const d = compareViews(await readTenant(world.ctx.graph.forBackup(tenantId)), await readStore(world.ctx.store, tenantId));
    console.log(label, JSON.stringify(d.filter((x) => !x.includes('signIn') && !x.includes('authenticationMethods'))));
  };
  await runBackupNow(world.ctx, tenantId, { kind: 'full', trigger: 'manual', types: KILL_TYPES });
  await diff('after full');
  for (let round = 1; round < 4; round++) {
    const users = ops.list('user');
    for (let i = 0; i < 6; i++) {
      const u = users[Math.floor(random() * users.length)];
      ops.set('user', u.id, { jobTitle: `Round ${round} ${i}` });
    }
    const victim = users[Math.floor(random() * users.length)];
    console.log('deleting', victim.id, 'owner of', JSON.stringify(ops.list('group').filter((g) => ops.members('group', g.id, 'owners').includes(victim.id)).map((g) => g.id)));
    ops.delete('user', victim.id);
    await runBackupNow(world.ctx, tenantId, { kind: 'incremental', trigger: 'manual', types: KILL_TYPES });
    await diff(`after round ${round}`);
  }
  await world.close();
  expect(1).toBe(1);
}, 200_000);
