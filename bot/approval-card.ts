// The approval card of a restore request, in the view of one viewer: the requester sees
// "waiting" and Cancel, other admins Approve / Reject with the preview, everyone else a
// read-only status. The posted message carries the 'base' view (buttons for admins; the server
// decides who may use them) plus `refresh.userIds` so listed viewers get their own view.
import { countApprovals } from '../src/approvals/approval-service.ts';
import type { RestorePlan, RestoreResult } from '../src/restore/restore-types.ts';
import { stepLabel } from '../src/restore/step-labels.ts';
import type { RestoreRecord } from '../src/store/store.ts';
import { formatTime } from './bot-env.ts';
import type { OutboundMessage } from './bot-types.ts';
import { attachment, renderCardWithin } from './cards/render-card.ts';
import { summarizePlan } from './commands/restore-command.ts';

export type ApprovalView = 'base' | 'requester' | 'approver' | 'readonly';

/** Teams refreshes a card automatically for at most 60 listed users. */
export const MAX_REFRESH_USERS = 60;

const STATUS_TEXT: Record<RestoreRecord['status'], [string, string]> = {
  pending: ['Waiting for approval', 'Warning'],
  approved: ['Approved — queued, starts shortly', 'Good'],
  rejected: ['Rejected', 'Attention'],
  cancelled: ['Cancelled by the requester', 'Default'],
  expired: ['Expired without approval', 'Attention'],
  running: ['Running', 'Accent'],
  succeeded: ['Done', 'Good'],
  partial: ['Done with skipped or failed steps', 'Warning'],
  failed: ['Failed', 'Attention'],
};

export function approvalCard(
  record: RestoreRecord,
  view: ApprovalView,
  options: { dashboardUrl: string; notice?: string; refreshUserIds?: string[] },
): Record<string, unknown> {
  const plan = record.plan as Partial<RestorePlan>;
  const pending = record.status === 'pending';
  const [statusText, statusColor] = STATUS_TEXT[record.status];
  const diffs = Object.values(plan.diff ?? {});
  const what =
    diffs.length === 1
      ? `${diffs[0].objectType} ${diffs[0].displayName}`
      : `${(record.request.objects as unknown[] | undefined)?.length ?? diffs.length} objects`;
  const undoOf = typeof record.request.undoOf === 'string' ? record.request.undoOf : undefined;
  const headline = undoOf ? `undo of restore ${undoOf} (${what})` : what;
  const finished = record.status === 'succeeded' || record.status === 'partial';
  const changes = diffs.flatMap((d) => {
    const state =
      d.liveState === 'softDeleted' ? 'in the recycle bin' : d.liveState === 'absent' ? 'gone' : 'live';
    const rows = [
      { text: `${d.displayName} (${d.objectType}, now ${state}) → version of ${formatTime(d.capturedAt)}` },
    ];
    for (const c of d.changes.filter((x) => x.writable).slice(0, 8)) {
      rows.push({ text: `${c.property}: ${short(c.before)} → ${short(c.after)}` });
    }
    return rows;
  });
  const summary = plan.steps ? summarizePlan(plan as RestorePlan) : { steps: [], more: '', warning: '' };
  const result = record.result as Partial<RestoreResult> | undefined;
  const progress = progressOf(record, result);
  const options2 = (record.request.options ?? {}) as Record<string, unknown>;
  const decisions = record.decisions.map((d) => ({
    text: `${d.by.displayName ?? d.by.objectId} ${pastTense(d.decision)} at ${formatTime(d.at)}`,
  }));
  const noticeText = [options.notice, pending ? summary.warning : ''].filter(Boolean).join(' ');
  return renderCardWithin(
    'approval',
    {
      tenantId: record.tenantId,
      restoreId: record.restoreId,
      refreshUserIds: (options.refreshUserIds ?? []).slice(0, MAX_REFRESH_USERS),
      headline,
      statusText: view === 'requester' && pending ? 'Waiting for another admin to approve' : statusText,
      statusColor,
      requester: record.requestedBy.displayName ?? record.requestedBy.objectId,
      requestedAt: formatTime(record.requestedAt),
      at:
        formatTime(String(record.request.at ?? '')) === '—'
          ? String(record.request.at ?? '—')
          : formatTime(String(record.request.at)),
      options: describeOptions(options2),
      approvals: `${countApprovals(record)} of ${record.requiredApprovals}`,
      expiresAt: formatTime(record.expiresAt),
      notice: noticeText,
      showPreview: view !== 'readonly' && (pending || record.status === 'approved'),
      changes,
      steps: summary.steps.length
        ? summary.steps
        : [{ text: 'Nothing to write: the live object already matches this version.' }],
      stepsMore: summary.more,
      showProgress: progress.show,
      progressText: progress.text,
      skipped: progress.skipped,
      decisions,
      canDecide: pending && (view === 'base' || view === 'approver'),
      canCancel: pending && view === 'requester',
      // As in the tab: a finished restore (not itself an undo) can be undone by an admin; the
      // server decides on the click, through the approval flow.
      canUndo: finished && !undoOf && view !== 'readonly',
      dashboardUrl: options.dashboardUrl,
      footer: '',
    },
    ['changes', 'steps', 'skipped', 'decisions'],
  );
}

export function approvalMessage(card: Record<string, unknown>, record: RestoreRecord): OutboundMessage {
  return { attachments: [attachment(card)], summary: `Restore request ${record.status}` };
}

function progressOf(record: RestoreRecord, result: Partial<RestoreResult> | undefined) {
  const running = record.status === 'running';
  const finished = ['succeeded', 'partial', 'failed'].includes(record.status);
  if (!running && !finished) return { show: false, text: '', skipped: [] as { text: string }[] };
  const planSteps = Array.isArray((record.plan as Partial<RestorePlan>).steps)
    ? (record.plan as unknown as RestorePlan).steps
    : [];
  const total = planSteps.length;
  const counts = { done: 0, skipped: 0, failed: 0 };
  for (const r of Object.values(record.stepResults)) counts[r.status]++;
  const totals = result?.totals ?? {
    ...counts,
    pending: Math.max(0, total - counts.done - counts.skipped - counts.failed),
  };
  const text = running
    ? `Progress: ${counts.done + counts.skipped + counts.failed} of ${total} steps (${counts.done} done, ${counts.skipped} skipped, ${counts.failed} failed).`
    : `Result: ${totals.done} done, ${totals.skipped} skipped, ${totals.failed} failed.`;
  const skipped = [
    ...(result?.skipped ?? []).map((s) => ({
      text: `Skipped: ${stepLabel(s.kind)} — ${s.target.displayName}: ${s.reason}`,
    })),
    ...(result?.failed ?? []).map((f) => ({
      text: `Failed: ${stepLabel(f.kind)} — ${f.target.displayName}: ${f.code} ${f.message}`,
    })),
  ];
  if (!result) {
    // While it runs: the steps skipped or failed so far, named as the plan names them.
    const steps = new Map(planSteps.map((s) => [s.stepId, s]));
    for (const [stepId, r] of Object.entries(record.stepResults)) {
      if (r.status === 'done') continue;
      const step = steps.get(stepId);
      const what = step ? `${stepLabel(step.kind)} — ${step.target.displayName}` : `step ${stepId}`;
      skipped.push({ text: `${r.status === 'skipped' ? 'Skipped' : 'Failed'}: ${what}: ${r.reason ?? ''}` });
    }
  }
  return { show: true, text, skipped: skipped.slice(0, 20) };
}

function describeOptions(o: Record<string, unknown>): string {
  const parts: string[] = [];
  if (o.withObject !== false) parts.push('object');
  if (o.withMemberships !== false) parts.push('memberships');
  if (o.withRoleAssignments !== false) parts.push('role assignments');
  if (o.withOwners !== false) parts.push('owners');
  if (o.blockSignIn === true) parts.push('block sign-in');
  const asNew = o.asNew as { displayName?: string } | undefined;
  if (asNew?.displayName) parts.push(`as new "${asNew.displayName}"`);
  if (typeof o.targetTenantId === 'string') {
    const map = Object.entries((o.domainMap as Record<string, string> | undefined) ?? {});
    const domains = map.map(([from, to]) => `${from} → ${to}`).join(', ');
    parts.push(`into tenant ${o.targetTenantId}${domains ? ` (${domains})` : ''}`);
  }
  return parts.join(', ') || '—';
}

function pastTense(d: 'approve' | 'reject' | 'cancel'): string {
  return d === 'approve' ? 'approved' : d === 'reject' ? 'rejected' : 'cancelled';
}

function short(v: unknown): string {
  if (v === null || v === undefined) return '(empty)';
  const t = typeof v === 'string' ? v : JSON.stringify(v);
  return t.length > 60 ? `${t.slice(0, 59)}…` : t;
}
