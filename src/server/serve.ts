// Starts what a role needs: `web` (bot, tab, API, notifier), `worker` (scheduler, backup and
// restore workers) or `all` (both, plus the dev tenant when no real tenant is configured).
import { hostname } from 'node:os';
import { createBot } from '../../bot/bot-routes.ts';
import { boundHeapGrowth } from '../backup/heap-growth.ts';
import { startScheduler } from '../backup/scheduler.ts';
import { startWorker } from '../backup/worker.ts';
import type { Runtime } from '../cli/cli-deps.ts';
import { type Config, usesDevTenant } from '../config.ts';
import { startNotifier } from '../notify/notifier.ts';
import { startRestorePoller } from '../restore/restore-worker.ts';
import { openRuntime } from '../runtime.ts';
import { ensureTenant } from '../settings/tenant-settings.ts';
import { tabRoutes } from '../tab-api/tab-routes.ts';
import { createHttpServer, listen, type RestifyServer } from './http-server.ts';

export type Role = 'all' | 'web' | 'worker';

export interface ServeHandle {
  runtime: Runtime;
  /** Base URL of the web role (absent for a worker). */
  url?: string;
  /** Every URL worth printing, by name. */
  urls: Record<string, string>;
  close(): Promise<void>;
}

export async function serve(config: Config, role: Role): Promise<ServeHandle> {
  const runtime = await openRuntime(
    { ...config, ROLE: role },
    { startDevTenant: role !== 'worker' || usesDevTenant(config) },
  );
  const stops: (() => Promise<void>)[] = [];
  const urls: Record<string, string> = {};

  // The dev tenant's tenants are onboarded with consent already granted, as after the consent step.
  for (const tenantId of runtime.devTenant?.tenantIds ?? []) {
    const settings = await ensureTenant(runtime.store, tenantId, runtime.now());
    if (settings.consent.backupApp.state === 'unknown') {
      const at = runtime.now().toISOString();
      await runtime.store.putSettings({
        ...settings,
        consent: {
          backupApp: { state: 'granted', at, by: 'dev tenant' },
          restoreApp: { state: 'granted', at, by: 'dev tenant' },
        },
      });
    }
  }

  let server: RestifyServer | undefined;
  let url: string | undefined;
  if (role === 'web' || role === 'all') {
    const bot = createBot(runtime);
    server = await createHttpServer(runtime, [bot.routes, tabRoutes]);
    url = await listen(server, config.PORT, config.HOST);
    const notifier = startNotifier(runtime, bot.connector);
    stops.push(() => notifier.stop());
    const web = server;
    stops.push(() => closeServer(web));
    urls.health = `${url}/healthz`;
    urls.tab = `${url}/tab/`;
    urls.bot = `${url}/api/messages`;
  }

  if (role === 'worker') {
    // A worker answers /healthz only (App Service and probes restart a silent process).
    server = await createHttpServer(runtime, []);
    url = await listen(server, config.PORT, config.HOST);
    const health = server;
    stops.push(() => closeServer(health));
    urls.health = `${url}/healthz`;
  }

  if (role === 'worker' || role === 'all') {
    boundHeapGrowth();
    const workerId = config.WORKER_ID ?? `${hostname()}-${process.pid}`;
    const pollMs = config.WORKER_POLL_SECONDS * 1000;
    const worker = startWorker(runtime, { workerId, pollMs });
    stops.push(() => worker.stop());
    const restores = startRestorePoller(runtime, { workerId, pollMs });
    stops.push(() => restores.stop());
    if (config.SCHEDULER_ENABLED) {
      const scheduler = startScheduler(runtime);
      stops.push(() => scheduler.stop());
      // Schedule at once: a fresh install gets its first backup now, not at the first tick.
      scheduler.tick().catch((err) => runtime.log.warn({ err }, 'first scheduler tick failed'));
    }
  }

  if (runtime.devTenant) {
    // URLs a newcomer can open: the bare issuer and /_dev answer 404, so print the first tenant's
    // OpenID metadata and the control API's tenant list (Graph itself answers 401 without a token).
    const first = runtime.devTenant.tenantIds[0];
    urls.devTenantGraph = `${runtime.devTenant.graphUrl}/v1.0`;
    urls.devTenantAuthority = first
      ? `${runtime.devTenant.authorityUrl}/${first}/v2.0/.well-known/openid-configuration`
      : runtime.devTenant.authorityUrl;
    urls.devTenantControl = `${runtime.devTenant.controlUrl}/tenants`;
  }

  return {
    runtime,
    url,
    urls,
    async close() {
      for (const stop of stops.reverse()) await stop();
      await runtime.close();
    },
  };
}

function closeServer(server: RestifyServer): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    // Keep-alive sockets (the Playground, browsers) would hold close() open.
    server.server.closeAllConnections();
  });
}
