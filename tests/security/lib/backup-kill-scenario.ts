// kill -9 of the worker role at random instants of backups, compared with a reference store
// that backed up the same tenant states without interruption. Rounds: each round changes the
// tenant, runs the reference in this process, then queues the same run for worker processes
// and kills them at random points until the run ends (a dead worker's lease expires, the next
// worker resumes from the checkpoint). Used small by tests/security and large by tests/chaos.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { requestBackup } from '../../../src/backup/request-backup.ts';
import { runBackupNow } from '../../../src/backup/run-now.ts';
import type { ObjectType } from '../../../src/domain.ts';
import { openStore } from '../../../src/store/open-store.ts';
import type { RunRecord } from '../../../src/store/store.ts';
import { compareViews, readStore, readTenant } from '../../backup/tenant-oracle.ts';
import { seededRandom } from '../../helpers/fault-proxy.ts';
import type { TestWorld } from '../../helpers/test-world.ts';
import { compareSnapshots, snapshotStore } from './store-snapshot.ts';
import type { Tally } from './tally.ts';
import { killWorkersUntil, worldEnv } from './worker-process.ts';

/** Types with delta, listing and relationships; sign-ins (paced at 5 req/10 s) left out for speed. */
export const KILL_TYPES: ObjectType[] = [
  'user',
  'group',
  'directoryRole',
  'roleDefinition',
  'roleAssignment',
  'application',
  'servicePrincipal',
  'device',
  'administrativeUnit',
  'conditionalAccessPolicy',
];

const FINISHED = new Set(['succeeded', 'partial', 'failed', 'cancelled']);

export interface BackupKillResult extends Tally {
  kills: number;
  rounds: number;
  examples: string[];
  tenantDiff: string[];
  statuses: string[];
}

export async function backupKillScenario(
  world: TestWorld,
  options: { kills: number; seed?: number; maxRounds?: number },
): Promise<BackupKillResult> {
  const random = seededRandom(options.seed ?? 7);
  const { tenantId } = world;
  const ops = world.devTenant.ops(tenantId);
  const refDir = await mkdtemp(path.join(tmpdir(), 'chaos-backup-ref-'));
  const reference = await openStore({ dataDir: refDir });
  const statuses: string[] = [];
  let kills = 0;
  let rounds = 0;
  let runs = 0;
  try {
    while (kills < options.kills && rounds < (options.maxRounds ?? 12)) {
      const kind = rounds === 0 ? 'full' : 'incremental';
      if (rounds > 0) {
        // Change the tenant between rounds: edits, a deletion, a membership change.
        const users = ops.list('user');
        for (let i = 0; i < 6; i++) {
          const u = users[Math.floor(random() * users.length)];
          ops.set('user', u.id, { jobTitle: `Round ${rounds} ${i}` });
        }
        const victim = users[Math.floor(random() * users.length)];
        if (victim) ops.delete('user', victim.id);
      }
      const started = Date.now();
      const ref = await runBackupNow(
        { ...world.ctx, store: reference },
        tenantId,
        { kind, trigger: 'manual', types: KILL_TYPES },
        { leaseMs: 60_000, pollMs: 50 },
      );
      runs++;
      statuses.push(`ref:${ref.status}`);
      const refMs = Date.now() - started;

      const queued = await requestBackup(world.ctx, tenantId, { kind, trigger: 'manual', types: KILL_TYPES });
      const current = () => world.ctx.store.getRun(tenantId, queued.runId);
      const loop = await killWorkersUntil<RunRecord>({
        env: (id) => worldEnv(world, { WORKER_ID: id }),
        workerPrefix: `chaos-backup-${rounds}`,
        finished: async () => {
          const r = await current();
          return r && FINISHED.has(r.status) ? r : undefined;
        },
        holder: async () => {
          const r = await current();
          return r?.status === 'running' ? r.lease?.owner : undefined;
        },
        kills: options.kills - kills,
        delay: () => 30 + random() * Math.max(200, refMs * 0.7),
      });
      kills += loop.kills;
      const final = loop.result;
      runs++;
      statuses.push(`killed:${final.status}`);
      rounds++;
    }

    const expected = await snapshotStore(reference, tenantId, KILL_TYPES);
    const actual = await snapshotStore(world.ctx.store, tenantId, KILL_TYPES);
    const cmp = compareSnapshots(expected, actual);
    // And the store against the tenant itself (object by object, edge by edge).
    const tenantDiff = compareViews(
      await readTenant(world.ctx.graph.forBackup(tenantId)),
      await readStore(world.ctx.store, tenantId),
    );
    const describe = (id: string) => {
      for (const t of ['user', 'group', 'application', 'servicePrincipal', 'device', 'administrativeUnit']) {
        try {
          const o = ops.get(t, id) as unknown as { state?: unknown };
          return `${t}(${String(o.state ?? '?')})`;
        } catch {
          // not this type
        }
      }
      return '?';
    };
    const explained = tenantDiff.map((d) => {
      const m = /edge ([^|]+)\|(\w+)\|([^#]+)/.exec(d);
      return m ? `${d} [${describe(m[1])} → ${describe(m[3])}]` : d;
    });
    return {
      faults: kills,
      runs,
      lost: cmp.lost,
      duplicated: cmp.duplicated,
      repeated: actual.repeatedVersions,
      kills,
      rounds,
      examples: cmp.examples,
      tenantDiff: explained,
      statuses,
    };
  } finally {
    await reference.close();
    await rm(refDir, { recursive: true, force: true });
  }
}
