// Undo of a finished restore, for the bot (and any caller that wants the same rules): the undo
// is an ordinary restore request (src/restore/undo.ts builds it from the restore's pre-restore
// versions), so it goes through requestRestore: the admin check, the tenant's approval policy
// (the two-person rule), expiry and the audit log, exactly like the tab's undo. The restore to
// undo is read in the acting admin's tenant only; a second click while an undo of the same
// restore is still open is refused instead of queueing the reversal twice.
import type { AppContext } from '../app-context.ts';
import { isTenantAdmin } from '../auth/tenant-admin.ts';
import type { Principal } from '../domain.ts';
import { buildUndoRequest, UndoNotPossibleError } from '../restore/undo.ts';
import type { RestoreRecord, RestoreStatus } from '../store/store.ts';
import { ApprovalError, requestRestore } from './approval-service.ts';

/** An undo in one of these states is still going to happen (or is happening). */
const OPEN: RestoreStatus[] = ['pending', 'approved', 'running'];

/** Undo requests being created in this process, so a double click makes one request. */
const creating = new Map<string, Promise<RestoreRecord>>();

export async function requestUndo(
  ctx: AppContext,
  actor: Principal,
  restoreId: string,
): Promise<RestoreRecord> {
  const key = `${actor.tenantId}|${restoreId}`;
  const running = creating.get(key);
  if (running) {
    // The same undo is being requested right now (double click): answer as for a repeat.
    const existing = await running.catch(() => undefined);
    if (existing) throw alreadyOpen(existing);
  }
  const work = create(ctx, actor, restoreId);
  creating.set(key, work);
  try {
    return await work;
  } finally {
    if (creating.get(key) === work) creating.delete(key);
  }
}

async function create(ctx: AppContext, actor: Principal, restoreId: string): Promise<RestoreRecord> {
  // Admins only, before anything about the restore is read (requestRestore checks again).
  if (actor.kind === 'user' && !(await isTenantAdmin(ctx, actor.tenantId, actor.objectId))) {
    await refuse(ctx, actor, restoreId, 'not-admin');
    throw new ApprovalError('not-admin', 'Only an admin of this tenant can undo a restore.');
  }
  const original = await ctx.store.getRestore(actor.tenantId, restoreId);
  if (!original) {
    await refuse(ctx, actor, restoreId, 'not-found');
    // Same words whether the id is unknown or another tenant's: nothing leaks across tenants.
    throw new ApprovalError(
      'not-found',
      'There is no restore with that id in this tenant; nothing was requested.',
    );
  }
  let request: ReturnType<typeof buildUndoRequest>;
  try {
    request = buildUndoRequest(original, ctx.now());
  } catch (error) {
    if (!(error instanceof UndoNotPossibleError)) throw error;
    await refuse(ctx, actor, restoreId, 'not-undoable');
    throw new ApprovalError('invalid-request', `This restore cannot be undone: ${error.message}.`);
  }
  const open = (await ctx.store.listRestores(actor.tenantId, { status: OPEN, limit: 200 })).find(
    (r) => (r.request as { undoOf?: unknown }).undoOf === restoreId,
  );
  if (open) {
    await refuse(ctx, actor, restoreId, 'already-requested');
    throw alreadyOpen(open);
  }
  return requestRestore(ctx, actor, request as unknown as Record<string, unknown>);
}

function alreadyOpen(undo: RestoreRecord): ApprovalError {
  return new ApprovalError(
    'invalid-request',
    `An undo of this restore is already ${undo.status} (request ${undo.restoreId}); nothing new was requested.`,
  );
}

async function refuse(ctx: AppContext, actor: Principal, restoreId: string, reason: string): Promise<void> {
  await ctx.store.appendAudit({
    tenantId: actor.tenantId,
    actor,
    action: 'restore.undo-refused',
    target: restoreId,
    details: { reason },
  });
}
