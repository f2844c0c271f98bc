// A finished (or running) restore as a download: JSON (the whole record without approvals'
// internals) and CSV (one row per step with its outcome).
import type { RestoreRecord } from '../store/store.ts';
import { readPlan, readResult } from './result-summary.ts';

export function restoreResultJson(restore: RestoreRecord): string {
  const plan = readPlan(restore);
  const result = readResult(restore);
  const { createsStarted: _internal, ...publicResult } = result;
  return JSON.stringify(
    {
      restoreId: restore.restoreId,
      tenantId: restore.tenantId,
      writeTenantId: plan.writeTenantId,
      status: restore.status,
      requestedBy: restore.requestedBy,
      requestedAt: restore.requestedAt,
      breakGlass: restore.breakGlass === true,
      request: plan.request,
      missingPermissions: plan.missingPermissions,
      warnings: plan.warnings,
      result: publicResult,
      steps: plan.steps.map((s) => ({
        stepId: s.stepId,
        kind: s.kind,
        target: s.target,
        details: s.details,
        outcome: restore.stepResults[s.stepId] ?? { status: 'pending' },
      })),
    },
    null,
    2,
  );
}

const CSV_COLUMNS = [
  'stepId',
  'kind',
  'objectType',
  'objectId',
  'displayName',
  'member',
  'status',
  'reason',
  'at',
];

function cell(value: unknown): string {
  const text = value === undefined || value === null ? '' : String(value);
  // Quote when needed; neutralise spreadsheet formulas (a displayName starting with '=' etc.).
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function restoreResultCsv(restore: RestoreRecord): string {
  const plan = readPlan(restore);
  const rows = plan.steps.map((s) => {
    const r = restore.stepResults[s.stepId];
    return [
      s.stepId,
      s.kind,
      s.target.objectType,
      s.target.objectId,
      s.target.displayName,
      s.details.memberName ?? s.details.memberId ?? '',
      r?.status ?? 'pending',
      r?.reason ?? s.skipReason ?? '',
      r?.at ?? '',
    ]
      .map(cell)
      .join(',');
  });
  return `${CSV_COLUMNS.join(',')}\r\n${rows.map((r) => `${r}\r\n`).join('')}`;
}
