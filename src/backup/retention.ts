// Retention per tenant: versions older than the tenant's retention are pruned; the store always
// keeps each object's newest version (and the one in force at the cut-off).
import type { AppContext } from '../app-context.ts';
import type { TenantSettings } from '../store/store.ts';

export async function applyRetention(ctx: AppContext, settings: TenantSettings): Promise<number> {
  const before = new Date(ctx.now().getTime() - settings.retentionDays * 86_400_000).toISOString();
  const pruned = await ctx.store.pruneVersions(settings.tenantId, before);
  if (pruned > 0) ctx.log.info({ tenantId: settings.tenantId, pruned, before }, 'retention pruned versions');
  return pruned;
}
