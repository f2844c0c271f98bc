// Export: a ZIP of JSON at tenant, type or object level (the CLI's export), built in the
// background with progress the page polls, then downloaded once ready. Jobs live in memory for
// an hour; each is bound to the tenant that started it.
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { RestifyServer } from '../../server/http-server.ts';
import { type ApiDeps, apiRoute, notFound, parseBody, parseParams } from '../http-helpers.ts';
import type { ExportTarget, ProductPorts } from '../product-ports.ts';
import { exportBody } from '../schemas.ts';

interface ExportJob {
  exportId: string;
  tenantId: string;
  target: ExportTarget;
  status: 'running' | 'ready' | 'failed';
  done: number;
  total: number;
  file: string;
  bytes?: number;
  error?: string;
  startedAt: string;
  finishedAt?: string;
}

const JOB_TTL_MS = 60 * 60_000;

export function mountExportRoutes(server: RestifyServer, deps: ApiDeps, ports: ProductPorts): void {
  const { ctx } = deps;
  const jobs = new Map<string, ExportJob>();
  const dir = path.resolve(ctx.config.DATA_DIR, 'exports');

  const prune = () => {
    const cutoff = Date.now() - JOB_TTL_MS;
    for (const [id, job] of jobs) {
      if (Date.parse(job.startedAt) < cutoff) {
        jobs.delete(id);
        void rm(job.file, { force: true });
      }
    }
  };

  const view = (job: ExportJob) => {
    const { file: _file, tenantId: _tenantId, ...rest } = job;
    return rest;
  };

  server.post(
    '/api/tab/exports',
    apiRoute(
      deps,
      async (req, caller) => {
        prune();
        const target = parseBody(exportBody, req);
        await mkdir(dir, { recursive: true });
        const exportId = randomUUID();
        const job: ExportJob = {
          exportId,
          tenantId: caller.principal.tenantId,
          target,
          status: 'running',
          done: 0,
          total: 0,
          file: path.join(dir, `${exportId}.zip`),
          startedAt: ctx.now().toISOString(),
        };
        jobs.set(exportId, job);
        ports
          .exportZip(caller.principal, target, job.file, (p) => {
            job.done = p.done;
            job.total = p.total;
          })
          .then(async () => {
            job.bytes = (await stat(job.file)).size;
            job.status = 'ready';
            job.finishedAt = ctx.now().toISOString();
          })
          .catch((error: unknown) => {
            job.status = 'failed';
            job.error = error instanceof Error ? error.message : String(error);
            ctx.log.warn({ err: job.error, exportId }, 'tab export failed');
          });
        return view(job);
      },
      { write: true },
    ),
  );

  const loadJob = (tenantId: string, id: string) => {
    const job = jobs.get(id);
    // Another tenant's export id is answered exactly like an unknown one.
    if (!job || job.tenantId !== tenantId) throw notFound('That export');
    return job;
  };
  const idParams = z.object({ id: z.uuid() });

  server.get(
    '/api/tab/exports/:id',
    apiRoute(deps, async (req, caller) => {
      const { id } = parseParams(idParams, req);
      return view(loadJob(caller.principal.tenantId, id));
    }),
  );

  server.get(
    '/api/tab/exports/:id/download',
    apiRoute(deps, async (req, caller, res) => {
      const { id } = parseParams(idParams, req);
      const job = loadJob(caller.principal.tenantId, id);
      if (job.status !== 'ready') throw notFound('A finished export');
      const label =
        job.target.level === 'tenant'
          ? 'tenant'
          : `${job.target.objectType}${job.target.objectId ? `-${job.target.objectId}` : ''}`;
      res.writeHead(200, {
        'Content-Type': 'application/zip',
        'Content-Length': job.bytes ?? 0,
        'Content-Disposition': `attachment; filename="entra-backup-${label}.zip"`,
        'Cache-Control': 'no-store',
      });
      await new Promise<void>((resolve, reject) => {
        createReadStream(job.file).on('error', reject).on('end', resolve).pipe(res);
      });
      return undefined;
    }),
  );
}
