// The Graph gateway's entry point: createGraphClientFactory(options) gives GraphClients per
// tenant for the backup app (read-only) and the restore app. Token providers, graph-client
// instances, the HTTPS agent and the per-tenant concurrency limit are shared; each
// forBackup()/forRestore() call returns a client with fresh stats (one per run).
import { Client, type Middleware } from '@microsoft/microsoft-graph-client';
import { BearerTokenMiddleware } from './bearer-token-middleware.ts';
import { ConcurrencyMiddleware, Semaphore } from './concurrency-limiter.ts';
import type { GraphClient, GraphClientFactory } from './gateway.ts';
import { GatewayGraphClient } from './graph-client.ts';
import {
  DEFAULT_GRAPH_SCOPE,
  type GraphAppCredentials,
  type GraphGatewayOptions,
} from './graph-gateway-options.ts';
import { createHttpsAgent } from './https-fetch.ts';
import { HttpsTransportMiddleware } from './https-transport-middleware.ts';
import { RequestUrlMiddleware } from './request-url-middleware.ts';
import { RetryMiddleware, type RetryPolicy } from './retry-middleware.ts';
import { MsalAppTokenProvider } from './token-provider.ts';

export interface GatewayGraphClientFactory extends GraphClientFactory {
  /** Closes pooled connections (tests, shutdown). */
  close(): void;
}

const TENANT_ID = /^[A-Za-z0-9][A-Za-z0-9.-]{0,253}$/;

export function createGraphClientFactory(options: GraphGatewayOptions): GatewayGraphClientFactory {
  const base = new URL(options.graphBaseUrl);
  if (base.protocol !== 'https:') {
    // The graph client treats only https:// URLs as absolute (http mangles nextLinks).
    throw new Error(`graphBaseUrl must be https: ${options.graphBaseUrl}`);
  }
  const graphBaseUrl = options.graphBaseUrl.replace(/\/+$/, '');
  const version = base.pathname.replace(/^\/+|\/+$/g, '');
  if (!version)
    throw new Error(
      `graphBaseUrl must include the version, e.g. https://graph.microsoft.com/v1.0: ${options.graphBaseUrl}`,
    );
  if (!Number.isInteger(options.maxAttempts) || options.maxAttempts < 1)
    throw new Error(`maxAttempts must be >= 1, got ${options.maxAttempts}`);
  assertCredentials('backup', options.backup);
  if (options.restore) assertCredentials('restore', options.restore);

  const agent = createHttpsAgent(options.caPem);
  const retry: RetryPolicy = {
    sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    random: options.random ?? Math.random,
    baseDelayMs: options.baseRetryDelayMs ?? 1000,
    maxDelayMs: options.maxRetryDelayMs ?? 60_000,
  };
  const limiters = new Map<string, Semaphore>();
  const clients = new Map<string, { sdk: Client; tokens: MsalAppTokenProvider }>();

  const limiterFor = (tenantId: string) => {
    let limiter = limiters.get(tenantId);
    if (!limiter) {
      limiter = new Semaphore(options.concurrency);
      limiters.set(tenantId, limiter);
    }
    return limiter;
  };

  const clientFor = (tenantId: string, app: GraphAppCredentials): GraphClient => {
    if (!TENANT_ID.test(tenantId))
      throw new Error(`Invalid tenant id '${tenantId}': expected a GUID or a domain`);
    const tenantKey = tenantId.toLowerCase();
    const cacheKey = `${tenantKey}|${app.clientId}`;
    let entry = clients.get(cacheKey);
    if (!entry) {
      const tokens = new MsalAppTokenProvider(tenantId, app, {
        authorityHost: options.authorityHost,
        agent,
        scope: options.graphScope ?? DEFAULT_GRAPH_SCOPE,
        logger: options.logger,
        // Transient token failures back off like Graph requests, with fewer tries.
        retry,
        maxAttempts: Math.min(options.maxAttempts, 5),
        ...(options.requestTimeoutMs ? { timeoutMs: options.requestTimeoutMs } : {}),
      });
      const chain: Middleware[] = [
        new RequestUrlMiddleware(),
        new RetryMiddleware(retry, options.logger),
        new BearerTokenMiddleware(tokens, base.origin),
        new ConcurrencyMiddleware(limiterFor(tenantKey)),
        new HttpsTransportMiddleware(agent, options.requestTimeoutMs ?? 100_000),
      ];
      const sdk = Client.initWithMiddleware({
        middleware: chain,
        baseUrl: base.origin,
        defaultVersion: version,
      });
      entry = { sdk, tokens };
      clients.set(cacheKey, entry);
    }
    return new GatewayGraphClient({
      tenantId,
      graphBaseUrl,
      sdk: entry.sdk,
      tokens: entry.tokens,
      maxAttempts: options.maxAttempts,
      retry,
    });
  };

  return {
    forBackup: (tenantId) => clientFor(tenantId, options.backup),
    forRestore: (tenantId) => clientFor(tenantId, options.restore ?? options.backup),
    close: () => agent.destroy(),
  };
}

function assertCredentials(name: string, app: GraphAppCredentials): void {
  if (!app.clientId) throw new Error(`Graph gateway: the ${name} app has no clientId`);
  if (!app.clientSecret && !app.certificate) {
    throw new Error(`Graph gateway: the ${name} app ${app.clientId} needs a client secret or a certificate`);
  }
}
