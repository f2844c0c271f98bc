// Restore requests: preview (plan), request, approve / reject / cancel through the approval
// service the bot uses, the result as JSON or CSV, and undo. The tenant is always the caller's.

import { z } from 'zod';
import { parseRestoreRequest, type RestoreRequest } from '../../restore/restore-types.ts';
import { restoreResultCsv, restoreResultJson } from '../../restore/result-export.ts';
import type { RestifyServer } from '../../server/http-server.ts';
import type { RestoreRecord, RestoreStatus } from '../../store/store.ts';
import {
  type ApiDeps,
  apiRoute,
  type Caller,
  HttpError,
  notFound,
  parseBody,
  parseParams,
  parseQuery,
} from '../http-helpers.ts';
import type { ProductPorts } from '../product-ports.ts';
import { assertRestoreTarget, listRestoreTargets } from '../restore-targets.ts';
import { decisionBody, restoreBody, restoreId, restoreListQuery } from '../schemas.ts';
import { restoreView } from './restore-view.ts';

const STATUSES: RestoreStatus[] = [
  'pending',
  'approved',
  'rejected',
  'cancelled',
  'expired',
  'running',
  'succeeded',
  'partial',
  'failed',
];

export function mountRestoreRoutes(server: RestifyServer, deps: ApiDeps, ports: ProductPorts): void {
  const { ctx } = deps;
  const idParams = z.object({ id: restoreId });

  const toRequest = async (
    req: { body?: unknown },
    caller: Caller,
    refusedAction: 'restore.preview-refused' | 'restore.request-refused',
  ): Promise<RestoreRequest> => {
    const body = restoreBody.parse(req.body ?? {});
    // The source tenant comes from the token; a target tenant only where the caller is an admin.
    await assertRestoreTarget(deps, caller, body.options, refusedAction);
    return parseRestoreRequest({
      tenantId: caller.principal.tenantId,
      objects: body.objects,
      at: body.at ?? ctx.now().toISOString(),
      options: body.options,
    });
  };

  server.get(
    '/api/tab/restores/targets',
    apiRoute(deps, async (_req, caller) => listRestoreTargets(deps, caller)),
  );

  server.post(
    '/api/tab/restores/preview',
    apiRoute(deps, async (req, caller) => {
      const request = await toRequest(req, caller, 'restore.preview-refused');
      return { plan: await ports.planRestore(request) };
    }),
  );

  server.post(
    '/api/tab/restores',
    apiRoute(
      deps,
      async (req, caller) => {
        const request = await toRequest(req, caller, 'restore.request-refused');
        const record = await ports.requestRestore(caller.principal, request);
        return restoreView(record, caller.principal, caller.isAdmin);
      },
      { write: true },
    ),
  );

  server.get(
    '/api/tab/restores',
    apiRoute(deps, async (req, caller) => {
      const q = parseQuery(restoreListQuery, req);
      const wanted = q.status?.split(',').filter(Boolean) ?? [];
      const bad = wanted.filter((s) => !STATUSES.includes(s as RestoreStatus));
      if (bad.length) throw new HttpError(400, 'invalid_request', `status: unknown value ${bad.join(', ')}`);
      const records = await ctx.store.listRestores(caller.principal.tenantId, {
        status: wanted.length ? (wanted as RestoreStatus[]) : undefined,
        limit: q.limit ?? 100,
      });
      return { items: records.map((r) => restoreView(r, caller.principal, caller.isAdmin)) };
    }),
  );

  const load = async (tenantId: string, id: string): Promise<RestoreRecord> => {
    const record = await ctx.store.getRestore(tenantId, id);
    if (!record) throw notFound('That restore request');
    return record;
  };

  server.get(
    '/api/tab/restores/:id',
    apiRoute(deps, async (req, caller) => {
      const { id } = parseParams(idParams, req);
      const record = await load(caller.principal.tenantId, id);
      return {
        ...restoreView(record, caller.principal, caller.isAdmin),
        plan: record.plan,
        result: record.result,
        stepResults: record.stepResults,
      };
    }),
  );

  server.post(
    '/api/tab/restores/:id/decision',
    apiRoute(
      deps,
      async (req, caller) => {
        const { id } = parseParams(idParams, req);
        const body = parseBody(decisionBody, req);
        await load(caller.principal.tenantId, id);
        const record = await ports.decideRestore(caller.principal, id, body.decision, body.comment);
        return restoreView(record, caller.principal, caller.isAdmin);
      },
      { write: true },
    ),
  );

  server.post(
    '/api/tab/restores/:id/undo',
    apiRoute(
      deps,
      async (req, caller) => {
        const { id } = parseParams(idParams, req);
        await load(caller.principal.tenantId, id);
        const record = await ports.requestUndo(caller.principal, id);
        return restoreView(record, caller.principal, caller.isAdmin);
      },
      { write: true },
    ),
  );

  server.get(
    '/api/tab/restores/:id/result',
    apiRoute(deps, async (req, caller, res) => {
      const { id } = parseParams(idParams, req);
      const { format } = parseQuery(z.object({ format: z.enum(['json', 'csv']).default('json') }), req);
      const record = await load(caller.principal.tenantId, id);
      const name = `restore-${id}-result.${format}`;
      const body = format === 'csv' ? restoreResultCsv(record) : restoreResultJson(record);
      res.writeHead(200, {
        'Content-Type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8',
        'Content-Disposition': `attachment; filename="${name}"`,
        'Cache-Control': 'no-store',
      });
      res.end(body);
      return undefined;
    }),
  );
}
