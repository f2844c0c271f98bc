// The audit log, newest first, filterable by person and action (prefix with a trailing '*').
import type { RestifyServer } from '../../server/http-server.ts';
import { type ApiDeps, parseQuery, readRoute } from '../http-helpers.ts';
import { auditQuery } from '../schemas.ts';

export function mountAuditRoutes(server: RestifyServer, deps: ApiDeps): void {
  const { ctx } = deps;

  server.get(
    '/api/tab/audit',
    readRoute(deps, async (req, caller) => {
      const q = parseQuery(auditQuery, req);
      const page = await ctx.store.listAudit(caller.principal.tenantId, {
        actorId: q.actor || undefined,
        action: q.action || undefined,
        limit: q.limit ?? 50,
        continuation: q.continuation,
      });
      return {
        items: page.items.map((e) => ({
          seq: e.seq,
          at: e.at,
          actor: { objectId: e.actor.objectId, displayName: e.actor.displayName, kind: e.actor.kind },
          action: e.action,
          target: e.target,
          details: e.details,
        })),
        continuation: page.continuation,
      };
    }),
  );

  /** People and actions seen in the recent log, for the filter menus. */
  server.get(
    '/api/tab/audit/facets',
    readRoute(deps, async (_req, caller) => {
      const page = await ctx.store.listAudit(caller.principal.tenantId, { limit: 1000 });
      const actors = new Map<string, string>();
      const actions = new Set<string>();
      for (const e of page.items) {
        actors.set(e.actor.objectId, e.actor.displayName ?? e.actor.objectId);
        actions.add(e.action);
      }
      return {
        actors: [...actors].map(([objectId, displayName]) => ({ objectId, displayName })),
        actions: [...actions].sort(),
      };
    }),
  );
}
