// Who is an admin of a tenant, for the bot and the tab alike: a member (direct or nested) of
// the tenant's admin group, or a holder of one of its configured directory roles (until the
// tenant sets them: Global Administrator and Privileged Role Administrator). Resolved through
// Graph with the backup app's read permissions, cached briefly so a burst of card clicks does
// not cost a Graph call each. Identity always comes from a validated token or activity.
import type { AppContext } from '../app-context.ts';
import type { GraphClient } from '../graph/gateway.ts';
import { GraphError } from '../graph/gateway.ts';
import { IDENTITY_UNREACHABLE } from '../graph/token-provider.ts';
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
  // A check in flight read the old settings: a caller after the change must not join it.
  const running = inFlightChecks.get(ctx);
  if (running)
    for (const key of [...running.keys()])
      if (!tenantId || key.startsWith(`${tenantId}|`)) running.delete(key);
  const cache = caches.get(ctx);
  if (!cache) return;
  // A new map, so a check still in flight (begun before the change) writes into the old one.
  caches.set(
    ctx,
    tenantId ? new Map([...cache].filter(([key]) => !key.startsWith(`${tenantId}|`))) : new Map(),
  );
}

/** How long an interactive caller waits for Graph before being told to try again. */
export const ADMIN_CHECK_WAIT_MS = 3000;

/**
 * The admin check could not be answered: Graph or the identity endpoint is failing or slow.
 * Not a "no": the caller is told to try again; the check goes on in the background and its
 * answer is cached for the next try. `status` 503 lets HTTP callers answer it as is.
 */
export class AdminCheckUnavailableError extends Error {
  readonly status = 503;
  readonly code = 'admin_check_unavailable';
  constructor(tenantId: string, reason: string) {
    super(
      `Could not confirm your admin role in tenant ${tenantId} right now (${reason}); nothing was changed. Try again in a moment.`,
    );
    this.name = 'AdminCheckUnavailableError';
  }
}

export interface AdminCheckOptions {
  /** Longest wait for an uncached answer, ms (default ADMIN_CHECK_WAIT_MS). */
  waitMs?: number;
}

export async function isTenantAdmin(
  ctx: AppContext,
  tenantId: string,
  userObjectId: string,
  options: AdminCheckOptions = {},
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
  return withinWait(
    inFlight(ctx, key, () => check(ctx, cache, key, tenantId, userObjectId)),
    tenantId,
    options.waitMs ?? ADMIN_CHECK_WAIT_MS,
  );
}

// Checks in flight, per product: a second click while Graph is slow joins the first check
// instead of starting another one.
const inFlightChecks = new WeakMap<AppContext, Map<string, Promise<boolean>>>();

function inFlight(ctx: AppContext, key: string, start: () => Promise<boolean>): Promise<boolean> {
  let map = inFlightChecks.get(ctx);
  if (!map) {
    map = new Map();
    inFlightChecks.set(ctx, map);
  }
  const running = map.get(key);
  if (running) return running;
  const owned = map;
  const promise: Promise<boolean> = start().finally(() => {
    if (owned.get(key) === promise) owned.delete(key);
  });
  // A caller that stopped waiting must not leave an unhandled rejection behind.
  promise.catch(() => undefined);
  map.set(key, promise);
  return promise;
}

/**
 * Waits at most `waitMs` for the check (Teams gives a card action 5 s in all; Graph retries
 * after a 429 or an unreachable identity endpoint take longer). Transient failures become
 * AdminCheckUnavailableError: the user learns why and that nothing changed.
 */
async function withinWait(check: Promise<boolean>, tenantId: string, waitMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), waitMs);
  });
  try {
    const answer = await Promise.race([check, late]);
    if (answer === 'late')
      throw new AdminCheckUnavailableError(tenantId, 'Microsoft Graph is answering slowly');
    return answer;
  } catch (error) {
    if (error instanceof AdminCheckUnavailableError) throw error;
    const reason = !(error instanceof GraphError)
      ? "Microsoft Graph or the product's store did not answer"
      : error.code === IDENTITY_UNREACHABLE
        ? 'the Microsoft Entra sign-in endpoint could not be reached'
        : `Microsoft Graph answered ${error.status} ${error.code}`;
    throw new AdminCheckUnavailableError(tenantId, reason);
  } finally {
    clearTimeout(timer);
  }
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
