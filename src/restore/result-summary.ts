// Folds step outcomes into the RestoreResult (counts per kind and status, skipped and failed
// lists) and decides how a finished restore ended.
import type { RestoreRecord, RestoreStatus } from '../store/store.ts';
import { emptyResult, type RestorePlan, type RestoreResult, type StepStatus } from './restore-types.ts';

export class InvalidPlanError extends Error {
  override readonly name = 'InvalidPlanError';
  readonly code = 'RESTORE_PLAN_INVALID';
}

export function readPlan(record: RestoreRecord): RestorePlan {
  const plan = record.plan as unknown as RestorePlan;
  if (
    !plan ||
    !Array.isArray(plan.steps) ||
    typeof plan.planId !== 'string' ||
    typeof plan.writeTenantId !== 'string'
  ) {
    throw new InvalidPlanError(`restore ${record.restoreId} has no valid plan: it cannot be executed`);
  }
  return plan;
}

export function readResult(record: RestoreRecord): RestoreResult {
  const stored = record.result as Partial<RestoreResult> | undefined;
  return { ...emptyResult(), ...(stored ?? {}) };
}

/** Recomputes counts and lists from the plan and the recorded step results. */
export function summarise(
  plan: RestorePlan,
  stepResults: RestoreRecord['stepResults'],
  progress: RestoreResult,
  failures: Record<string, { code: string; message: string }>,
): RestoreResult {
  const result: RestoreResult = {
    ...progress,
    counts: {},
    totals: { done: 0, skipped: 0, failed: 0, pending: 0 },
    skipped: [],
    failed: [],
  };
  for (const step of plan.steps) {
    const r = stepResults[step.stepId];
    if (!r) {
      result.totals.pending++;
      continue;
    }
    const perKind = result.counts[step.kind] ?? { done: 0, skipped: 0, failed: 0 };
    perKind[r.status]++;
    result.counts[step.kind] = perKind;
    result.totals[r.status]++;
    if (r.status === 'skipped') {
      result.skipped.push({
        stepId: step.stepId,
        kind: step.kind,
        target: step.target,
        reason: r.reason ?? 'skipped',
      });
    } else if (r.status === 'failed') {
      const f = failures[step.stepId] ?? splitReason(r.reason);
      result.failed.push({
        stepId: step.stepId,
        kind: step.kind,
        target: step.target,
        code: f.code,
        message: f.message,
      });
    }
  }
  return result;
}

function splitReason(reason: string | undefined): { code: string; message: string } {
  const text = reason ?? 'failed';
  const at = text.indexOf(': ');
  return at > 0
    ? { code: text.slice(0, at), message: text.slice(at + 2) }
    : { code: 'UnknownError', message: text };
}

/** How a restore whose every step ran ended. Planned skips (not restorable) do not make it partial. */
export function finalStatus(plan: RestorePlan, stepResults: RestoreRecord['stepResults']): RestoreStatus {
  let done = 0;
  let failed = 0;
  let unplannedSkips = 0;
  for (const step of plan.steps) {
    const r = stepResults[step.stepId];
    if (!r) continue;
    const status: StepStatus = r.status;
    if (status === 'done') done++;
    else if (status === 'failed') failed++;
    else if (step.kind !== 'skip' && step.kind !== 'reportOnly') unplannedSkips++;
  }
  if (failed > 0 && done === 0) return 'failed';
  if (failed > 0 || unplannedSkips > 0) return 'partial';
  return 'succeeded';
}
