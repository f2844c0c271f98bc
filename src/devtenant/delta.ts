// Delta queries. A round walks the type's objects in change-sequence order (index on
// (tenant, type, seq)): an object changed during the round moves to the end and is reported
// again, so nothing is lost and the round ends when it has caught up. The deltaLink holds the
// last sequence seen. Membership (members@delta) comes from the links table's own sequences and
// is split across pages for large groups: the same group repeats with the next slice.
// A round started with $select reports an object only when a selected property or relationship
// changed (per-property change sequences, directory.ts); `Prefer: return=minimal` on a deltaLink
// round answers only the properties that changed since the previous round.
import {
  ACTIVE,
  changeSeqOf,
  type Json,
  type LinkRow,
  PURGED,
  type StoredObject,
  toLink,
  toObject,
} from './directory.ts';
import type { GraphResponse, HandlerContext } from './graph-context.ts';
import { errors, GraphHttpError } from './graph-errors.ts';
import { linkUrl } from './graph-read.ts';
import { idEqualityList } from './odata-filter.ts';
import { decodeToken, encodeToken, type QueryOptions } from './odata-query.ts';
import { project, selection } from './projection.ts';
import { type LinkKind, type ResourceDef, resourceByType } from './resources.ts';

const TOKEN_LIFETIME_MS = 7 * 86400_000;
export const DEFAULT_DELTA_PAGE_SIZE = 200;

interface DeltaToken {
  t: string;
  k: 'delta';
  /** Entity set of the stream. */
  s: string;
  /** Round start: changes after this sequence belong to the round (0 = initial round). */
  f: number;
  /** Tenant sequence when the round began (initial rounds report later deletions). */
  s0: number;
  /** Cursor: objects with seq > c remain. */
  c: number;
  sel?: string[];
  ids?: string[];
  /** Issued at (ms). */
  iat: number;
  /** A group whose links are being split across pages. */
  g?: { id: string; ls: number; gs: number };
}

function tracked(def: ResourceDef, sel: string[] | undefined): LinkKind[] {
  if (!sel) return def.links.filter((k) => k === 'members');
  return def.links.filter((k) => sel.includes(k));
}

/** True when the request carries `Prefer: return=minimal` (any casing, among other preferences). */
export function prefersMinimal(headers: Record<string, string>): boolean {
  return (headers.prefer ?? '')
    .split(',')
    .some((p) => p.trim().toLowerCase().replace(/\s+/g, '') === 'return=minimal');
}

/**
 * In a later round (after `since`), whether a $select-scoped stream reports `obj`: created,
 * deleted or restored since, or one of the selected properties or relationships changed.
 */
function selectedChanged(obj: StoredObject, sel: string[], since: number): boolean {
  if (changeSeqOf(obj, '*') > since) return true;
  return sel.some((p) => p !== 'id' && changeSeqOf(obj, p) > since);
}

function checkExpiry(ctx: HandlerContext, tok: DeltaToken, def: ResourceDef): void {
  const tenant = ctx.dir.tenant();
  if (tok.iat <= tenant.deltaResetAfter) {
    const fresh = linkUrl(ctx, ctx.req.path, [['$deltatoken', '']]);
    throw new GraphHttpError(
      410,
      'resyncRequired',
      'The delta token is no longer valid: a full resynchronization is required.',
      {
        location: fresh,
      },
    );
  }
  if (tok.iat <= tenant.deltaValidAfter || ctx.now.getTime() - tok.iat > TOKEN_LIFETIME_MS)
    throw new GraphHttpError(
      400,
      'syncStateNotFound',
      'The sync state generation is not found. The delta token is expired and data must be synchronized again.',
    );
  if (tok.s !== def.set) throw errors.badRequest('The delta token belongs to another resource.');
}

export function handleDelta(
  ctx: HandlerContext,
  def: ResourceDef,
  q: QueryOptions,
  pageSize: number,
): GraphResponse {
  const token = q.deltatoken ?? q.skiptoken;
  const latest = q.deltatoken !== undefined && q.deltatoken.toLowerCase() === 'latest';
  let tok: DeltaToken;
  if (token !== undefined && token !== '' && !latest) {
    if (q.select || q.filter)
      throw errors.badRequest('$select and $filter cannot be combined with a delta or skip token.');
    tok = decodeToken(token, ctx.dir.tenantId, 'delta') as unknown as DeltaToken;
    checkExpiry(ctx, tok, def);
  } else {
    if (q.top !== undefined || q.expand || q.orderby)
      throw errors.badRequest('$top, $expand and $orderby are not supported on delta queries.');
    if (q.search || q.count)
      throw errors.badRequest('$search and $count are not supported on delta queries.');
    let ids: string[] | undefined;
    if (q.filter) {
      ids = idEqualityList(q.filter);
      if (!ids) throw errors.unsupportedQuery("Delta supports only $filter=id eq '...' (or-chained).");
      if (ids.length > 50) throw errors.badRequest('Too many ids in $filter: at most 50 are supported.');
    }
    let sel: string[] | undefined;
    if (q.select) {
      if (def.type === 'user' && q.select.some((p) => resourceByType('user')?.singleOnly?.includes(p)))
        throw errors.notImplemented();
      sel = selection(def, q.select, false, {
        roles: ctx.caller.roles,
        premium: ctx.dir.tenant().premium,
        allowNavigation: true,
      }).props;
    }
    const s0 = ctx.dir.currentSeq();
    if (latest) {
      // $deltatoken=latest: a deltaLink from now on, and no resource data.
      const t: DeltaToken = {
        t: ctx.dir.tenantId,
        k: 'delta',
        s: def.set,
        f: s0,
        s0,
        c: s0,
        sel,
        ids,
        iat: ctx.now.getTime(),
      };
      return deltaBody(ctx, def, [], undefined, encodeToken({ ...t }), sel);
    }
    tok = { t: ctx.dir.tenantId, k: 'delta', s: def.set, f: 0, s0, c: 0, sel, ids, iat: ctx.now.getTime() };
  }
  return deltaPage(ctx, def, tok, pageSize);
}

function linkFilter(tok: DeltaToken): { sql: string; params: number[] } {
  // Initial round: current members, plus removals that happened after the round began.
  if (tok.f === 0) return { sql: '(state = 1 OR seq > ?)', params: [tok.s0] };
  return { sql: 'seq > ?', params: [tok.f] };
}

function linkSlice(
  ctx: HandlerContext,
  tok: DeltaToken,
  kind: LinkKind,
  sourceId: string,
  afterSeq: number,
  limit: number,
): LinkRow[] {
  const f = linkFilter(tok);
  return (
    ctx.dir.db
      .prepare(
        `SELECT * FROM links WHERE tenant_id = ? AND kind = ? AND source_id = ? AND seq > ? AND ${f.sql} ORDER BY seq LIMIT ?`,
      )
      .all(ctx.dir.tenantId, kind, sourceId, afterSeq, ...f.params, limit) as Parameters<typeof toLink>[0][]
  ).map(toLink);
}

function linkEntry(l: LinkRow): Json {
  const tdef = resourceByType(l.targetType);
  const entry: Json = {
    '@odata.type': tdef?.odataType ?? '#microsoft.graph.directoryObject',
    id: l.targetId,
  };
  if (l.state !== 1) entry['@removed'] = { reason: 'deleted' };
  return entry;
}

function objectEntry(def: ResourceDef, obj: StoredObject, tok: DeltaToken, minimal: boolean): Json {
  if (obj.state !== ACTIVE)
    return { id: obj.id, '@removed': { reason: obj.state === PURGED ? 'deleted' : 'changed' } };
  let props = (tok.sel ?? selection(def, undefined, false, { roles: [], premium: true }).props).filter(
    (p) => !def.links.includes(p as LinkKind),
  );
  // return=minimal (later rounds only): the id and what changed since the round began.
  if (minimal && tok.f > 0) props = props.filter((p) => p === 'id' || changeSeqOf(obj, p) > tok.f);
  // Groups, roles, AUs, apps, SPs and devices carry @odata.type (their relationships' items do too).
  const typed = def.links.some((k) => k !== 'manager');
  const base: Json = typed ? { '@odata.type': def.odataType } : {};
  return { ...base, ...project(obj.data, props) };
}

function deltaPage(ctx: HandlerContext, def: ResourceDef, tok: DeltaToken, pageSize: number): GraphResponse {
  const kinds = tracked(def, tok.sel);
  const minimal = prefersMinimal(ctx.req.headers);
  let memberBudget = ctx.deltaMemberPageSize;
  const value: Json[] = [];
  let cursor = tok.c;
  let pendingGroup: DeltaToken['g'];

  /** Emits an object with up to the remaining budget of its links; returns the split state if any. */
  const emit = (obj: StoredObject, afterLinkSeq: number): DeltaToken['g'] => {
    const entry = objectEntry(def, obj, tok, minimal);
    let split: DeltaToken['g'];
    if (obj.state === ACTIVE) {
      for (const kind of kinds) {
        // Only members are paged across responses (split below); owners always come whole, else
        // owners past a full member budget were silently dropped.
        const budget = kind === 'members' ? Math.max(1, memberBudget) : Number.MAX_SAFE_INTEGER;
        const rows = linkSlice(ctx, tok, kind, obj.id, kind === 'members' ? afterLinkSeq : 0, budget + 1);
        const slice = rows.slice(0, budget);
        memberBudget -= slice.length;
        if (slice.length) entry[`${kind}@delta`] = slice.map(linkEntry);
        if (kind === 'members' && rows.length > budget)
          split = { id: obj.id, ls: slice[slice.length - 1].seq, gs: obj.seq };
      }
    }
    value.push(entry);
    return split;
  };

  if (tok.g) {
    const g = tok.g;
    const obj = ctx.dir.get(def.type, g.id);
    if (obj) {
      const split = emit({ ...obj, state: obj.state === ACTIVE ? ACTIVE : obj.state }, g.ls);
      if (split) pendingGroup = { ...split, gs: g.gs };
    }
    if (!pendingGroup) cursor = g.gs;
  }

  let more = false;
  if (!pendingGroup) {
    const params: unknown[] = [ctx.dir.tenantId, def.type, cursor];
    let where = 'tenant_id = ? AND type = ? AND seq > ?';
    if (tok.ids) {
      where += ` AND id IN (${tok.ids.map(() => '?').join(',')})`;
      params.push(...tok.ids);
    }
    const room = pageSize - value.length;
    const rows = ctx.dir.db
      .prepare(`SELECT * FROM objects WHERE ${where} ORDER BY seq LIMIT ?`)
      .all(...params, room + 1) as Parameters<typeof toObject>[0][];
    more = rows.length > room;
    for (const row of rows.slice(0, room)) {
      const obj = toObject(row);
      if (obj.state !== ACTIVE && tok.f === 0 && obj.seq <= tok.s0) {
        cursor = obj.seq;
        continue;
      }
      // Select-scoped rounds skip objects whose changes were all to unselected properties.
      if (tok.f > 0 && tok.sel && obj.state === ACTIVE && !selectedChanged(obj, tok.sel, tok.f)) {
        cursor = obj.seq;
        continue;
      }
      if (memberBudget <= 0 && kinds.length && obj.state === ACTIVE) {
        more = true;
        break;
      }
      const split = emit(obj, 0);
      if (split) {
        pendingGroup = split;
        more = true;
        break;
      }
      cursor = obj.seq;
    }
  }

  const now = ctx.now.getTime();
  if (more || pendingGroup) {
    const next: DeltaToken = { ...tok, c: cursor, g: pendingGroup, iat: now };
    if (!pendingGroup) delete next.g;
    return deltaBody(ctx, def, value, encodeToken({ ...next }), undefined, tok.sel);
  }
  const done: DeltaToken = {
    t: tok.t,
    k: 'delta',
    s: tok.s,
    f: cursor,
    s0: cursor,
    c: cursor,
    sel: tok.sel,
    ids: tok.ids,
    iat: now,
  };
  return deltaBody(ctx, def, value, undefined, encodeToken({ ...done }), tok.sel);
}

function deltaBody(
  ctx: HandlerContext,
  def: ResourceDef,
  value: Json[],
  skip: string | undefined,
  delta: string | undefined,
  sel: string[] | undefined,
): GraphResponse {
  const body: Json = {
    '@odata.context': `${ctx.base}/$metadata#${def.set}${sel ? `(${sel.join(',')})` : ''}`,
  };
  if (skip !== undefined) body['@odata.nextLink'] = linkUrl(ctx, ctx.req.path, [['$skiptoken', skip]]);
  if (delta !== undefined) body['@odata.deltaLink'] = linkUrl(ctx, ctx.req.path, [['$deltatoken', delta]]);
  body.value = value;
  const headers: Record<string, string> = prefersMinimal(ctx.req.headers)
    ? { 'preference-applied': 'return=minimal' }
    : {};
  return { status: 200, headers, body, objects: value.length };
}
