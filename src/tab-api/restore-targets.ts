// Restores into another tenant (MSP admins): which tenants the signed-in admin may write to, and
// the server-side check of a request's target. The list and the check are decided here from the
// caller's token and the product's own admin check, never from what the page sends.
import type { RestoreOptions } from '../restore/restore-types.ts';
import { tenantDomains, unverifiedMappedDomains } from '../settings/tenant-domains.ts';
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
 * Refuses a restore request whose target tenant the caller may not write to, with one message
 * for "not managed here" and "not an admin there" (the answer must not reveal which tenants the
 * product manages). Also checks the domain map: only with a target, onto the target's domains.
 */
export async function assertRestoreTarget(
  deps: ApiDeps,
  caller: Caller,
  options: Pick<RestoreOptions, 'targetTenantId' | 'domainMap'> | undefined,
): Promise<void> {
  const target = options?.targetTenantId;
  const own = caller.principal.tenantId;
  const map = options?.domainMap ?? {};
  if (!target || target === own) {
    if (Object.keys(map).length)
      throw new HttpError(
        400,
        'invalid_request',
        'options.domainMap: a domain map applies only to a restore into another tenant',
      );
    return;
  }
  if (!caller.isAdmin)
    throw new HttpError(403, 'not_admin', 'Only admins of this tenant can restore into another tenant');
  const allowed =
    (await deps.knownTenant(target)) && (await adminOf(deps, target, caller.principal.objectId));
  if (!allowed) {
    throw new HttpError(
      403,
      'target_not_allowed',
      `You can restore only into tenants where you are an admin too; ${target.slice(0, 64)} is not one of them`,
    );
  }
  const refused = await unverifiedMappedDomains(deps.ctx, target, map);
  if (refused) throw new HttpError(400, 'invalid_request', `options.domainMap: ${refused}`);
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
