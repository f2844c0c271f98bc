// The two-person rule, shared by the bot and the tab: one admin requests a restore (the plan
// is computed and stored as the preview), other admins approve or reject it, the requester may
// cancel it. Every transition is a compare-and-swap on the stored record, so two racing
// approvals, or an approval racing a cancel, cannot both win; the loser is re-evaluated
// against the new state and gets a clear refusal. Every decision, refused ones included, is
// written to the audit log. An approved restore waits for the worker (src/restore executor).
import { randomUUID } from 'node:crypto';
import type { AppContext } from '../app-context.ts';
import { isTenantAdmin } from '../auth/tenant-admin.ts';
import type { Principal } from '../domain.ts';
import { unverifiedMappedDomains } from '../settings/tenant-domains.ts';
import { ensureTenant } from '../settings/tenant-settings.ts';
import { type RestoreRecord, StoreConflictError } from '../store/store.ts';
import { planRestoreRequest } from './restore-planner-port.ts';

export type Decision = 'approve' | 'reject' | 'cancel';

export type RefusalReason =
  | 'not-admin'
  | 'wrong-tenant'
  | 'not-found'
  | 'self-approval'
  | 'not-requester'
  | 'already-decided-by-you'
  | 'expired'
  | 'not-pending';

export interface DecisionResult {
  record: RestoreRecord;
  outcome: 'applied' | 'refused';
  reason?: RefusalReason;
  /** A sentence for the person who clicked. */
  message: string;
}

/** Raised when a request cannot be made at all (not an admin, bad input, plan failed). */
export class ApprovalError extends Error {
  override readonly name = 'ApprovalError';
  constructor(
    readonly code: 'not-admin' | 'wrong-tenant' | 'not-found' | 'invalid-request' | 'plan-failed',
    message: string,
  ) {
    super(message);
  }
}

const SYSTEM: Omit<Principal, 'tenantId'> = {
  objectId: 'system',
  displayName: 'Entra Backup',
  kind: 'system',
};

async function assertAdmin(ctx: AppContext, actor: Principal, tenantId: string): Promise<boolean> {
  if (actor.tenantId !== tenantId) return false;
  // The CLI operator on the server and the worker are trusted by where they run.
  if (actor.kind === 'operator' || actor.kind === 'system') return true;
  return isTenantAdmin(ctx, tenantId, actor.objectId);
}

/**
 * Refuses (and audits) a restore whose options name a target tenant the actor may not write to:
 * one the product does not manage, or where the actor is no admin; and a domain map onto
 * domains the target has not verified. The bot's preview calls it too: a cross-tenant plan reads
 * the target tenant through Graph, so only its admins may see one.
 */
export async function assertTargetTenantAllowed(
  ctx: AppContext,
  actor: Principal,
  requestOptions: unknown,
  refusedAction: string,
): Promise<void> {
  const tenantId = actor.tenantId;
  const options = requestOptions as { targetTenantId?: unknown; domainMap?: unknown } | undefined;
  const target = typeof options?.targetTenantId === 'string' ? options.targetTenantId : undefined;
  const domainMap = options?.domainMap;
  const mapped = domainMap && typeof domainMap === 'object' && Object.keys(domainMap).length > 0;
  if (!target || target === tenantId) {
    if (mapped)
      throw new ApprovalError(
        'invalid-request',
        'A domain map applies only to a restore into another tenant.',
      );
    return;
  }
  // One answer for "not managed here" and "not an admin there": the answer must not tell an
  // admin which tenants the product manages (the tab answers the same).
  const allowed =
    (await ctx.store.getSettings(target)) !== undefined &&
    (actor.kind !== 'user' || (await isTenantAdmin(ctx, target, actor.objectId)));
  if (!allowed) {
    await audit(ctx, actor, refusedAction, undefined, { reason: 'target-not-allowed', target });
    throw new ApprovalError(
      'not-admin',
      `You can restore only into tenants where you are an admin too; ${target.slice(0, 64)} is not one of them`,
    );
  }
  if (mapped) {
    const refused = await unverifiedMappedDomains(ctx, target, domainMap as Record<string, string>);
    if (refused) {
      await audit(ctx, actor, refusedAction, undefined, { reason: 'domain-map', target });
      throw new ApprovalError('invalid-request', `Domain map: ${refused}`);
    }
  }
}

/**
 * Plans the restore, stores a pending request expiring per the tenant's policy, audits it.
 * `request` is the restore request shape of src/restore (objects, point in time, options).
 */
export async function requestRestore(
  ctx: AppContext,
  actor: Principal,
  request: Record<string, unknown>,
): Promise<RestoreRecord> {
  const tenantId = actor.tenantId;
  if (!(await assertAdmin(ctx, actor, tenantId))) {
    await audit(ctx, actor, 'restore.request-refused', undefined, { reason: 'not-admin' });
    throw new ApprovalError('not-admin', 'Only an admin of this tenant can request a restore.');
  }
  await assertTargetTenantAllowed(ctx, actor, request.options, 'restore.request-refused');
  const settings = await ensureTenant(ctx.store, tenantId, ctx.now());
  // The tenant is the acting admin's, whatever the request body says.
  const fullRequest = { ...request, tenantId };
  let plan: Record<string, unknown>;
  try {
    plan = await planRestoreRequest(ctx, tenantId, fullRequest);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new ApprovalError('plan-failed', `The restore could not be planned: ${message}`);
  }
  const now = ctx.now();
  const record: RestoreRecord = {
    tenantId,
    restoreId: randomUUID(),
    status: 'pending',
    requestedBy: principalForRecord(actor),
    requestedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + settings.approval.expiryHours * 3_600_000).toISOString(),
    requiredApprovals: Math.max(1, settings.approval.approversNeeded),
    decisions: [],
    request: (plan.request as Record<string, unknown> | undefined) ?? fullRequest,
    plan,
    stepResults: {},
    updatedAt: now.toISOString(),
  };
  const stored = await ctx.store.putRestore(record);
  await audit(ctx, actor, 'restore.requested', stored.restoreId, {
    objects: request.objects,
    at: request.at,
    requiredApprovals: stored.requiredApprovals,
    expiresAt: stored.expiresAt,
  });
  ctx.events.emit('restore.updated', stored);
  return stored;
}

/** Approve, reject or cancel a pending request; replays and stale clicks change nothing. */
export async function decideRestore(
  ctx: AppContext,
  actor: Principal,
  tenantId: string,
  restoreId: string,
  decision: Decision,
  comment?: string,
): Promise<DecisionResult> {
  if (actor.tenantId !== tenantId) {
    // Card or page data naming another tenant: refuse without reading that tenant's data.
    await audit(ctx, actor, 'restore.decision-refused', restoreId, {
      decision,
      reason: 'wrong-tenant',
      tenantId,
    });
    throw new ApprovalError('wrong-tenant', 'This request belongs to another tenant.');
  }
  const isAdmin = await assertAdmin(ctx, actor, tenantId);
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await ctx.store.getRestore(tenantId, restoreId);
    if (!current) throw new ApprovalError('not-found', 'This restore request no longer exists.');
    const verdict = evaluate(ctx, current, actor, decision, isAdmin);
    if (verdict.kind === 'refuse') {
      await audit(ctx, actor, 'restore.decision-refused', restoreId, { decision, reason: verdict.reason });
      return { record: current, outcome: 'refused', reason: verdict.reason, message: verdict.message };
    }
    try {
      const saved = await ctx.store.putRestore(verdict.next, current.etag);
      if (verdict.auditAction === 'restore.expired') {
        await audit(ctx, { ...SYSTEM, tenantId }, 'restore.expired', restoreId, {});
        ctx.events.emit('restore.updated', saved);
        await audit(ctx, actor, 'restore.decision-refused', restoreId, { decision, reason: 'expired' });
        return {
          record: saved,
          outcome: 'refused',
          reason: 'expired',
          message: refusalText('expired', saved),
        };
      }
      await audit(ctx, actor, verdict.auditAction, restoreId, {
        decision,
        approvals: countApprovals(saved),
        requiredApprovals: saved.requiredApprovals,
        status: saved.status,
        ...(comment ? { comment: comment.slice(0, 500) } : {}),
      });
      ctx.events.emit('restore.updated', saved);
      return { record: saved, outcome: 'applied', message: verdict.message };
    } catch (error) {
      if (error instanceof StoreConflictError) continue; // someone else changed it: re-evaluate
      throw error;
    }
  }
  const latest = await ctx.store.getRestore(tenantId, restoreId);
  if (!latest) throw new ApprovalError('not-found', 'This restore request no longer exists.');
  return {
    record: latest,
    outcome: 'refused',
    reason: 'not-pending',
    message: 'The request changed meanwhile; try again.',
  };
}

type Verdict =
  | { kind: 'refuse'; reason: RefusalReason; message: string }
  | { kind: 'apply'; next: RestoreRecord; auditAction: string; message: string };

function evaluate(
  ctx: AppContext,
  current: RestoreRecord,
  actor: Principal,
  decision: Decision,
  isAdmin: boolean,
): Verdict {
  const nowIso = ctx.now().toISOString();
  const isRequester = current.requestedBy.objectId.toLowerCase() === actor.objectId.toLowerCase();
  const mine = current.decisions.find(
    (d) => d.by.objectId.toLowerCase() === actor.objectId.toLowerCase() && d.decision === decision,
  );
  if (!isAdmin && !(decision === 'cancel' && isRequester && actor.kind === 'user')) {
    return { kind: 'refuse', reason: 'not-admin', message: refusalText('not-admin', current) };
  }
  if (current.status !== 'pending') {
    if (mine)
      return {
        kind: 'refuse',
        reason: 'already-decided-by-you',
        message: refusalText('already-decided-by-you', current, decision),
      };
    return {
      kind: 'refuse',
      reason: current.status === 'expired' ? 'expired' : 'not-pending',
      message: refusalText(current.status === 'expired' ? 'expired' : 'not-pending', current),
    };
  }
  if (current.expiresAt <= nowIso) {
    return {
      kind: 'apply',
      next: { ...current, status: 'expired', updatedAt: nowIso },
      auditAction: 'restore.expired',
      message: refusalText('expired', current),
    };
  }
  if (mine)
    return {
      kind: 'refuse',
      reason: 'already-decided-by-you',
      message: refusalText('already-decided-by-you', current, decision),
    };
  const entry = { by: principalForRecord(actor), decision, at: nowIso };
  if (decision === 'cancel') {
    if (!isRequester)
      return { kind: 'refuse', reason: 'not-requester', message: refusalText('not-requester', current) };
    return {
      kind: 'apply',
      next: { ...current, status: 'cancelled', decisions: [...current.decisions, entry], updatedAt: nowIso },
      auditAction: 'restore.cancelled',
      message: 'You cancelled this restore request.',
    };
  }
  if (isRequester)
    return {
      kind: 'refuse',
      reason: 'self-approval',
      message: refusalText('self-approval', current, decision),
    };
  if (decision === 'reject') {
    return {
      kind: 'apply',
      next: { ...current, status: 'rejected', decisions: [...current.decisions, entry], updatedAt: nowIso },
      auditAction: 'restore.rejected',
      message: 'You rejected this restore request.',
    };
  }
  const decisions = [...current.decisions, entry];
  const approvals = decisions.filter((d) => d.decision === 'approve').length;
  const done = approvals >= current.requiredApprovals;
  return {
    kind: 'apply',
    next: { ...current, status: done ? 'approved' : 'pending', decisions, updatedAt: nowIso },
    auditAction: 'restore.approved',
    message: done
      ? 'You approved this restore. It is queued and will run shortly.'
      : `You approved this restore (${approvals} of ${current.requiredApprovals} approvals).`,
  };
}

export function countApprovals(record: RestoreRecord): number {
  return record.decisions.filter((d) => d.decision === 'approve').length;
}

function refusalText(reason: RefusalReason, record: RestoreRecord, decision?: Decision): string {
  switch (reason) {
    case 'not-admin':
      return 'Only admins of this tenant can decide on restore requests.';
    case 'wrong-tenant':
      return 'This request belongs to another tenant.';
    case 'not-found':
      return 'This restore request no longer exists.';
    case 'self-approval':
      return decision === 'reject'
        ? 'You made this request: use Cancel instead of Reject.'
        : 'You cannot approve your own request: another admin has to approve it.';
    case 'not-requester':
      return 'Only the admin who made the request can cancel it; use Reject instead.';
    case 'already-decided-by-you':
      return `You already chose "${decision}" on this request; nothing was changed.`;
    case 'expired':
      return 'This request has expired and can no longer be approved. Request the restore again if it is still needed.';
    case 'not-pending':
      return `This request is already ${record.status}; nothing was changed.`;
  }
}

/** Marks every pending request past its expiry as expired. Returns how many were expired. */
export async function expireRestores(ctx: AppContext): Promise<number> {
  let count = 0;
  const nowIso = ctx.now().toISOString();
  for (const tenant of await ctx.store.listTenants()) {
    const pending = await ctx.store.listRestores(tenant.tenantId, { status: ['pending'] });
    for (const record of pending) {
      if (record.expiresAt > nowIso) continue;
      try {
        const saved = await ctx.store.putRestore(
          { ...record, status: 'expired', updatedAt: nowIso },
          record.etag,
        );
        await audit(ctx, { ...SYSTEM, tenantId: tenant.tenantId }, 'restore.expired', record.restoreId, {});
        ctx.events.emit('restore.updated', saved);
        count++;
      } catch (error) {
        if (!(error instanceof StoreConflictError)) throw error; // decided meanwhile: fine
      }
    }
  }
  return count;
}

function principalForRecord(actor: Principal): Principal {
  return {
    tenantId: actor.tenantId,
    objectId: actor.objectId,
    kind: actor.kind,
    ...(actor.displayName ? { displayName: actor.displayName.slice(0, 200) } : {}),
  };
}

async function audit(
  ctx: AppContext,
  actor: Principal,
  action: string,
  target: string | undefined,
  details: Record<string, unknown>,
): Promise<void> {
  await ctx.store.appendAudit({
    tenantId: actor.tenantId,
    actor: principalForRecord(actor),
    action,
    target,
    details,
  });
}
