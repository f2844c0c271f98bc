// Reverse relationships Graph computes from the membership graph: memberOf (direct containers:
// groups, directory roles, administrative units), transitiveMemberOf (the upward closure through
// nested groups), checkMemberGroups / checkMemberObjects, and directoryObjects/getByIds. A caller
// without read permission on a returned type gets only `@odata.type` and `id` for it ("limited
// information", as Graph answers). Sources are cited in docs/GRAPH-FIDELITY.md.
import { ACTIVE, type Json, type StoredObject, toObject } from './directory.ts';
import type { GraphResponse, HandlerContext } from './graph-context.ts';
import { errors } from './graph-errors.ts';
import { nextLinkFor } from './graph-read.ts';
import { isGuid } from './ids.ts';
import { filterProperties, filterToSql } from './odata-filter.ts';
import { decodeToken, encodeToken, type QueryOptions, searchToSql } from './odata-query.ts';
import { project, selection } from './projection.ts';
import {
  hasPermission,
  linkReadRule,
  type ResourceDef,
  resourceByType,
  type StoredType,
} from './resources.ts';

/** What can contain a directory object as a member. */
const CONTAINER_TYPES: StoredType[] = ['group', 'directoryRole', 'administrativeUnit'];

/** Types getByIds resolves (its `types` parameter names them without the namespace). */
const BY_ID_TYPES: StoredType[] = [
  'user',
  'group',
  'device',
  'servicePrincipal',
  'application',
  'administrativeUnit',
  'directoryRole',
];

/** getByIds takes at most 1,000 ids; checkMemberGroups and checkMemberObjects at most 20. */
const MAX_BY_IDS = 1000;
const MAX_CHECK = 20;

function defOf(type: StoredType): ResourceDef {
  return resourceByType(type) as ResourceDef;
}

function propertiesOf(types: StoredType[]): Set<string> {
  return new Set(types.flatMap((t) => defOf(t).properties));
}

/** Whether the caller may read full objects of this type (else Graph returns limited information). */
function canRead(ctx: HandlerContext, def: ResourceDef): boolean {
  return hasPermission(ctx.caller.roles, def.type === 'group' ? linkReadRule(def) : def.read);
}

/** One item of a directoryObject collection: selected (or default) properties, or limited information. */
function shapeDirectoryObject(ctx: HandlerContext, obj: StoredObject, select: string[] | undefined): Json {
  const def = defOf(obj.type);
  if (!canRead(ctx, def)) return { '@odata.type': def.odataType, id: obj.id };
  const props = select
    ? ['id', ...select.filter((s) => s !== 'id' && def.properties.includes(s))]
    : selection(def, undefined, false, { roles: ctx.caller.roles, premium: true }).props;
  return { '@odata.type': def.odataType, ...project(obj.data, props) };
}

/**
 * SQL (a CTE named `up`) of the ids of every active container of `memberId`: direct, or with
 * `transitive` the closure upward through active groups (UNION ends cycles of nested groups).
 */
function containersCte(transitive: boolean): string {
  const direct = `SELECT l.source_id AS id FROM links l
     JOIN objects c ON c.tenant_id = l.tenant_id AND c.id = l.source_id AND c.state = 1
     WHERE l.tenant_id = ? AND l.kind = 'members' AND l.target_id = ? AND l.state = 1`;
  if (!transitive) return `WITH up(id) AS (${direct})`;
  return `WITH RECURSIVE up(id) AS (${direct}
     UNION
     SELECT l.source_id FROM links l
     JOIN up ON l.target_id = up.id
     JOIN objects g ON g.tenant_id = l.tenant_id AND g.id = l.target_id AND g.type = 'group' AND g.state = 1
     JOIN objects c ON c.tenant_id = l.tenant_id AND c.id = l.source_id AND c.state = 1
     WHERE l.tenant_id = ? AND l.kind = 'members' AND l.state = 1)`;
}

function containerIds(ctx: HandlerContext, memberId: string, transitive: boolean): Set<string> {
  const params = transitive ? [ctx.dir.tenantId, memberId, ctx.dir.tenantId] : [ctx.dir.tenantId, memberId];
  const rows = ctx.dir.db.prepare(`${containersCte(transitive)} SELECT id FROM up`).all(...params) as {
    id: string;
  }[];
  return new Set(rows.map((r) => r.id));
}

/**
 * GET /{users|groups|devices|servicePrincipals}/{id}/memberOf and …/transitiveMemberOf
 * [/microsoft.graph.{group|directoryRole|administrativeUnit}][/$count]: paged by container id.
 * $filter and $count need `ConsistencyLevel: eventual` (and $filter also $count=true), $search the
 * header: these relationships are advanced-query only.
 */
export function listMemberOf(
  ctx: HandlerContext,
  source: StoredObject,
  q: QueryOptions,
  options: { transitive: boolean; cast?: StoredType; countOnly?: boolean },
): GraphResponse {
  const types = options.cast ? [options.cast] : CONTAINER_TYPES;
  if (options.cast && !CONTAINER_TYPES.includes(options.cast))
    throw errors.badRequest(`'microsoft.graph.${options.cast}' is not a type that holds members.`);
  if (q.expand || q.orderby || q.skip !== undefined)
    throw errors.badRequest('$expand, $orderby and $skip are not supported on memberOf.');
  if ((q.count || options.countOnly || q.search) && !q.eventual)
    throw errors.badRequest(
      '$count and $search are not currently supported without the ConsistencyLevel: eventual header.',
    );
  if (q.filter && !(q.eventual && q.count))
    throw errors.unsupportedQuery(
      'Filtering memberOf needs advanced query parameters: ConsistencyLevel: eventual and $count=true.',
    );
  const known = propertiesOf(types);
  const typeName = options.cast ? `microsoft.graph.${options.cast}` : 'microsoft.graph.directoryObject';
  for (const p of q.select ?? []) if (!known.has(p)) throw errors.unknownProperty(p, typeName);
  if (q.filter)
    for (const p of filterProperties(q.filter)) if (!known.has(p)) throw errors.unknownProperty(p, typeName);
  const top = q.top ?? 100;
  if (top < 1 || top > 999)
    throw errors.badRequest(`Invalid page size specified: '${top}'. Must be between 1 and 999 inclusive.`);

  const params: unknown[] = options.transitive
    ? [ctx.dir.tenantId, source.id, ctx.dir.tenantId]
    : [ctx.dir.tenantId, source.id];
  params.push(ctx.dir.tenantId, ...types);
  let where = `o.tenant_id = ? AND o.state = 1 AND o.type IN (${types.map(() => '?').join(', ')})`;
  if (q.filter) where += ` AND ${filterToSql(q.filter, params)}`;
  if (q.search) where += ` AND ${searchToSql(q.search, params, [...known], typeName)}`;
  const from = `${containersCte(options.transitive)} SELECT o.type, o.id, o.seq, o.state, o.deleted_at, o.parent_id, o.data
    FROM up JOIN objects o ON o.id = up.id`;
  if (options.countOnly) {
    const n = ctx.dir.db.prepare(`SELECT COUNT(*) AS n FROM (${from} WHERE ${where})`).get(...params) as {
      n: number;
    };
    return { status: 200, text: String(n.n), headers: { 'content-type': 'text/plain' } };
  }
  const countParams = [...params];
  const countWhere = where;
  if (q.skiptoken) {
    const tok = decodeToken(q.skiptoken, ctx.dir.tenantId, 'memberOf');
    where += ' AND o.id > ?';
    params.push(String(tok.id));
  }
  // `+o.id`: start from the member's links and sort its few containers; ordering by the index
  // walked every object of the tenant (44 ms a read at 20,000 users, growing with the tenant).
  const rows = ctx.dir.db
    .prepare(`${from} WHERE ${where} ORDER BY +o.id LIMIT ?`)
    .all(...params, top + 1) as Parameters<typeof toObject>[0][];
  const more = rows.length > top;
  const page = rows.slice(0, top).map(toObject);
  const selectPart = q.select ? `(${['id', ...q.select.filter((s) => s !== 'id')].join(',')})` : '';
  const body: Json = {
    '@odata.context': `${ctx.base}/$metadata#directoryObjects${selectPart}`,
  };
  if (q.count && !q.skiptoken) {
    const n = ctx.dir.db
      .prepare(`SELECT COUNT(*) AS n FROM (${from} WHERE ${countWhere})`)
      .get(...countParams) as { n: number };
    body['@odata.count'] = n.n;
  }
  if (more)
    body['@odata.nextLink'] = nextLinkFor(
      ctx,
      '$skiptoken',
      encodeToken({ t: ctx.dir.tenantId, k: 'memberOf', id: page[page.length - 1].id }),
    );
  body.value = page.map((o) => shapeDirectoryObject(ctx, o, q.select));
  return { status: 200, body, objects: page.length };
}

function stringList(body: unknown, name: string, max: number): string[] {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
    throw errors.badRequest(`The request body needs '${name}': an array of strings.`);
  if (value.length > max)
    throw errors.badRequest(`'${name}' holds ${value.length} values; at most ${max} are allowed.`);
  return value as string[];
}

/**
 * POST /{users|groups|devices|servicePrincipals}/{id}/checkMemberGroups {groupIds} and
 * /checkMemberObjects {ids}: which of the given ids the object is a member of, transitively
 * (checkMemberGroups answers groups only).
 */
export function checkMember(
  ctx: HandlerContext,
  source: StoredObject,
  which: 'checkMemberGroups' | 'checkMemberObjects',
): GraphResponse {
  const wanted = stringList(ctx.req.body, which === 'checkMemberGroups' ? 'groupIds' : 'ids', MAX_CHECK);
  for (const id of wanted) if (!isGuid(id)) throw errors.invalidId(id);
  const ids = containerIds(ctx, source.id, true);
  const value = wanted.filter((id) => {
    if (!ids.has(id)) return false;
    return which === 'checkMemberObjects' || ctx.dir.get('group', id)?.state === ACTIVE;
  });
  return {
    status: 200,
    body: { '@odata.context': `${ctx.base}/$metadata#Collection(Edm.String)`, value },
    objects: value.length,
  };
}

/** POST /directoryObjects/getByIds {ids, types?}: the active objects among `ids`, in request order. */
export function getByIds(ctx: HandlerContext): GraphResponse {
  const ids = stringList(ctx.req.body, 'ids', MAX_BY_IDS);
  if (!ids.length) throw errors.badRequest("'ids' must hold at least one id.");
  const body = ctx.req.body as Record<string, unknown>;
  let types = BY_ID_TYPES;
  if (body.types !== undefined) {
    const named = stringList(body, 'types', 100).map((t) => t.replace(/^microsoft\.graph\./i, ''));
    types = named.map((t) => {
      const match = BY_ID_TYPES.find((x) => x.toLowerCase() === t.toLowerCase());
      if (!match) throw errors.badRequest(`'${t}' is not a directory object type getByIds can return.`);
      return match;
    });
  }
  const seen = new Set<string>();
  const value: Json[] = [];
  for (const id of ids) {
    if (seen.has(id.toLowerCase())) continue;
    seen.add(id.toLowerCase());
    if (!isGuid(id)) throw errors.invalidId(id);
    const obj = ctx.dir.getById(id.toLowerCase()) ?? ctx.dir.getById(id);
    if (!obj || obj.state !== ACTIVE || !types.includes(obj.type)) continue;
    value.push(shapeDirectoryObject(ctx, obj, undefined));
  }
  return {
    status: 200,
    body: { '@odata.context': `${ctx.base}/$metadata#directoryObjects`, value },
    objects: value.length,
  };
}
