// What to post after a backup run, per the tenant's alert mode: nothing, a result card, an
// alert, a reminder or "recovered". Repeated failures of the same cause post one alert, then a
// reminder every `reminderMinutes`, then "recovered" on the next good run. The state lives in
// the audit log ('notify.alert' entries), so every web process sees the same history.
import type { AppContext } from '../app-context.ts';
import type { Principal } from '../domain.ts';
import type { RunRecord, TenantSettings } from '../store/store.ts';

export type AlertKind = 'alert' | 'reminder' | 'recovered' | 'result';

export interface AlertDecision {
  kind: AlertKind;
  cause?: string;
}

export const NOTIFY_ACTION = 'notify.alert';

export function systemActor(tenantId: string): Principal {
  return { tenantId, objectId: 'system', displayName: 'Entra Backup notifier', kind: 'system' };
}

/** A stable description of why a run failed: the failing types and Graph's error codes. */
export function failureCause(run: RunRecord): string {
  const parts = new Set(run.errors.map((e) => `${e.objectType ?? 'run'}:${e.code}`));
  if (parts.size === 0) parts.add(`run:${run.status}`);
  return [...parts].sort().join(',');
}

export function isFailing(run: RunRecord): boolean {
  return run.status === 'failed' || run.status === 'partial';
}

interface LastAlert {
  kind: AlertKind;
  cause?: string;
  at: string;
}

export async function lastAlert(ctx: AppContext, tenantId: string): Promise<LastAlert | undefined> {
  const page = await ctx.store.listAudit(tenantId, { action: NOTIFY_ACTION, limit: 1 });
  const entry = page.items[0];
  if (!entry) return undefined;
  const details = entry.details ?? {};
  return { kind: details.kind as AlertKind, cause: details.cause as string | undefined, at: entry.at };
}

export async function decideAlert(
  ctx: AppContext,
  settings: TenantSettings,
  run: RunRecord,
): Promise<AlertDecision | undefined> {
  const last = await lastAlert(ctx, settings.tenantId);
  const open = last && (last.kind === 'alert' || last.kind === 'reminder');
  if (isFailing(run)) {
    const cause = failureCause(run);
    if (open && last.cause === cause) {
      const since = ctx.now().getTime() - new Date(last.at).getTime();
      return since >= settings.alerts.reminderMinutes * 60_000 ? { kind: 'reminder', cause } : undefined;
    }
    return { kind: 'alert', cause };
  }
  if (run.status !== 'succeeded') return undefined;
  if (open) return { kind: 'recovered', cause: last.cause };
  return settings.alerts.mode === 'every-run' ? { kind: 'result' } : undefined;
}

export async function recordAlert(
  ctx: AppContext,
  run: RunRecord,
  decision: AlertDecision,
  posted: boolean,
): Promise<void> {
  // Plain result cards are not part of the failure history.
  if (decision.kind === 'result') return;
  await ctx.store.appendAudit({
    tenantId: run.tenantId,
    actor: systemActor(run.tenantId),
    action: NOTIFY_ACTION,
    target: run.runId,
    details: { kind: decision.kind, cause: decision.cause, posted },
  });
}
