// Who am I, the dashboard, Backup now and a run's live progress.

import { z } from 'zod';
import type { RestifyServer } from '../../server/http-server.ts';
import { ensureTenant } from '../../settings/tenant-settings.ts';
import { dashboardSummary } from '../dashboard-summary.ts';
import { type ApiDeps, apiRoute, notFound, parseBody, parseParams, readRoute } from '../http-helpers.ts';
import type { ProductPorts } from '../product-ports.ts';
import { backupBody } from '../schemas.ts';

export function mountStatusRoutes(server: RestifyServer, deps: ApiDeps, ports: ProductPorts): void {
  const { ctx } = deps;

  server.get(
    '/api/tab/me',
    apiRoute(deps, async (_req, caller) => {
      const settings = await ensureTenant(ctx.store, caller.principal.tenantId, ctx.now());
      return {
        tenantId: caller.principal.tenantId,
        tenantName: settings.displayName,
        objectId: caller.principal.objectId,
        displayName: caller.principal.displayName,
        username: caller.username,
        isAdmin: caller.isAdmin,
      };
    }),
  );

  server.get(
    '/api/tab/dashboard',
    readRoute(deps, async (_req, caller) => {
      const settings = await ensureTenant(ctx.store, caller.principal.tenantId, ctx.now());
      return dashboardSummary(ctx, settings);
    }),
  );

  server.post(
    '/api/tab/backups',
    apiRoute(
      deps,
      async (req, caller) => {
        const body = parseBody(backupBody, req);
        const run = await ports.requestBackup(caller.principal, body.types);
        return { runId: run.runId, status: run.status, types: run.types, createdAt: run.createdAt };
      },
      { write: true },
    ),
  );

  server.get(
    '/api/tab/runs/:runId',
    readRoute(deps, async (req, caller) => {
      const { runId } = parseParams(z.object({ runId: z.string().min(1).max(200) }), req);
      const run = await ctx.store.getRun(caller.principal.tenantId, runId);
      if (!run) throw notFound('Run');
      const { lease: _lease, checkpoint: _checkpoint, etag: _etag, ...visible } = run;
      return visible;
    }),
  );
}
