// Read handlers: collections (keyset-paged on indexed columns, so each page costs O(page)),
// single objects, relationship collections, $count, the recycle bin and auth methods metadata.

import { createHash } from 'node:crypto';
import { ACTIVE, type Json, SOFT_DELETED, type StoredObject, toObject } from './directory.ts';
import type { GraphResponse, HandlerContext } from './graph-context.ts';
import { errors, GraphHttpError } from './graph-errors.ts';
import { isGuid } from './ids.ts';
import { managerOf } from './mutations.ts';
import { filterProperties, filterToSql } from './odata-filter.ts';
import { decodeToken, encodeToken, type QueryOptions, searchToSql } from './odata-query.ts';
import { contextUrl, project, type Selection, selection } from './projection.ts';
import { type LinkKind, type ResourceDef, resourceByType, type StoredType, typeName } from './resources.ts';

export function linkUrl(ctx: HandlerContext, path: string, params: [string, string][]): string {
  const qs = params
    .map(([k, v]) => `${k}=${encodeURIComponent(v).replace(/%24/g, '$').replace(/%2C/gi, ',')}`)
    .join('&');
  return `${ctx.base}${path}${qs ? `?${qs}` : ''}`;
}

/** The request's query parameters with the page token replaced: nextLinks keep every original parameter. */
export function nextLinkFor(
  ctx: HandlerContext,
  tokenName: string,
  token: string,
  drop: string[] = [],
): string {
  const params: [string, string][] = [];
  for (const [k, v] of ctx.req.query) {
    const lower = k.toLowerCase();
    if (lower === '$skiptoken' || lower === '$deltatoken' || drop.includes(lower)) continue;
    params.push([k, v]);
  }
  params.push([tokenName, token]);
  return linkUrl(ctx, ctx.req.path, params);
}

export function premiumOrThrow(ctx: HandlerContext): void {
  if (!ctx.dir.tenant().premium) throw errors.nonPremium();
}

/** Resolves /{set}/{id}: users also by UPN; other directory objects need a GUID. */
export function resolveActive(ctx: HandlerContext, def: ResourceDef, key: string): StoredObject {
  const decoded = decodeURIComponent(key);
  let obj: StoredObject | undefined;
  if (def.type === 'user' && !isGuid(decoded)) {
    obj = ctx.dir.findActiveByKey('user', decoded.toLowerCase());
  } else {
    const needsGuid =
      def.directoryObject ||
      def.type === 'roleDefinition' ||
      def.type === 'conditionalAccessPolicy' ||
      def.type === 'signIn';
    if (needsGuid && !isGuid(decoded)) throw errors.invalidId(decoded);
    obj = ctx.dir.get(def.type, decoded);
  }
  if (!obj || obj.state !== ACTIVE) throw errors.notFound(decoded);
  return obj;
}

function expandedValue(ctx: HandlerContext, def: ResourceDef, obj: StoredObject, nav: string): unknown {
  if ((nav === 'members' || nav === 'owners' || nav === 'registeredOwners') && def.links.includes(nav)) {
    const rows = ctx.dir.listLinks(nav, obj.id, '', 20);
    return rows.map((l) => {
      const target = ctx.dir.get(l.targetType, l.targetId);
      const tdef = resourceByType(l.targetType) as ResourceDef;
      const sel = selection(tdef, undefined, false, { roles: ctx.caller.roles, premium: true });
      return { '@odata.type': tdef.odataType, ...project(target?.data ?? { id: l.targetId }, sel.props) };
    });
  }
  if (def.type === 'roleAssignment' && (nav === 'principal' || nav === 'roleDefinition')) {
    const id = String(obj.data[nav === 'principal' ? 'principalId' : 'roleDefinitionId']);
    const target = ctx.dir.getById(id);
    if (!target || target.state !== ACTIVE) return null;
    const tdef = resourceByType(target.type) as ResourceDef;
    return {
      '@odata.type': tdef.odataType,
      ...project(
        target.data,
        selection(tdef, undefined, false, { roles: ctx.caller.roles, premium: true }).props,
      ),
    };
  }
  if (def.type === 'roleDefinition' && nav === 'inheritsPermissionsFrom') return [];
  if (def.type === 'user' && nav === 'manager') {
    const target = managerOf(ctx.dir, obj.id);
    return target
      ? { '@odata.type': '#microsoft.graph.user', id: target.id, displayName: target.data.displayName }
      : null;
  }
  if (def.type === 'user' && nav === 'extensions') return [];
  throw errors.unknownProperty(nav, typeName(def));
}

export function shapeObject(
  ctx: HandlerContext,
  def: ResourceDef,
  obj: StoredObject,
  sel: Selection,
  q: QueryOptions,
  withType = false,
): Json {
  const out: Json = withType ? { '@odata.type': def.odataType } : {};
  Object.assign(out, project(obj.data, sel.props));
  for (const nav of q.expand ?? []) out[nav] = expandedValue(ctx, def, obj, nav);
  return out;
}

export function getEntity(
  ctx: HandlerContext,
  def: ResourceDef,
  key: string,
  q: QueryOptions,
  setPath = def.set,
): GraphResponse {
  const obj = resolveActive(ctx, def, key);
  if (def.type === 'signIn') premiumOrThrow(ctx);
  const sel = selection(def, q.select, true, { roles: ctx.caller.roles, premium: ctx.dir.tenant().premium });
  return {
    status: 200,
    body: {
      '@odata.context': contextUrl(ctx.base, setPath, sel, true),
      ...shapeObject(ctx, def, obj, sel, q),
    },
    objects: 1,
  };
}

export interface ListSpec {
  def: ResourceDef;
  state: number;
  setPath: string;
  parentId?: string;
  /** App role assignments granted to this principal (…/{id}/appRoleAssignments). */
  principalId?: string;
  withType?: boolean;
  /** Added to the default property set (the recycle bin always shows deletedDateTime). */
  extraDefault?: string[];
}

function orderFor(def: ResourceDef, q: QueryOptions): { column: string; desc: boolean } {
  if (def.type === 'signIn' || def.type === 'directoryAudit') {
    if (q.orderby && !['createdDateTime', 'activityDateTime'].includes(q.orderby.prop))
      throw errors.badRequest(`$orderby is not supported on '${q.orderby.prop}'.`);
    return { column: 'o.sort_time', desc: q.orderby ? q.orderby.desc : true };
  }
  if (q.orderby) {
    if (q.orderby.prop !== 'displayName') {
      if (!def.properties.includes(q.orderby.prop))
        throw errors.unknownProperty(q.orderby.prop, typeName(def));
      throw errors.unsupportedQuery(`Sorting by '${q.orderby.prop}' is not supported.`);
    }
    return { column: 'o.name', desc: q.orderby.desc };
  }
  return { column: 'o.id', desc: false };
}

function pageSize(def: ResourceDef, q: QueryOptions): number {
  if (q.top === undefined) return def.defaultTop;
  if (q.top < 1 || q.top > def.maxTop)
    throw errors.badRequest(
      `Invalid page size specified: '${q.top}'. Must be between 1 and ${def.maxTop} inclusive.`,
    );
  return q.top;
}

function whereFor(ctx: HandlerContext, spec: ListSpec, q: QueryOptions, params: unknown[]): string {
  const { def } = spec;
  const clauses = ['o.tenant_id = ?', 'o.type = ?', 'o.state = ?'];
  params.push(ctx.dir.tenantId, def.type, spec.state);
  if (spec.parentId !== undefined) {
    clauses.push('o.parent_id = ?');
    params.push(spec.parentId);
  }
  if (spec.principalId !== undefined) {
    clauses.push("json_extract(o.data, '$.principalId') = ?");
    params.push(spec.principalId);
  }
  if (q.filter) {
    for (const p of filterProperties(q.filter))
      if (!def.properties.includes(p)) throw errors.unknownProperty(p, typeName(def));
    clauses.push(filterToSql(q.filter, params));
  }
  if (q.search) clauses.push(searchToSql(q.search, params, def.properties, typeName(def)));
  if (def.type === 'signIn' || def.type === 'directoryAudit') clauses.push('o.sort_time IS NOT NULL');
  return clauses.join(' AND ');
}

/** A collection page: keyset paging on (order column, id) with the cursor in $skiptoken. */
export function listObjects(ctx: HandlerContext, spec: ListSpec, q: QueryOptions): GraphResponse {
  const { def } = spec;
  if (q.skip !== undefined && def.type !== 'conditionalAccessPolicy')
    throw errors.badRequest("'$skip' is not supported by the service.");
  if (def.type === 'signIn') premiumOrThrow(ctx);
  const sel = selection(def, q.select, false, { roles: ctx.caller.roles, premium: ctx.dir.tenant().premium });
  if (!sel.explicit) for (const p of spec.extraDefault ?? []) if (!sel.props.includes(p)) sel.props.push(p);
  const top = pageSize(def, q);
  const order = orderFor(def, q);
  const params: unknown[] = [];
  let where = whereFor(ctx, spec, q, params);
  const countParams = [...params];
  const countWhere = where;
  let offset = 0;
  if (q.skiptoken) {
    const tok = decodeToken(q.skiptoken, ctx.dir.tenantId, 'list');
    const cmp = order.desc ? '<' : '>';
    if (order.column === 'o.id') {
      where += ` AND o.id ${cmp} ?`;
      params.push(String(tok.id));
    } else {
      where += ` AND (${order.column}, o.id) ${cmp} (?, ?)`;
      params.push(tok.v ?? null, String(tok.id));
    }
  } else if (q.skip) offset = q.skip;
  const dir = order.desc ? 'DESC' : 'ASC';
  const orderSql = order.column === 'o.id' ? `o.id ${dir}` : `${order.column} ${dir}, o.id ${dir}`;
  const rows = ctx.dir.db
    .prepare(
      `SELECT o.type, o.id, o.seq, o.state, o.deleted_at, o.parent_id, o.data, ${order.column} AS ord FROM objects o
       WHERE ${where} ORDER BY ${orderSql} LIMIT ? OFFSET ?`,
    )
    .all(...params, top + 1, offset) as (Parameters<typeof toObject>[0] & { ord: unknown })[];
  const more = rows.length > top;
  const page = rows.slice(0, top);
  const body: Json = { '@odata.context': contextUrl(ctx.base, spec.setPath, sel) };
  if (q.count && !q.skiptoken) {
    const row = ctx.dir.db
      .prepare(`SELECT COUNT(*) AS n FROM objects o WHERE ${countWhere}`)
      .get(...countParams) as { n: number };
    body['@odata.count'] = row.n;
  }
  if (more) {
    const last = page[page.length - 1];
    body['@odata.nextLink'] = nextLinkFor(
      ctx,
      '$skiptoken',
      encodeToken({ t: ctx.dir.tenantId, k: 'list', id: last.id, v: last.ord }),
      ['$skip'],
    );
  }
  body.value = page.map((r) => shapeObject(ctx, def, toObject(r), sel, q, spec.withType));
  return { status: 200, body, objects: page.length };
}

export function countObjects(ctx: HandlerContext, spec: ListSpec, q: QueryOptions): GraphResponse {
  if (!q.eventual)
    throw errors.badRequest(
      '$count is not currently supported without the ConsistencyLevel: eventual header.',
    );
  const params: unknown[] = [];
  const where = whereFor(ctx, spec, q, params);
  const row = ctx.dir.db.prepare(`SELECT COUNT(*) AS n FROM objects o WHERE ${where}`).get(...params) as {
    n: number;
  };
  return { status: 200, text: String(row.n), headers: { 'content-type': 'text/plain' } };
}

const MEMBER_TYPES: StoredType[] = [
  'user',
  'group',
  'servicePrincipal',
  'device',
  'application',
  'administrativeUnit',
];

/** /{set}/{id}/members|owners|registeredOwners[/microsoft.graph.{type}] — paged by target id. */
export function listLinked(
  ctx: HandlerContext,
  def: ResourceDef,
  source: StoredObject,
  kind: LinkKind,
  q: QueryOptions,
  cast?: StoredType,
): GraphResponse {
  if (def.noQuery && (q.select || q.filter || q.top !== undefined || q.count || q.search))
    throw errors.badRequest('Query options are not supported on directory role members.');
  const top = def.noQuery ? 999 : pageSize(def, q);
  const params: unknown[] = [ctx.dir.tenantId, kind, source.id];
  let where = 'l.tenant_id = ? AND l.kind = ? AND l.source_id = ? AND l.state = 1 AND o.state = 1';
  if (cast) {
    where += ' AND o.type = ?';
    params.push(cast);
  }
  if (q.filter) where += ` AND ${filterToSql(q.filter, params)}`;
  if (q.search)
    where += ` AND ${searchToSql(
      q.search,
      params,
      MEMBER_TYPES.flatMap((t) => resourceByType(t)?.properties ?? []),
      'microsoft.graph.directoryObject',
    )}`;
  const countParams = [...params];
  const countWhere = where;
  if (q.skiptoken) {
    const tok = decodeToken(q.skiptoken, ctx.dir.tenantId, 'links');
    where += ' AND l.target_id > ?';
    params.push(String(tok.id));
  }
  const rows = ctx.dir.db
    .prepare(
      `SELECT o.type, o.id, o.seq, o.state, o.deleted_at, o.parent_id, o.data FROM links l
       JOIN objects o ON o.tenant_id = l.tenant_id AND o.type = l.target_type AND o.id = l.target_id
       WHERE ${where} ORDER BY l.target_id LIMIT ?`,
    )
    .all(...params, top + 1) as Parameters<typeof toObject>[0][];
  const more = rows.length > top;
  const page = rows.slice(0, top).map(toObject);
  const select = q.select;
  if (select) {
    const known = new Set(MEMBER_TYPES.flatMap((t) => resourceByType(t)?.properties ?? []));
    for (const p of select)
      if (!known.has(p)) throw errors.unknownProperty(p, 'microsoft.graph.directoryObject');
  }
  const body: Json = {
    '@odata.context': `${ctx.base}/$metadata#directoryObjects${select ? `(${['id', ...select.filter((s) => s !== 'id')].join(',')})` : ''}`,
  };
  if (q.count && !q.skiptoken) {
    const row = ctx.dir.db
      .prepare(
        `SELECT COUNT(*) AS n FROM links l JOIN objects o ON o.tenant_id = l.tenant_id AND o.type = l.target_type AND o.id = l.target_id WHERE ${countWhere}`,
      )
      .get(...countParams) as { n: number };
    body['@odata.count'] = row.n;
  }
  if (more)
    body['@odata.nextLink'] = nextLinkFor(
      ctx,
      '$skiptoken',
      encodeToken({ t: ctx.dir.tenantId, k: 'links', id: page[page.length - 1].id }),
    );
  body.value = page.map((o) => {
    const tdef = resourceByType(o.type) as ResourceDef;
    const props = select
      ? ['id', ...select.filter((s) => s !== 'id' && tdef.properties.includes(s))]
      : selection(tdef, undefined, false, { roles: ctx.caller.roles, premium: true }).props;
    return { '@odata.type': tdef.odataType, ...project(o.data, props) };
  });
  return { status: 200, body, objects: page.length };
}

/** /directory/deletedItems/microsoft.graph.{type}: the recycle bin, cast required. */
export function listDeleted(ctx: HandlerContext, def: ResourceDef, q: QueryOptions): GraphResponse {
  purgeExpired(ctx);
  return listObjects(
    ctx,
    {
      def,
      state: SOFT_DELETED,
      setPath: `directory/deletedItems/${typeName(def)}`,
      withType: true,
      extraDefault: ['deletedDateTime'],
    },
    q,
  );
}

export function getDeleted(ctx: HandlerContext, id: string, q: QueryOptions): GraphResponse {
  purgeExpired(ctx);
  if (!isGuid(id)) throw errors.invalidId(id);
  const obj = ctx.dir.getById(id);
  if (!obj || obj.state !== SOFT_DELETED) throw errors.notFound(id);
  const def = resourceByType(obj.type) as ResourceDef;
  const sel = selection(def, q.select, true, { roles: ctx.caller.roles, premium: true });
  if (!sel.explicit && !sel.props.includes('deletedDateTime')) sel.props.push('deletedDateTime');
  return {
    status: 200,
    body: {
      '@odata.context': `${ctx.base}/$metadata#directoryObjects/$entity`,
      '@odata.type': def.odataType,
      ...project(obj.data, sel.props),
    },
    objects: 1,
  };
}

const RETENTION_MS = 30 * 86400_000;

/** Objects in the recycle bin for more than 30 days are purged, as Entra does. */
export function purgeExpired(ctx: HandlerContext): void {
  const cutoff = new Date(ctx.now.getTime() - RETENTION_MS).toISOString();
  const rows = ctx.dir.db
    .prepare('SELECT * FROM objects WHERE tenant_id = ? AND state = 2 AND deleted_at < ?')
    .all(ctx.dir.tenantId, cutoff) as Parameters<typeof toObject>[0][];
  if (!rows.length) return;
  ctx.dir.transaction(() => {
    for (const r of rows) {
      const obj = toObject(r);
      ctx.dir.setState(obj, 0, obj.deletedAt, { id: obj.id });
      for (const l of ctx.dir.linksTo(obj.id))
        if (l.state !== 0) ctx.dir.putLink(l.kind, l.sourceId, l.targetId, l.targetType, 0);
    }
  });
}

/** /users/{id}/authentication/methods: metadata only, derived from the user id (stable). */
export function listAuthMethods(ctx: HandlerContext, user: StoredObject, q: QueryOptions): GraphResponse {
  if (q.select || q.filter || q.top !== undefined || q.expand || q.count || q.search || q.orderby)
    throw errors.badRequest('Query options are not supported on authentication methods.');
  const h = createHash('sha256').update(user.id).digest();
  const created = String(user.data.createdDateTime ?? '2022-01-01T00:00:00Z');
  const methods: Json[] = [
    {
      '@odata.type': '#microsoft.graph.passwordAuthenticationMethod',
      id: '28c10230-6103-485e-b985-444c60001490',
      password: null,
      createdDateTime: created,
    },
  ];
  const hex = h.toString('hex');
  const gid = (n: number) =>
    `${hex.slice(n, n + 8)}-${hex.slice(n + 8, n + 12)}-4${hex.slice(n + 13, n + 16)}-a${hex.slice(n + 17, n + 20)}-${hex.slice(n + 20, n + 32)}`;
  if (h[0] % 10 < 7)
    methods.push({
      '@odata.type': '#microsoft.graph.microsoftAuthenticatorAuthenticationMethod',
      id: gid(0),
      displayName: 'iPhone 15',
      deviceTag: 'SoftwareTokenActivated',
      phoneAppVersion: '6.8.7',
      createdDateTime: created,
    });
  if (h[1] % 10 < 4)
    methods.push({
      '@odata.type': '#microsoft.graph.phoneAuthenticationMethod',
      id: '3179e48a-750b-4051-897c-87b9720928f7',
      phoneNumber: `+1 425555${String(h.readUInt16LE(2) % 10000).padStart(4, '0')}`,
      phoneType: 'mobile',
      smsSignInState: 'notAllowedByPolicy',
    });
  if (h[4] % 10 < 2)
    methods.push({
      '@odata.type': '#microsoft.graph.fido2AuthenticationMethod',
      id: Buffer.from(h.subarray(8, 24)).toString('base64url'),
      displayName: 'YubiKey 5 NFC',
      createdDateTime: created,
      aaGuid: 'cb69481e-8ff7-4039-93ec-0a2729a154a8',
      model: 'YubiKey 5 NFC',
      attestationCertificates: [],
      attestationLevel: 'attested',
    });
  if (h[5] % 10 < 3)
    methods.push({
      '@odata.type': '#microsoft.graph.windowsHelloForBusinessAuthenticationMethod',
      id: Buffer.from(h.subarray(12, 28)).toString('base64url'),
      displayName: 'DESKTOP-HELLO',
      createdDateTime: created,
      keyStrength: 'normal',
    });
  return {
    status: 200,
    body: {
      '@odata.context': `${ctx.base}/$metadata#users('${user.id}')/authentication/methods`,
      value: methods,
    },
    objects: methods.length,
  };
}

export function organization(ctx: HandlerContext): GraphResponse {
  const t = ctx.dir.tenant();
  return {
    status: 200,
    body: {
      '@odata.context': `${ctx.base}/$metadata#organization`,
      value: [
        {
          id: t.tenantId,
          displayName: t.displayName,
          verifiedDomains: [
            {
              capabilities: 'Email, OfficeCommunicationsOnline',
              isDefault: true,
              isInitial: true,
              name: t.domain,
              type: 'Managed',
            },
          ],
          tenantType: 'AAD',
          createdDateTime: t.createdAt,
        },
      ],
    },
    objects: 1,
  };
}

export function assertActiveSource(obj: StoredObject | undefined, id: string): StoredObject {
  if (!obj || obj.state !== ACTIVE) throw errors.notFound(id);
  return obj;
}

export { GraphHttpError };
