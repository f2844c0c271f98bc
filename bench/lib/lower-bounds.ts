// Lower bounds the benchmark compares each measurement with. Pure arithmetic over Graph's page
// sizes, the injected latency and Graph's throttling budgets; docs/PERFORMANCE.md explains each.
//
// A backup reads *streams*: one chain of pages per object type (a delta round, a listing, the
// sign-in log), where each page's nextLink is known only once the previous page has arrived, so
// the pages of one stream are strictly sequential while different streams may run in parallel.
// Relationship reads per object (e.g. a service principal's appRoleAssignedTo) ride in $batch
// requests of at most 20 and can only start once their parent page is read.

export interface PagingModel {
  /** Objects per delta page (server-chosen; the dev tenant's DEFAULT_DELTA_PAGE_SIZE). */
  deltaObjectsPerPage: number;
  /** `members@delta` entries per delta page (large groups are split across pages). */
  deltaLinksPerPage: number;
  /** Largest `$top` of a directory listing (Graph: 999). */
  listingMaxTop: number;
  /** Largest page of /auditLogs/signIns (Graph: 1,000). */
  signInsMaxTop: number;
  /** Requests per JSON $batch (Graph: 20). */
  batchMax: number;
}

export interface LatencyModel {
  /** Injected per request (the scenarios use 120 ms). */
  perRequestMs: number;
  /** Injected per object returned (the scenarios use 0.4 ms). */
  perObjectMs: number;
}

export interface ThrottleModel {
  /** Resource units per window for one app in one tenant (large tenant: 8,000 per 10 s). */
  ruPerWindow: number;
  windowMs: number;
}

export const GRAPH_PAGING: PagingModel = {
  deltaObjectsPerPage: 200,
  deltaLinksPerPage: 1000,
  listingMaxTop: 999,
  signInsMaxTop: 1000,
  batchMax: 20,
};

export const LARGE_TENANT_THROTTLE: ThrottleModel = { ruPerWindow: 8000, windowMs: 10_000 };

export type StreamKind = 'delta' | 'listing' | 'signIns' | 'perObject';

export interface StreamSize {
  /** e.g. 'user', 'group', 'servicePrincipal.appRoleAssignedTo'. */
  name: string;
  kind: StreamKind;
  /** Objects the stream returns (for perObject: the number of parent objects queried). */
  objects: number;
  /** Link entries returned inline (members@delta and the like), delta streams only. */
  links?: number;
  /** Items returned by per-object reads (e.g. all app-role assignments), perObject streams only. */
  items?: number;
  /** The stream whose pages feed this one (perObject streams). */
  parent?: string;
  /** Graph's own pace for the endpoint: at most `requests` per `windowMs` (sign-ins: 5 per 10 s). */
  pace?: { requests: number; windowMs: number };
  /** Resource units one request costs (Graph's table; default 1). */
  ruPerRequest?: number;
}

export interface StreamBound {
  name: string;
  requests: number;
  /** Longest sequential chain of this stream at the injected latency (ms). */
  chainMs: number;
  /** Least time Graph's pace for the endpoint allows (ms). */
  paceFloorMs: number;
  /** max(chain, pace floor) plus, for a perObject stream, its parent's chain. */
  criticalMs: number;
}

export interface BackupBound {
  /** Fewest HTTP requests Graph's page sizes allow. */
  requests: number;
  /** Longest chain of sequential pages (with Graph's per-endpoint pacing), ms. */
  criticalPathMs: number;
  /** Least time the tenant's resource-unit budget allows for all requests, ms. */
  ruFloorMs: number;
  /** The stream that sets the critical path. */
  criticalStream: string;
  streams: StreamBound[];
}

/** Pages needed for `items` at `perPage` each; an empty collection still costs one request. */
export function pagesFor(items: number, perPage: number): number {
  if (!Number.isFinite(items) || items < 0) throw new Error(`pagesFor: items must be ≥ 0 (got ${items})`);
  if (!Number.isInteger(perPage) || perPage < 1)
    throw new Error(`pagesFor: perPage must be ≥ 1 (got ${perPage})`);
  return Math.max(1, Math.ceil(items / perPage));
}

/** Fewest requests a stream can be read in. */
export function streamRequests(stream: StreamSize, paging: PagingModel): number {
  switch (stream.kind) {
    case 'delta':
      // A page holds at most N objects and at most L inline links: both limits bind.
      return Math.max(
        pagesFor(stream.objects, paging.deltaObjectsPerPage),
        pagesFor(stream.links ?? 0, paging.deltaLinksPerPage),
      );
    case 'listing':
      return pagesFor(stream.objects, paging.listingMaxTop);
    case 'signIns':
      return pagesFor(stream.objects, paging.signInsMaxTop);
    case 'perObject':
      // One sub-request per parent object, 20 to a $batch; nothing at all when there is no parent.
      return stream.objects === 0 ? 0 : Math.ceil(stream.objects / paging.batchMax);
  }
}

/** Time for `requests` sequential requests returning `returned` objects in all. */
export function chainMs(requests: number, returned: number, latency: LatencyModel): number {
  return requests * latency.perRequestMs + returned * latency.perObjectMs;
}

/**
 * Graph paces such endpoints with a token bucket: `r` requests at once, then one every w / r.
 * So `n` requests need at least max(0, n - r) × (w / r) plus the last one's own time.
 */
export function paceFloorMs(requests: number, pace: StreamSize['pace'], lastRequestMs: number): number {
  if (!pace || requests === 0) return 0;
  return Math.max(0, requests - pace.requests) * (pace.windowMs / pace.requests) + lastRequestMs;
}

export function streamBound(stream: StreamSize, paging: PagingModel, latency: LatencyModel): StreamBound {
  const requests = streamRequests(stream, paging);
  const returned = stream.kind === 'perObject' ? (stream.items ?? 0) : stream.objects + (stream.links ?? 0);
  // perObject: batches run side by side, so the least is one batch (with its share of the
  // items) after the parent's last page; the parent's chain is added in backupLowerBound.
  const chain =
    stream.kind === 'perObject'
      ? requests === 0
        ? 0
        : latency.perRequestMs + Math.ceil(returned / requests) * latency.perObjectMs
      : chainMs(requests, returned, latency);
  const perPage = requests === 0 ? 0 : latency.perRequestMs + (returned / requests) * latency.perObjectMs;
  const pace = paceFloorMs(requests, stream.pace, perPage);
  return {
    name: stream.name,
    requests,
    chainMs: chain,
    paceFloorMs: pace,
    criticalMs: Math.max(chain, pace),
  };
}

/** Lower bounds of a full backup (scenario 1) or of any set of streams read in one run. */
export function backupLowerBound(
  streams: StreamSize[],
  paging: PagingModel,
  latency: LatencyModel,
  throttle: ThrottleModel = LARGE_TENANT_THROTTLE,
): BackupBound {
  const bounds = streams.map((s) => streamBound(s, paging, latency));
  const byName = new Map(bounds.map((b) => [b.name, b]));
  for (const [index, stream] of streams.entries()) {
    if (stream.kind !== 'perObject' || !stream.parent || bounds[index].requests === 0) continue;
    const parent = byName.get(stream.parent);
    if (!parent) throw new Error(`stream ${stream.name}: parent ${stream.parent} is not in the run`);
    bounds[index] = { ...bounds[index], criticalMs: parent.criticalMs + bounds[index].criticalMs };
  }
  const requests = bounds.reduce((sum, b) => sum + b.requests, 0);
  const ru = streams.reduce((sum, s, i) => sum + bounds[i].requests * (s.ruPerRequest ?? 1), 0);
  // The RU budget is a token bucket too: a full window's worth at once, then refilled evenly.
  const ruFloorMs = Math.max(0, ru - throttle.ruPerWindow) * (throttle.windowMs / throttle.ruPerWindow);
  const critical = bounds.reduce((a, b) => (b.criticalMs > a.criticalMs ? b : a), bounds[0]);
  return {
    requests,
    criticalPathMs: Math.max(critical?.criticalMs ?? 0, ruFloorMs),
    ruFloorMs,
    criticalStream: ruFloorMs > (critical?.criticalMs ?? 0) ? 'resource-unit budget' : (critical?.name ?? ''),
    streams: bounds,
  };
}

/**
 * Activity families an incremental must ask the directory audit log about to learn which service
 * principals' app-role assignments changed (the relationship has no delta): "Add app role
 * assignment …" and "Remove app role assignment …". Graph documents `eq` and `startswith` on
 * activityDisplayName and no prefix covers both, so each family is one filtered read at least.
 */
export const APP_ROLE_AUDIT_FAMILIES = 2;

/** One stream of an incremental run and what changed in it. */
export interface IncrementalChange {
  name: string;
  /** 'audited': a relationship without delta, found through the audit log (see APP_ROLE_AUDIT_FAMILIES). */
  kind: StreamKind | 'audited';
  /** Objects changed (for 'audited': parents whose relationships changed). */
  changed: number;
  changedLinks?: number;
  /** Objects of the type (listings are read whole every run). */
  total?: number;
  /** 'audited' only: filtered audit-log reads needed to find the changes (each at least one page). */
  auditQueries?: number;
}

/**
 * Incremental (scenario 2): each delta stream needs at least one round even when nothing
 * changed, and the pages its changes fill; a listing-only type is listed whole every run; a
 * relationship without delta needs its audit-log reads, then one $batch per 20 changed parents.
 */
export function incrementalLowerBound(
  changes: IncrementalChange[],
  paging: PagingModel,
): { requests: number; perStream: { name: string; requests: number }[] } {
  const perStream = changes.map((c) => {
    let requests: number;
    if (c.kind === 'audited') {
      if (!Number.isInteger(c.auditQueries) || (c.auditQueries ?? 0) < 1)
        throw new Error(`incrementalLowerBound: ${c.name} needs auditQueries ≥ 1 (got ${c.auditQueries})`);
      requests = (c.auditQueries ?? 1) + Math.ceil(c.changed / paging.batchMax);
    } else if (c.kind === 'listing') requests = pagesFor(c.total ?? c.changed, paging.listingMaxTop);
    else
      requests = streamRequests(
        { name: c.name, kind: c.kind, objects: c.changed, links: c.changedLinks },
        paging,
      );
    return { name: c.name, requests };
  });
  return { requests: perStream.reduce((s, p) => s + p.requests, 0), perStream };
}

/**
 * Restore (scenario 4) of `objects` soft-deleted objects, with `withRelationships` relationship
 * lists when deleted (a user's memberships are one list, its manager another):
 * - reads: one of each object's live state (it must be seen in the recycle bin before anyone
 *   approves), and one read-back of each such list after the restore: Entra
 *   restores memberships with the object, but a backup cannot tell a membership Graph keeps from
 *   one removed just before the deletion (delta reports both alike), so a correct restore checks;
 * - writes: the recycle-bin restores, then `membershipsToAdd` edges that did not come back
 *   (after the restores they depend on). All through $batch, `batchMax` per request; token
 *   requests are not Graph requests.
 */
export function restoreLowerBound(
  objects: number,
  withRelationships: number,
  membershipsToAdd: number,
  paging: PagingModel,
): { requests: number; reads: number; writes: number } {
  const per = (n: number) => Math.ceil(n / paging.batchMax);
  const reads = per(objects) + per(withRelationships);
  const writes = per(objects) + per(membershipsToAdd);
  return { requests: reads + writes, reads, writes };
}

/** Ratio to a bound, rounded for printing; Infinity when the bound is 0 but the measure is not. */
export function ratio(measured: number, bound: number): number {
  if (bound === 0) return measured === 0 ? 1 : Number.POSITIVE_INFINITY;
  return Math.round((measured / bound) * 1000) / 1000;
}
