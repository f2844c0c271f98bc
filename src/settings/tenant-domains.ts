// A tenant's name and verified domains, read from Graph (/organization) with the backup app and
// cached a few minutes: the restore targets listed in the tab, and the check of a cross-tenant
// restore's domain map (bot and tab alike) that UPNs and mail are rewritten onto domains the
// target tenant has verified.
import type { AppContext } from '../app-context.ts';
import type { TenantDomains } from '../tab-api/restore-target-types.ts';

const DOMAINS_TTL_MS = 10 * 60_000;

interface Organization {
  displayName?: string;
  verifiedDomains?: { name?: string; isDefault?: boolean }[];
}

const domainCaches = new WeakMap<AppContext, Map<string, { value: TenantDomains; at: number }>>();

/** The tenant's name and verified domains from Graph (/organization), cached a few minutes. */
export async function tenantDomains(
  ctx: AppContext,
  tenantId: string,
  fallbackName: string,
): Promise<TenantDomains> {
  let cache = domainCaches.get(ctx);
  if (!cache) {
    cache = new Map();
    domainCaches.set(ctx, cache);
  }
  const now = Date.now();
  const hit = cache.get(tenantId);
  if (hit && now - hit.at < DOMAINS_TTL_MS) return hit.value;
  let value: TenantDomains;
  try {
    const page = await ctx.graph
      .forBackup(tenantId)
      .get<{ value?: Organization[] }>('/organization?$select=displayName,verifiedDomains');
    const org = page.value?.[0] ?? {};
    const domains = (org.verifiedDomains ?? [])
      .filter((d) => typeof d.name === 'string' && d.name)
      .sort((a, b) => Number(Boolean(b.isDefault)) - Number(Boolean(a.isDefault)))
      .map((d) => String(d.name).toLowerCase());
    value = { tenantId, displayName: org.displayName || fallbackName, domains };
  } catch (error) {
    // Consent revoked or Graph down: the tenant is still listed, its domains typed by hand.
    ctx.log.warn({ tenantId, err: error }, 'restore targets: could not read the tenant’s domains');
    return { tenantId, displayName: fallbackName, domains: [] };
  }
  cache.set(tenantId, { value, at: now });
  return value;
}

/**
 * Why a domain map cannot be used for a restore into `target` (a mapped domain the target has
 * not verified), or undefined when it can. Unknown domains (Graph could not be read) pass: Graph
 * itself refuses a wrong domain when the restore runs.
 */
export async function unverifiedMappedDomains(
  ctx: AppContext,
  target: string,
  map: Record<string, string>,
): Promise<string | undefined> {
  if (!Object.keys(map).length) return undefined;
  const settings = await ctx.store.getSettings(target);
  const { domains } = await tenantDomains(ctx, target, settings?.displayName || target);
  if (!domains.length) return undefined;
  const unknown = Object.entries(map).filter(([, to]) => !domains.includes(to.toLowerCase()));
  if (!unknown.length) return undefined;
  return `${unknown.map(([from, to]) => `${from} → ${to}`).join(', ')}: not a verified domain of the target tenant (${domains.join(', ')})`;
}
