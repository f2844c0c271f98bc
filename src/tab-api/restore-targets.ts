// Restores into another tenant (MSP admins): which tenants the signed-in admin may write to, and
// the server-side check of a request's target. The list and the check are decided here from the
// caller's token and the product's own admin check, never from what the page sends.

import { ApprovalError, assertTargetTenantAllowed } from '../approvals/approval-service.ts';
import type { RestoreOptions } from '../restore/restore-types.ts';
import { tenantDomains } from '../settings/tenant-domains.ts';
import { type ApiDeps, type Caller, HttpError } from './http-helpers.ts';
import type { RestoreTargets, TenantDomains } from './restore-target-types.ts';

export type { RestoreTargets, TenantDomains };

/** Managed tenants looked at per listing (each needs an admin check). */
const MAX_TENANTS = 200;
const CHECK_CONCURRENCY = 8;

/** The tenants the caller may restore into (besides their own), with their domains. */
export async function listRestoreTargets(deps: ApiDeps, caller: Caller): Promise<RestoreTargets> {
  const { ctx } = deps;
  const own = caller.principal.tenantId;
  const tenants = (await ctx.store.listTenants()).slice(0, MAX_TENANTS);
  const ownSettings = tenants.find((t) => t.tenantId === own);
  const source = await tenantDomains(ctx, own, ownSettings?.displayName || own);
  if (!caller.isAdmin) return { source, targets: [] };
  const others = tenants.filter((t) => t.tenantId !== own);
  const targets: TenantDomains[] = [];
  // A few tenants at a time: each admin check may cost Graph calls in that tenant.
  for (let i = 0; i < others.length; i += CHECK_CONCURRENCY) {
    const batch = others.slice(i, i + CHECK_CONCURRENCY);
    const found = await Promise.all(
      batch.map(async (t) =>
        (await adminOf(deps, t.tenantId, caller.principal.objectId))
          ? tenantDomains(ctx, t.tenantId, t.displayName || t.tenantId)
          : undefined,
      ),
    );
    for (const t of found) if (t) targets.push(t);
  }
  targets.sort((a, b) => a.displayName.localeCompare(b.displayName));
  return { source, targets };
}

/**
 * Refuses a restore request whose target tenant the caller may not write to: the approval
 * service's check, shared with the bot (one answer for "not managed here" and "not an admin
 * there"; the domain map only with a target, onto the target's verified domains), answered in
 * the tab API's codes. A non-admin of the source tenant is refused before the target is read.
 */
export async function assertRestoreTarget(
  deps: ApiDeps,
  caller: Caller,
  options: Pick<RestoreOptions, 'targetTenantId' | 'domainMap'> | undefined,
  refusedAction: 'restore.preview-refused' | 'restore.request-refused',
): Promise<void> {
  const target = options?.targetTenantId;
  if (target && target !== caller.principal.tenantId && !caller.isAdmin)
    throw new HttpError(403, 'not_admin', 'Only admins of this tenant can restore into another tenant');
  try {
    await assertTargetTenantAllowed(deps.ctx, caller.principal, options, refusedAction);
  } catch (error) {
    if (!(error instanceof ApprovalError)) throw error;
    if (error.code === 'not-admin') throw new HttpError(403, 'target_not_allowed', error.message);
    throw new HttpError(400, 'invalid_request', error.message);
  }
}

async function adminOf(deps: ApiDeps, tenantId: string, objectId: string): Promise<boolean> {
  try {
    return await deps.isAdmin(tenantId, objectId);
  } catch (error) {
    // Graph throttling or an outage in that tenant: not provably an admin there.
    deps.ctx.log.warn({ tenantId, err: error }, 'restore targets: admin check failed');
    return false;
  }
}
