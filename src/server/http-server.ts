// The product's HTTP server (restify): /healthz here; the bot, tab and API mount their routes
// through `RouteModule`s so transport stays apart from handlers.
import restify from 'restify';
import type { AppContext } from '../app-context.ts';
import { usesDevTenant } from '../config.ts';

export type RestifyServer = restify.Server;

/** A feature's routes, mounted on the shared server. */
export type RouteModule = (server: RestifyServer, ctx: AppContext) => void | Promise<void>;

export interface HealthReport {
  status: 'ok' | 'degraded';
  role: string;
  store: { kind: string; ok: boolean; error?: string };
  graphBaseUrl: string;
  tokenAuthority: string;
  devTenant: boolean;
}

export async function healthReport(ctx: AppContext): Promise<HealthReport> {
  let storeOk = true;
  let storeError: string | undefined;
  try {
    await ctx.store.ping();
  } catch (error) {
    storeOk = false;
    storeError = error instanceof Error ? error.message : String(error);
  }
  return {
    status: storeOk ? 'ok' : 'degraded',
    role: ctx.config.ROLE,
    store: { kind: ctx.store.kind, ok: storeOk, ...(storeError ? { error: storeError } : {}) },
    graphBaseUrl: ctx.devTenant?.graphUrl ?? ctx.config.GRAPH_BASE_URL ?? 'https://graph.microsoft.com',
    tokenAuthority:
      ctx.devTenant?.authorityUrl ?? ctx.config.AUTHORITY_HOST ?? 'https://login.microsoftonline.com',
    devTenant: usesDevTenant(ctx.config),
  };
}

export async function createHttpServer(ctx: AppContext, modules: RouteModule[]): Promise<RestifyServer> {
  const server = restify.createServer({ name: 'entra-backup', handleUncaughtExceptions: false });
  server.use(restify.plugins.queryParser({ mapParams: false }));
  server.use(restify.plugins.bodyParser({ mapParams: false, maxBodySize: 1024 * 1024, rejectUnknown: true }));

  server.get('/healthz', async (_req, res) => {
    const report = await healthReport(ctx);
    res.json(report.status === 'ok' ? 200 : 503, report);
  });

  for (const mount of modules) await mount(server, ctx);

  server.on('restifyError', (req, _res, err, callback) => {
    ctx.log.warn({ url: req.url, method: req.method, err: err.message }, 'request rejected');
    return callback();
  });
  return server;
}

export function listen(server: RestifyServer, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(
              `PORT ${port} on ${host} is already in use (is \`npm start\` or \`npm run playground\` already running?): stop it or set PORT to a free port`,
            )
          : error,
      );
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve(server.url.replace('[::]', 'localhost').replace('127.0.0.1', 'localhost'));
    });
  });
}
