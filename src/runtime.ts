// Builds the product's AppContext from the configuration: the one place where the store, the
// Graph gateway and (with no real tenant configured) the dev tenant are put together.
import net from 'node:net';
import path from 'node:path';
import type { Runtime } from './cli/cli-deps.ts';
import { type Config, ConfigError, loadConfig, usesDevTenant } from './config.ts';
import { type DevTenant, startDevTenant } from './devtenant/dev-tenant.ts';
import { devCredentialsPath, readDevCredentials } from './devtenant/issuer-dev-credentials.ts';
import { loadOrCreateLoopbackCert } from './devtenant/tls.ts';
import { ProductEvents } from './events.ts';
import { createGraphClientFactory } from './graph/graph-client-factory.ts';
import type { GraphGatewayOptions } from './graph/graph-gateway-options.ts';
import { createLogger, type Logger } from './log.ts';
import { openStore } from './store/open-store.ts';
import type { Store } from './store/store.ts';

export interface OpenRuntimeOptions {
  /**
   * With no real tenant configured: start the dev tenant in this process when it is not already
   * served on its configured ports (default true). Off: connect to the running one or fail.
   */
  startDevTenant?: boolean;
  logger?: Logger;
  /** Overrides for tests (clock, a store already open). */
  now?: () => Date;
  store?: Store;
}

/** Where the dev tenant keeps its state, credentials and certificate. */
export function devTenantDir(config: Config): string {
  return path.resolve(config.DATA_DIR, 'devtenant');
}

export async function openRuntime(
  config: Config = loadConfig(),
  options: OpenRuntimeOptions = {},
): Promise<Runtime> {
  const log = options.logger ?? createLogger(config.LOG_LEVEL);
  const now = options.now ?? (() => new Date());
  const closers: (() => Promise<void>)[] = [];

  let graphOptions: Omit<GraphGatewayOptions, 'maxAttempts' | 'concurrency' | 'logger'>;
  let devTenantInfo: Runtime['devTenant'];
  let startedDevTenant: DevTenant | undefined;
  if (usesDevTenant(config)) {
    const dev = await connectDevTenant(config, log, options.startDevTenant ?? true);
    startedDevTenant = dev.started;
    if (dev.started) closers.push(() => dev.started!.stop());
    graphOptions = dev.graph;
    devTenantInfo = dev.info;
  } else {
    graphOptions = {
      graphBaseUrl: `${(config.GRAPH_BASE_URL ?? 'https://graph.microsoft.com').replace(/\/$/, '')}/v1.0`,
      authorityHost: config.AUTHORITY_HOST ?? 'https://login.microsoftonline.com',
      backup: await appCredentials(
        config.BACKUP_CLIENT_ID!,
        config.BACKUP_CLIENT_SECRET,
        config.BACKUP_CERT_PATH,
        'BACKUP_CERT_PATH',
      ),
      restore: config.RESTORE_CLIENT_ID
        ? await appCredentials(
            config.RESTORE_CLIENT_ID,
            config.RESTORE_CLIENT_SECRET,
            config.RESTORE_CERT_PATH,
            'RESTORE_CERT_PATH',
          )
        : undefined,
    };
  }

  const store =
    options.store ??
    (await openStore({
      dataDir: config.DATA_DIR,
      cosmos: config.COSMOS_ENDPOINT
        ? { endpoint: config.COSMOS_ENDPOINT, key: config.COSMOS_KEY, database: config.COSMOS_DATABASE }
        : undefined,
      logger: log,
      now,
    }));
  if (!options.store) closers.push(() => store.close());

  const graph = createGraphClientFactory({
    ...graphOptions,
    maxAttempts: config.GRAPH_MAX_ATTEMPTS,
    concurrency: config.GRAPH_CONCURRENCY,
    logger: log,
  });

  return {
    config,
    log,
    store,
    graph,
    events: new ProductEvents(),
    now,
    devTenant: devTenantInfo,
    devTenantHandle: startedDevTenant,
    async close() {
      for (const close of closers.reverse()) await close();
    },
  };
}

async function appCredentials(
  clientId: string,
  secret: string | undefined,
  certPath: string | undefined,
  certVar: string,
) {
  if (secret) return { clientId, clientSecret: secret };
  if (!certPath)
    throw new ConfigError(`Invalid configuration:\n  ${certVar}: required (or the client secret)`);
  const { readFile } = await import('node:fs/promises');
  const pem = await readFile(certPath, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new ConfigError(
      `Invalid configuration:\n  ${certVar}: cannot read ${certPath} (${error.code ?? error.message})`,
    );
  });
  return { clientId, certificate: { privateKeyPem: pem, certificatePem: pem } };
}

interface DevConnection {
  started?: DevTenant;
  graph: Omit<GraphGatewayOptions, 'maxAttempts' | 'concurrency' | 'logger'>;
  info: NonNullable<Runtime['devTenant']>;
}

/**
 * The dev tenant on its configured ports: reuse it when a running product already serves it
 * (so delta links stored by one process stay valid for the next), else start it here.
 */
async function connectDevTenant(config: Config, log: Logger, mayStart: boolean): Promise<DevConnection> {
  const dir = devTenantDir(config);
  const host = '127.0.0.1';
  // Port 0 (tests): always a private dev tenant on ephemeral ports.
  const running = config.DEV_TENANT_GRAPH_PORT !== 0 && (await portOpen(host, config.DEV_TENANT_GRAPH_PORT));
  if (running || !mayStart) {
    if (!running) {
      throw new Error(
        `The dev tenant is not running on ${host}:${config.DEV_TENANT_GRAPH_PORT}: start the product (npm start) or run this verb without --no-dev-tenant`,
      );
    }
    const credentials = readDevCredentials(devCredentialsPath(dir));
    if (!credentials)
      throw new Error(`No dev tenant credentials in ${devCredentialsPath(dir)}: start the product once`);
    const tls = await loadOrCreateLoopbackCert(dir);
    const graphUrl = `https://${host}:${config.DEV_TENANT_GRAPH_PORT}`;
    const authorityUrl = `https://${host}:${config.DEV_TENANT_LOGIN_PORT}`;
    return {
      graph: {
        graphBaseUrl: `${graphUrl}/v1.0`,
        authorityHost: authorityUrl,
        backup: credentials.backup,
        restore: credentials.restore,
        caPem: tls.caPem,
      },
      info: { graphUrl, authorityUrl, controlUrl: `${graphUrl}/_dev`, tenantIds: [], caPem: tls.caPem },
    };
  }
  const dev = await startDevTenant({
    dataDir: dir,
    host,
    graphPort: config.DEV_TENANT_GRAPH_PORT,
    loginPort: config.DEV_TENANT_LOGIN_PORT,
    seed: {
      seed: config.DEV_TENANT_SEED,
      users: config.DEV_TENANT_USERS,
      tenants: config.DEV_TENANT_TENANTS,
    },
    logger: log,
  });
  return {
    started: dev,
    graph: {
      graphBaseUrl: `${dev.graphUrl}/v1.0`,
      authorityHost: dev.authorityUrl,
      backup: dev.apps.backup,
      restore: dev.apps.restore,
      caPem: dev.caPem,
    },
    info: {
      graphUrl: dev.graphUrl,
      authorityUrl: dev.authorityUrl,
      controlUrl: dev.controlUrl,
      tenantIds: dev.tenants.map((t) => t.tenantId),
      caPem: dev.caPem,
    },
  };
}

function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(500);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}
