import { runBackupNow } from '../../src/backup/run-now.ts';
import { createTestWorld } from '../helpers/test-world.ts';
const t0 = Date.now();
const world = await createTestWorld({ users: 30, seed: 'contoso' });
console.log('world', Date.now() - t0);
for (const kind of ['full', 'incremental', 'full'] as const) {
  const t = Date.now();
  const run = await runBackupNow(world.ctx, world.tenantId, { kind, trigger: 'manual' }, { leaseMs: 30000 });
  console.log(kind, Date.now() - t, run.graphRequests, run.throttled, JSON.stringify(run.typeDurations ?? Object.fromEntries(Object.entries(run.counts).map(([k, v]) => [k, (v as {durationMs?: number}).durationMs]))));
}
await world.close();
