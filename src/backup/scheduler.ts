// Per-tenant schedule from the tenant's settings: an incremental run every N minutes and a full
// reconciliation at the cron's times (UTC), plus retention. Slot run ids are deterministic, so
// several scheduler processes create each scheduled run once.
import { Cron } from 'croner';
import type { AppContext } from '../app-context.ts';
import type { TenantSettings } from '../store/store.ts';
import { scheduledRunId } from './ids.ts';
import { requestBackup } from './request-backup.ts';
import { applyRetention } from './retention.ts';

export interface SchedulerOptions {
  /** How often schedules are checked (default 30 s). */
  tickMs?: number;
  /** How often retention is applied per tenant (default 1 h). */
  retentionEveryMs?: number;
}

export interface SchedulerHandle {
  /** Checks every tenant's schedule now (the timer calls it too). */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

/** The latest time ≤ now matched by the cron (UTC), if any in the last 8 days. */
export function latestCronSlot(expr: string, now: Date): Date | undefined {
  const cron = new Cron(expr, { timezone: 'UTC', paused: true });
  const from = new Date(now.getTime() - 8 * 86_400_000);
  let slot: Date | undefined;
  let next = cron.nextRun(from);
  while (next && next.getTime() <= now.getTime()) {
    slot = next;
    next = cron.nextRun(next);
  }
  cron.stop();
  return slot;
}

export function incrementalSlot(minutes: number, now: Date): Date {
  const ms = Math.max(1, minutes) * 60_000;
  return new Date(Math.floor(now.getTime() / ms) * ms);
}

/** Queues what is due for one tenant; returns the run ids it queued. */
export async function scheduleTenant(ctx: AppContext, settings: TenantSettings): Promise<string[]> {
  if (settings.schedule.paused) return [];
  const now = ctx.now();
  const tenantId = settings.tenantId;
  const recent = await ctx.store.listRuns(tenantId, { limit: 50 });
  const queued: string[] = [];
  const fullSlot = latestCronSlot(settings.schedule.fullCron, now);
  const fullDue =
    fullSlot &&
    fullSlot.toISOString() >= settings.createdAt &&
    !recent.some(
      (r) =>
        r.kind === 'full' &&
        // Created after the slot, or a queued incremental widened to full after it.
        (r.createdAt >= fullSlot.toISOString() ||
          (r.startedAt ?? '') >= fullSlot.toISOString() ||
          r.status === 'queued' ||
          r.status === 'running'),
    );
  if (fullDue) {
    const run = await requestBackup(ctx, tenantId, {
      kind: 'full',
      trigger: 'schedule',
      runId: scheduledRunId('full', fullSlot),
    });
    queued.push(run.runId);
    return queued;
  }
  const slot = incrementalSlot(settings.schedule.incrementalMinutes, now).toISOString();
  if (!recent.some((r) => r.createdAt >= slot)) {
    const run = await requestBackup(ctx, tenantId, {
      kind: 'incremental',
      trigger: 'schedule',
      runId: scheduledRunId('incremental', new Date(slot)),
    });
    queued.push(run.runId);
  }
  return queued;
}

export function startScheduler(ctx: AppContext, options: SchedulerOptions = {}): SchedulerHandle {
  const tickMs = options.tickMs ?? 30_000;
  const retentionEveryMs = options.retentionEveryMs ?? 3_600_000;
  const lastRetention = new Map<string, number>();
  let stopped = false;
  let inFlight: Promise<void> = Promise.resolve();

  const tick = async () => {
    const tenants = await ctx.store.listTenants();
    for (const settings of tenants) {
      if (stopped) return;
      try {
        await scheduleTenant(ctx, settings);
        const last = lastRetention.get(settings.tenantId) ?? 0;
        if (ctx.now().getTime() - last >= retentionEveryMs) {
          lastRetention.set(settings.tenantId, ctx.now().getTime());
          await applyRetention(ctx, settings);
        }
      } catch (err) {
        ctx.log.warn({ err, tenantId: settings.tenantId }, 'scheduling a tenant failed');
      }
    }
  };
  const timer = setInterval(() => {
    inFlight = inFlight.then(tick).catch((err) => ctx.log.warn({ err }, 'scheduler tick failed'));
  }, tickMs);
  timer.unref();
  return {
    tick: () => {
      inFlight = inFlight.then(tick);
      return inFlight;
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await inFlight.catch(() => undefined);
    },
  };
}
