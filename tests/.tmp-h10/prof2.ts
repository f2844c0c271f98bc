import { runBackupNow } from '../../src/backup/run-now.ts';
import { createTestWorld } from '../helpers/test-world.ts';
import { readTenant, readStore } from '../backup/tenant-oracle.ts';
const world = await createTestWorld({ users: 30, seed: 'contoso' });
for (const kind of ['full', 'incremental', 'full'] as const) {
  let t = Date.now();
  const run = await runBackupNow(world.ctx, world.tenantId, { kind, trigger: 'manual' }, { leaseMs: 30000 });
  console.log(kind, Date.now() - t, run.graphRequests, run.throttled);
  t = Date.now();
  const c = world.ctx.graph.forBackup(world.tenantId);
  await readTenant(c);
  console.log('readTenant', Date.now() - t, JSON.stringify(c.stats));
  t = Date.now();
  await readStore(world.ctx.store, world.tenantId);
  console.log('readStore', Date.now() - t);
}
await world.close();
