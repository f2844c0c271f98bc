// Who is an admin of a tenant, for the bot and the tab alike: a member (direct or nested) of
// the tenant's admin group, or a holder of one of its configured directory roles (until the
// tenant sets them: Global Administrator and Privileged Role Administrator). Resolved through
// Graph with the backup app's read permissions, cached briefly so a burst of card clicks does
// not cost a Graph call each. Identity always comes from a validated token or activity.
import type { AppContext } from '../app-context.ts';
import type { GraphClient } from '../graph/gateway.ts';
import { GraphError } from '../graph/gateway.ts';
import { defaultSettings } from '../settings/tenant-settings.ts';

const CACHE_MS = 60_000;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface CacheEntry {
  value: boolean;
  /** When Graph was asked (the answer's age counts from then). */
  at: number;
  refreshing?: boolean;
}

// Keyed per AppContext so two products in one process (tests) never share answers.
const caches = new WeakMap<AppContext, Map<string, CacheEntry>>();

/** Forgets cached answers (after a settings change of admins, or in tests). */
export function clearTenantAdminCache(ctx: AppContext, tenantId?: string): void {
  const cache = caches.get(ctx);
  if (!cache) return;
  // A new map, so a check still in flight (begun before the change) writes into the old one.
  caches.set(
    ctx,
    tenantId ? new Map([...cache].filter(([key]) => !key.startsWith(`${tenantId}|`))) : new Map(),
  );
}

export async function isTenantAdmin(
  ctx: AppContext,
  tenantId: string,
  userObjectId: string,
): Promise<boolean> {
  if (!GUID.test(tenantId) && !/^[\w.-]{1,64}$/.test(tenantId)) return false;
  if (!GUID.test(userObjectId)) return false;
  let cache = caches.get(ctx);
  if (!cache) {
    cache = new Map();
    caches.set(ctx, cache);
  }
  const key = `${tenantId}|${userObjectId.toLowerCase()}`;
  const hit = cache.get(key);
  const now = ctx.now().getTime();
  if (hit && now - hit.at < CACHE_MS) {
    // Past half its life the answer is refreshed in the background, so an admin who keeps
    // working never waits for Graph; an answer older than CACHE_MS is never used.
    if (now - hit.at >= CACHE_MS / 2 && !hit.refreshing) {
      hit.refreshing = true;
      check(ctx, cache, key, tenantId, userObjectId).catch(() => {
        hit.refreshing = false;
      });
    }
    return hit.value;
  }
  return check(ctx, cache, key, tenantId, userObjectId);
}

async function check(
  ctx: AppContext,
  cache: Map<string, CacheEntry>,
  key: string,
  tenantId: string,
  userObjectId: string,
): Promise<boolean> {
  const at = ctx.now().getTime();
  let value: boolean;
  try {
    value = await resolveAdmin(ctx, tenantId, userObjectId);
  } catch (error) {
    // Fail closed when Graph refuses the backup app (consent revoked, tenant unknown): nobody
    // can be shown to be an admin. Throttling and outages are errors, not "no".
    if (!(error instanceof GraphError) || error.status === 429 || error.status >= 500) throw error;
    ctx.log.warn(
      { tenantId, status: error.status, code: error.code },
      'admin check: Graph refused the backup app',
    );
    cache.delete(key);
    return false;
  }
  cache.set(key, { value, at });
  return value;
}

async function resolveAdmin(ctx: AppContext, tenantId: string, userObjectId: string): Promise<boolean> {
  // Never creates settings: an admin check on an unknown tenant must leave no trace.
  const settings = (await ctx.store.getSettings(tenantId)) ?? defaultSettings(tenantId, ctx.now());
  const graph = ctx.graph.forBackup(tenantId);
  const roles = new Set(settings.admins.roleTemplateIds.map((r) => r.toLowerCase()));
  if (roles.size > 0 && (await holdsRole(graph, userObjectId, roles))) return true;
  if (settings.admins.groupId && (await inGroup(graph, userObjectId, settings.admins.groupId))) return true;
  return false;
}

async function holdsRole(
  graph: GraphClient,
  userObjectId: string,
  roleTemplateIds: Set<string>,
): Promise<boolean> {
  // Built-in roles: roleDefinitionId equals the role template id.
  const filter = encodeURIComponent(`principalId eq '${userObjectId}'`);
  try {
    for await (const page of graph.pages<{ roleDefinitionId?: string }>(
      `/roleManagement/directory/roleAssignments?$filter=${filter}`,
    )) {
      if (page.value.some((a) => roleTemplateIds.has(String(a.roleDefinitionId ?? '').toLowerCase())))
        return true;
    }
    return false;
  } catch (error) {
    if (!(error instanceof GraphError) || error.status >= 500 || error.status === 429) throw error;
  }
  // Fallback (older permission sets): the user's activated directory roles.
  return memberOfAny(graph, userObjectId, (o) =>
    roleTemplateIds.has(String(o.roleTemplateId ?? '').toLowerCase()),
  );
}

async function inGroup(graph: GraphClient, userObjectId: string, groupId: string): Promise<boolean> {
  const target = groupId.toLowerCase();
  try {
    return await memberOfAny(
      graph,
      userObjectId,
      (o) => String(o.id).toLowerCase() === target,
      'transitiveMemberOf',
    );
  } catch (error) {
    if (!(error instanceof GraphError) || error.status >= 500 || error.status === 429) throw error;
  }
  // Where transitiveMemberOf is not available: walk the group's members (nested groups too).
  return groupContains(graph, groupId, userObjectId.toLowerCase(), new Set());
}

/** Groups visited at most per check (nested groups can form large graphs or cycles). */
const MAX_GROUPS = 50;

async function groupContains(
  graph: GraphClient,
  groupId: string,
  userId: string,
  seen: Set<string>,
): Promise<boolean> {
  if (seen.has(groupId) || seen.size >= MAX_GROUPS) return false;
  seen.add(groupId);
  const nested: string[] = [];
  for await (const page of graph.pages<Record<string, unknown>>(
    `/groups/${encodeURIComponent(groupId)}/members?$select=id`,
  )) {
    for (const member of page.value) {
      const id = String(member.id).toLowerCase();
      if (id === userId) return true;
      if (member['@odata.type'] === '#microsoft.graph.group') nested.push(id);
    }
  }
  for (const id of nested) if (await groupContains(graph, id, userId, seen)) return true;
  return false;
}

async function memberOfAny(
  graph: GraphClient,
  userObjectId: string,
  predicate: (o: Record<string, unknown>) => boolean,
  relation: 'memberOf' | 'transitiveMemberOf' = 'memberOf',
): Promise<boolean> {
  try {
    for await (const page of graph.pages<Record<string, unknown>>(`/users/${userObjectId}/${relation}`)) {
      if (page.value.some(predicate)) return true;
    }
  } catch (error) {
    if (error instanceof GraphError && error.status === 404) return false;
    throw error;
  }
  return false;
}
