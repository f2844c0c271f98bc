// A whole local world for a test: a private dev tenant (Graph simulator + token issuer over
// HTTPS on ephemeral loopback ports, seeded small), the product's real SQLite store (or the
// Cosmos-protocol server) in a temporary DATA_DIR, and the real Graph gateway: the AppContext the
// product itself runs with. Nothing is faked.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AppContext } from '../../src/app-context.ts';
import type { Runtime } from '../../src/cli/cli-deps.ts';
import { loadConfig } from '../../src/config.ts';
import type { DevTenant } from '../../src/devtenant/dev-tenant.ts';
import { createLogger } from '../../src/log.ts';
import { openRuntime } from '../../src/runtime.ts';
import { openStore } from '../../src/store/open-store.ts';
import { startCosmosServer } from './cosmos-server.ts';

export interface TestWorldOptions {
  /** Users in each seeded tenant (default 30). */
  users?: number;
  seed?: string;
  /** Seeded tenants (default 1). */
  tenants?: number;
  store?: 'sqlite' | 'cosmos';
  /** Extra environment (e.g. BOT_APP_ID) merged over the test defaults. */
  env?: Record<string, string>;
  now?: () => Date;
}

export interface TestWorld {
  ctx: AppContext;
  runtime: Runtime;
  devTenant: DevTenant;
  /** The first seeded tenant. */
  tenantId: string;
  dataDir: string;
  close(): Promise<void>;
}

export async function createTestWorld(options: TestWorldOptions = {}): Promise<TestWorld> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'entra-backup-test-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DEV_TENANT_GRAPH_PORT: '0',
    DEV_TENANT_LOGIN_PORT: '0',
    DEV_TENANT_USERS: String(options.users ?? 30),
    DEV_TENANT_SEED: options.seed ?? 'contoso',
    DEV_TENANT_TENANTS: String(options.tenants ?? 1),
    SCHEDULER_ENABLED: 'false',
    ...options.env,
  });
  const logger = createLogger(config.LOG_LEVEL);
  const closers: (() => Promise<void>)[] = [];

  let store: Awaited<ReturnType<typeof openStore>> | undefined;
  if (options.store === 'cosmos') {
    const cosmos = await startCosmosServer();
    closers.push(() => cosmos.stop());
    store = await openStore({
      dataDir,
      cosmos: {
        endpoint: cosmos.endpoint,
        key: cosmos.key,
        database: `test-${path.basename(dataDir)}`,
        caPem: cosmos.caPem,
      },
      logger,
      now: options.now,
    });
    const opened = store;
    closers.push(() => opened.close());
  }

  const runtime = await openRuntime(config, { logger, now: options.now, store, startDevTenant: true });
  const devTenant = runtime.devTenantHandle;
  if (!devTenant) throw new Error('test world: the dev tenant did not start');
  return {
    ctx: runtime,
    runtime,
    devTenant,
    tenantId: devTenant.tenants[0].tenantId,
    dataDir,
    async close() {
      await runtime.close();
      for (const close of closers.reverse()) await close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
