// The scheduler against the real SQLite store: each due slot queues one run, however many
// scheduler processes tick at once; a full run is queued once the daily cron slot passes.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app-context.ts';
import { scheduleTenant } from '../../src/backup/scheduler.ts';
import { loadConfig } from '../../src/config.ts';
import { ProductEvents } from '../../src/events.ts';
import { createLogger } from '../../src/log.ts';
import { defaultSettings } from '../../src/settings/tenant-settings.ts';
import { openStore } from '../../src/store/open-store.ts';

async function context(now: { t: Date }): Promise<AppContext> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'backup-sched-'));
  const store = await openStore({ dataDir });
  return {
    config: loadConfig({ DATA_DIR: dataDir }),
    log: createLogger('silent'),
    store,
    graph: {
      forBackup: () => {
        throw new Error('no Graph in this test');
      },
      forRestore: () => {
        throw new Error('no Graph');
      },
    },
    events: new ProductEvents(),
    now: () => now.t,
  };
}

describe('scheduler', () => {
  it('queues one incremental per slot and the daily full once its cron time passes', async () => {
    const now = { t: new Date('2025-03-10T10:07:00Z') };
    const ctx = await context(now);
    const settings = await ctx.store.putSettings(defaultSettings('t1', new Date('2025-03-10T09:00:00Z')));
    // Two scheduler processes ticking at once create one run.
    const [a, b] = await Promise.all([scheduleTenant(ctx, settings), scheduleTenant(ctx, settings)]);
    const runs = await ctx.store.listRuns('t1');
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ kind: 'incremental', trigger: 'schedule', status: 'queued' });
    expect([...a, ...b].every((id) => id === runs[0].runId)).toBe(true);
    // Same slot again: nothing new (the queued run covers it).
    now.t = new Date('2025-03-10T10:14:00Z');
    await scheduleTenant(ctx, settings);
    expect(await ctx.store.listRuns('t1')).toHaveLength(1);
    // Next day after 02:00 UTC: the full is due and widens the queued incremental.
    now.t = new Date('2025-03-11T02:01:00Z');
    await scheduleTenant(ctx, settings);
    const after = await ctx.store.listRuns('t1');
    expect(after.some((r) => r.kind === 'full')).toBe(true);
    expect(after.filter((r) => r.status === 'queued')).toHaveLength(1);
    // The widened run executes; later ticks the same day queue incrementals only, no second full.
    const widened = after.find((r) => r.status === 'queued')!;
    await ctx.store.updateRun(
      { ...widened, status: 'succeeded', startedAt: now.t.toISOString(), finishedAt: now.t.toISOString() },
      widened.etag!,
    );
    now.t = new Date('2025-03-11T02:20:00Z');
    await scheduleTenant(ctx, settings);
    const later = await ctx.store.listRuns('t1');
    expect(later.filter((r) => r.kind === 'full')).toHaveLength(1);
    expect(later[0]).toMatchObject({ kind: 'incremental', status: 'queued' });
    await ctx.store.updateRun({ ...later[0], status: 'succeeded' }, later[0].etag!);
    // Paused: nothing is queued.
    now.t = new Date('2025-03-12T10:00:00Z');
    await scheduleTenant(ctx, { ...settings, schedule: { ...settings.schedule, paused: true } });
    expect(await ctx.store.listRuns('t1')).toHaveLength(later.length);
    await ctx.store.close();
  });
});
