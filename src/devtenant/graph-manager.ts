// A user's manager and direct reports: GET /users/{id}/manager, PUT and DELETE
// /users/{id}/manager/$ref, GET /users/{id}/directReports. The manager is a link (kind
// 'manager', user → user), so users delta with $select=manager reports it as manager@delta.
import type { GraphResponse, HandlerContext } from './graph-context.ts';
import { errors } from './graph-errors.ts';
import { resolveActive } from './graph-read.ts';
import type { Route } from './graph-router.ts';
import { refTarget } from './graph-write.ts';
import { directReportsOf, managerOf, removeManager, setManager } from './mutations.ts';
import { assertNoQuery } from './odata-query.ts';
import { project, selection } from './projection.ts';
import type { ResourceDef } from './resources.ts';
import type { RequestCost } from './throttle.ts';

function asDirectoryObject(ctx: HandlerContext, def: ResourceDef, data: Record<string, unknown>) {
  const sel = selection(def, undefined, false, { roles: ctx.caller.roles, premium: true });
  return { '@odata.type': def.odataType, ...project(data, sel.props) };
}

/** Routes of `/users/{id}/manager…` and `/users/{id}/directReports`, or undefined. */
export function managerRoute(
  def: ResourceDef,
  id: string,
  rest: string[],
  method: string,
  cost: (ru: number) => RequestCost,
): Route | undefined {
  if (def.type !== 'user') return undefined;
  const nav = rest[1];
  if (nav === 'manager' && rest.length === 2 && method === 'GET')
    return {
      perm: def.read,
      cost: cost(1),
      run: (ctx): GraphResponse => {
        const manager = managerOf(ctx.dir, resolveActive(ctx, def, id).id);
        if (!manager) throw errors.notFound('manager');
        return {
          status: 200,
          body: {
            '@odata.context': `${ctx.base}/$metadata#directoryObjects/$entity`,
            ...asDirectoryObject(ctx, def, manager.data),
          },
          objects: 1,
        };
      },
    };
  if (nav === 'manager' && rest.length === 3 && rest[2] === '$ref') {
    if (method === 'PUT')
      return {
        perm: def.write,
        cost: cost(1),
        run: (ctx, q) => {
          assertNoQuery(q, '$ref');
          const user = resolveActive(ctx, def, id);
          const body = ctx.req.body as Record<string, unknown> | undefined;
          setManager(ctx.dir, user, refTarget(ctx, body?.['@odata.id']), ctx.now);
          return { status: 204 };
        },
      };
    if (method === 'DELETE')
      return {
        perm: def.write,
        cost: cost(1),
        run: (ctx) => {
          removeManager(ctx.dir, resolveActive(ctx, def, id), ctx.now);
          return { status: 204 };
        },
      };
    throw errors.methodNotAllowed();
  }
  if (nav === 'directReports' && rest.length === 2) {
    if (method !== 'GET') throw errors.methodNotAllowed();
    return {
      perm: def.read,
      cost: cost(1),
      run: (ctx) => {
        const reports = directReportsOf(ctx.dir, resolveActive(ctx, def, id).id);
        return {
          status: 200,
          body: {
            '@odata.context': `${ctx.base}/$metadata#directoryObjects`,
            value: reports.map((r) => asDirectoryObject(ctx, def, r.data)),
          },
          objects: reports.length,
        };
      },
    };
  }
  return undefined;
}
