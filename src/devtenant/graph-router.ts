// Maps a /v1.0 request to its handler, the permission it needs and its resource-unit cost.

import { DEFAULT_DELTA_PAGE_SIZE, handleDelta } from './delta.ts';
import { ACTIVE, SOFT_DELETED } from './directory.ts';
import type { GraphResponse, HandlerContext } from './graph-context.ts';
import { errors } from './graph-errors.ts';
import { managerRoute } from './graph-manager.ts';
import { checkMember, getByIds, listMemberOf } from './graph-membership.ts';
import {
  countObjects,
  getDeleted,
  getEntity,
  listAuthMethods,
  listDeleted,
  listLinked,
  listObjects,
  organization,
  purgeExpired,
  resolveActive,
} from './graph-read.ts';
import {
  addPassword,
  checkRefWrite,
  createEntity,
  deleteEntity,
  patchEntity,
  refTarget,
  removePassword,
} from './graph-write.ts';
import { addLink, purgeObject, removeLink, restoreObject } from './mutations.ts';
import { assertNoQuery, parseQuery, type QueryOptions } from './odata-query.ts';
import { project, selection } from './projection.ts';
import {
  DELETED_ITEM_TYPES,
  hasPermission,
  type LinkKind,
  linkReadRule,
  linkWriteRule,
  type PermRule,
  type ResourceDef,
  resourceBySet,
  resourceByType,
  type StoredType,
} from './resources.ts';
import type { RequestCost } from './throttle.ts';

export interface Route {
  /** Checked before the handler runs; handlers check object-dependent permissions themselves. */
  perm?: PermRule;
  cost: RequestCost;
  run(ctx: HandlerContext, q: QueryOptions): GraphResponse;
}

const LINK_KINDS: LinkKind[] = ['members', 'owners', 'registeredOwners'];
const ANY_READ: PermRule = [
  [
    'Directory.Read.All',
    'Directory.ReadWrite.All',
    'User.Read.All',
    'User.ReadWrite.All',
    'Group.Read.All',
    'Application.Read.All',
    'Organization.Read.All',
  ],
];

function need(ctx: HandlerContext, rule: PermRule): void {
  if (!hasPermission(ctx.caller.roles, rule)) throw errors.denied();
}

function castType(segment: string): StoredType | undefined {
  const m = /^microsoft\.graph\.(\w+)$/.exec(segment);
  return m ? (m[1] as StoredType) : undefined;
}

function deletedType(segment: string): ResourceDef {
  const t = castType(segment);
  if (!t || !(DELETED_ITEM_TYPES as readonly string[]).includes(t)) {
    if (segment.startsWith('microsoft.graph.'))
      throw errors.badRequest(`'${segment}' is not a type the recycle bin holds.`);
    throw errors.invalidId(segment);
  }
  return resourceByType(t) as ResourceDef;
}

function writeRule(def: ResourceDef): PermRule {
  return def.write;
}

/** Splits the path into the entity set (longest known prefix) and the rest. */
function splitSet(segments: string[]): { def: ResourceDef; setPath: string; rest: string[] } | undefined {
  for (let n = Math.min(3, segments.length); n >= 1; n--) {
    const setPath = segments.slice(0, n).join('/');
    const def = resourceBySet(setPath);
    if (def && def.type !== 'appRoleAssignment') return { def, setPath, rest: segments.slice(n) };
  }
  return undefined;
}

function baseCost(def: ResourceDef, rest: string[]): number {
  if (rest.length >= 2 && LINK_KINDS.includes(rest[1] as LinkKind)) return 3;
  if (rest.length >= 2 && rest[1] === 'appRoleAssignedTo') return 2;
  return def.cost;
}

const MEMBER_SOURCES: StoredType[] = ['user', 'group', 'device', 'servicePrincipal'];
const PRINCIPAL_TYPES: StoredType[] = ['user', 'group', 'servicePrincipal'];

/** memberOf, transitiveMemberOf, checkMemberGroups/Objects and appRoleAssignments of one object. */
function membershipRoute(
  def: ResourceDef,
  id: string,
  rest: string[],
  method: string,
  cost: (ru: number) => RequestCost,
): Route | undefined {
  const nav = rest[1];
  const readRule: PermRule = [[...def.read[0], 'GroupMember.Read.All', 'GroupMember.ReadWrite.All']];
  if ((nav === 'memberOf' || nav === 'transitiveMemberOf') && MEMBER_SOURCES.includes(def.type)) {
    if (method !== 'GET') throw errors.methodNotAllowed();
    const tail = rest.slice(2);
    const countOnly = tail[tail.length - 1] === '$count';
    const castSegment = tail[0] !== undefined && tail[0] !== '$count' ? tail[0] : undefined;
    const cast = castSegment ? castType(castSegment) : undefined;
    if (tail.length > (countOnly ? 1 : 0) + (castSegment ? 1 : 0) || (castSegment && !cast))
      throw errors.noRoute(castSegment ?? tail.join('/'));
    return {
      perm: readRule,
      cost: cost(1),
      run: (ctx, q) => {
        const source = resolveActive(ctx, def, id);
        return listMemberOf(ctx, source, q, {
          transitive: nav === 'transitiveMemberOf',
          cast,
          countOnly,
        });
      },
    };
  }
  if ((nav === 'checkMemberGroups' || nav === 'checkMemberObjects') && MEMBER_SOURCES.includes(def.type)) {
    if (rest.length !== 2) throw errors.noRoute(rest.join('/'));
    if (method !== 'POST') throw errors.methodNotAllowed();
    // A read action: no write quota.
    return {
      perm: readRule,
      cost: { ru: 1, write: false },
      run: (ctx, q) => {
        assertNoQuery(q, nav);
        return checkMember(ctx, resolveActive(ctx, def, id), nav);
      },
    };
  }
  if (nav === 'appRoleAssignments' && PRINCIPAL_TYPES.includes(def.type)) {
    if (rest.length !== 2) throw errors.noRoute(rest.join('/'));
    if (method !== 'GET') throw errors.methodNotAllowed();
    const ara = resourceByType('appRoleAssignment') as ResourceDef;
    return {
      perm: [[...def.read[0], 'AppRoleAssignment.ReadWrite.All']],
      cost: cost(def.type === 'servicePrincipal' ? 2 : 1),
      run: (ctx, q) => {
        const principal = resolveActive(ctx, def, id);
        return listObjects(
          ctx,
          {
            def: ara,
            state: ACTIVE,
            setPath: `${def.set}('${principal.id}')/appRoleAssignments`,
            principalId: principal.id,
          },
          q,
        );
      },
    };
  }
  return undefined;
}

export function routeGraph(method: string, path: string): Route {
  const segments = path
    .split('/')
    .filter(Boolean)
    .map((s) => decodeURIComponent(s));
  const fail = (): never => {
    throw errors.noRoute(path);
  };
  if (!segments.length) fail();
  const read = method === 'GET';
  const cost = (ru: number, special?: RequestCost['special']): RequestCost => ({
    ru: read ? ru : 1,
    write: !read,
    special,
  });

  if (segments[0] === 'organization' && segments.length === 1 && read)
    return { perm: ANY_READ, cost: cost(1), run: (ctx) => organization(ctx) };

  if (segments[0] === 'directoryObjects' && segments[1] === 'getByIds' && segments.length === 2) {
    if (method !== 'POST') throw errors.methodNotAllowed();
    // A read action: 3 resource units, no write quota.
    return {
      perm: [['Directory.Read.All', 'Directory.ReadWrite.All']],
      cost: { ru: 3, write: false },
      run: (ctx, q) => {
        assertNoQuery(q, 'getByIds');
        return getByIds(ctx);
      },
    };
  }

  if (segments[0] === 'directoryObjects' && segments.length === 2 && read)
    return {
      cost: cost(1),
      run: (ctx, q) => {
        const obj = ctx.dir.getById(segments[1]);
        if (!obj || obj.state !== ACTIVE) throw errors.notFound(segments[1]);
        const def = resourceByType(obj.type) as ResourceDef;
        need(ctx, def.read);
        const sel = selection(def, q.select, true, { roles: ctx.caller.roles, premium: true });
        return {
          status: 200,
          body: {
            '@odata.context': `${ctx.base}/$metadata#directoryObjects/$entity`,
            '@odata.type': def.odataType,
            ...project(obj.data, sel.props),
          },
          objects: 1,
        };
      },
    };

  if (segments[0] === 'directory' && segments[1] === 'deletedItems') {
    const rest = segments.slice(2);
    if (rest.length === 0) {
      return {
        cost: cost(1),
        run: () => {
          throw errors.badRequest(
            'The recycle bin must be listed per type, e.g. /directory/deletedItems/microsoft.graph.user.',
          );
        },
      };
    }
    if (rest.length === 1 && read && rest[0].startsWith('microsoft.graph.')) {
      const def = deletedType(rest[0]);
      return { perm: def.read, cost: cost(1), run: (ctx, q) => listDeleted(ctx, def, q) };
    }
    if (rest.length === 1 && read) {
      return {
        cost: cost(1),
        run: (ctx, q) => {
          const obj = ctx.dir.getById(rest[0]);
          if (obj) need(ctx, (resourceByType(obj.type) as ResourceDef).read);
          return getDeleted(ctx, rest[0], q);
        },
      };
    }
    const deletedObject = (ctx: HandlerContext) => {
      purgeExpired(ctx);
      const obj = ctx.dir.getById(rest[0]);
      if (!obj || obj.state !== SOFT_DELETED) throw errors.notFound(rest[0]);
      need(ctx, writeRule(resourceByType(obj.type) as ResourceDef));
      return obj;
    };
    if (rest.length === 1 && method === 'DELETE')
      return {
        cost: cost(1),
        run: (ctx) => {
          purgeObject(ctx.dir, deletedObject(ctx), ctx.now);
          return { status: 204 };
        },
      };
    if (rest.length === 2 && rest[1] === 'restore' && method === 'POST')
      return {
        cost: cost(1),
        run: (ctx) => {
          const restored = restoreObject(ctx.dir, deletedObject(ctx), ctx.now);
          const def = resourceByType(restored.type) as ResourceDef;
          const sel = selection(def, undefined, true, { roles: ctx.caller.roles, premium: true });
          return {
            status: 200,
            body: {
              '@odata.context': `${ctx.base}/$metadata#directoryObjects/$entity`,
              '@odata.type': def.odataType,
              ...project(restored.data, sel.props),
            },
            objects: 1,
          };
        },
      };
    fail();
  }

  const split = splitSet(
    segments[0] === 'directory' && segments[1] === 'administrativeUnits'
      ? ['administrativeUnits', ...segments.slice(2)]
      : segments,
  );
  if (!split) return fail();
  const { def, rest } = split;
  const setPath = segments[0] === 'directory' ? 'directory/administrativeUnits' : split.setPath;
  const special =
    def.type === 'signIn'
      ? 'signIns'
      : def.type === 'conditionalAccessPolicy'
        ? 'conditionalAccess'
        : undefined;
  const ru = baseCost(def, rest);

  if (rest.length === 0) {
    if (read)
      return {
        perm: def.read,
        cost: cost(ru, special),
        run: (ctx, q) => {
          if (
            def.noQuery &&
            (q.filter || q.top !== undefined || q.count || q.search || q.orderby || q.skiptoken)
          )
            throw errors.badRequest(`Query options other than $select are not supported on ${def.set}.`);
          return listObjects(ctx, { def, state: ACTIVE, setPath }, q);
        },
      };
    if (method === 'POST')
      return { perm: writeRule(def), cost: cost(1, special), run: (ctx) => createEntity(ctx, def) };
    throw errors.methodNotAllowed();
  }

  if (rest.length === 1 && rest[0] === '$count' && read)
    return {
      perm: def.read,
      cost: cost(ru),
      run: (ctx, q) => countObjects(ctx, { def, state: ACTIVE, setPath }, q),
    };

  if (rest.length === 1 && (rest[0] === 'delta' || rest[0] === 'microsoft.graph.delta')) {
    if (!def.delta || !read) fail();
    return {
      perm: def.read,
      cost: cost(ru),
      run: (ctx, q) => handleDelta(ctx, def, q, ctx.deltaPageSize ?? DEFAULT_DELTA_PAGE_SIZE),
    };
  }

  const id = rest[0];
  if (rest.length === 1) {
    if (read)
      return {
        perm: def.read,
        cost: cost(ru, special),
        run: (ctx, q) => getEntity(ctx, def, id, q, setPath),
      };
    if (method === 'PATCH')
      return {
        perm: writeRule(def),
        cost: cost(1, special),
        run: (ctx) => patchEntity(ctx, def, resolveActive(ctx, def, id)),
      };
    if (method === 'DELETE')
      return {
        perm: writeRule(def),
        cost: cost(1, special),
        run: (ctx) => deleteEntity(ctx, def, resolveActive(ctx, def, id)),
      };
    throw errors.methodNotAllowed();
  }

  const nav = rest[1];
  const membership = membershipRoute(def, id, rest, method, cost);
  if (membership) return membership;
  const manager = managerRoute(def, id, rest, method, cost);
  if (manager) return manager;
  if (def.type === 'user' && nav === 'authentication' && rest[2] === 'methods' && rest.length === 3 && read)
    return {
      perm: [['UserAuthenticationMethod.Read.All', 'UserAuthenticationMethod.ReadWrite.All']],
      cost: cost(1),
      run: (ctx, q) => listAuthMethods(ctx, resolveActive(ctx, def, id), q),
    };

  if (
    def.type === 'application' &&
    (nav === 'addPassword' || nav === 'removePassword') &&
    rest.length === 2 &&
    method === 'POST'
  )
    return {
      perm: writeRule(def),
      cost: cost(1),
      run: (ctx) => (nav === 'addPassword' ? addPassword : removePassword)(ctx, resolveActive(ctx, def, id)),
    };

  if (def.type === 'servicePrincipal' && nav === 'appRoleAssignedTo') {
    const ara = resourceByType('appRoleAssignment') as ResourceDef;
    if (rest.length === 2 && read)
      return {
        perm: ara.read,
        cost: cost(2),
        run: (ctx, q) => {
          const sp = resolveActive(ctx, def, id);
          return listObjects(
            ctx,
            {
              def: ara,
              state: ACTIVE,
              setPath: `servicePrincipals('${sp.id}')/appRoleAssignedTo`,
              parentId: sp.id,
            },
            q,
          );
        },
      };
    if (rest.length === 2 && method === 'POST')
      return {
        perm: [['AppRoleAssignment.ReadWrite.All']],
        cost: cost(1),
        run: (ctx) => createEntity(ctx, ara, resolveActive(ctx, def, id)),
      };
    if (rest.length === 3 && method === 'DELETE')
      return {
        perm: [['AppRoleAssignment.ReadWrite.All']],
        cost: cost(1),
        run: (ctx) => {
          const sp = resolveActive(ctx, def, id);
          const a = ctx.dir.get('appRoleAssignment', rest[2]);
          if (!a || a.state !== ACTIVE || a.parentId !== sp.id) throw errors.notFound(rest[2]);
          return deleteEntity(ctx, ara, a);
        },
      };
    fail();
  }

  if (LINK_KINDS.includes(nav as LinkKind) && def.links.includes(nav as LinkKind)) {
    const kind = nav as LinkKind;
    const tail = rest.slice(2);
    if (read && (tail.length === 0 || (tail.length === 1 && (tail[0] === '$count' || castType(tail[0]))))) {
      return {
        perm: linkReadRule(def),
        cost: cost(ru),
        run: (ctx, q) => {
          const source = resolveActive(ctx, def, id);
          if (tail[0] === '$count') {
            if (!q.eventual)
              throw errors.badRequest(
                '$count is not currently supported without the ConsistencyLevel: eventual header.',
              );
            return {
              status: 200,
              text: String(ctx.dir.countLinks(kind, source.id)),
              headers: { 'content-type': 'text/plain' },
            };
          }
          return listLinked(ctx, def, source, kind, q, tail[0] ? castType(tail[0]) : undefined);
        },
      };
    }
    if (tail.length === 1 && tail[0] === '$ref' && method === 'POST')
      return {
        perm: linkWriteRule(def),
        cost: cost(1),
        run: (ctx, q) => {
          assertNoQuery(q, '$ref');
          const source = resolveActive(ctx, def, id);
          checkRefWrite(ctx, source);
          const body = ctx.req.body as Record<string, unknown> | undefined;
          const target = refTarget(ctx, body?.['@odata.id']);
          addLink(ctx.dir, kind, source, target, ctx.now);
          return { status: 204 };
        },
      };
    if (tail.length === 2 && tail[1] === '$ref' && method === 'DELETE')
      return {
        perm: linkWriteRule(def),
        cost: cost(1),
        run: (ctx) => {
          const source = resolveActive(ctx, def, id);
          checkRefWrite(ctx, source);
          removeLink(ctx.dir, kind, source, tail[0], ctx.now);
          return { status: 204 };
        },
      };
  }
  return fail();
}

export { parseQuery };
