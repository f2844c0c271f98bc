// The product's AppContext over one TestWorld, with the parts a fault test swaps: Graph reached
// through a proxy (its own CA), a short per-request timeout, another store, a captured logger.
// Everything else is the real product (gateway, store, backup and restore engines).
import type { AppContext } from '../../../src/app-context.ts';
import { ProductEvents } from '../../../src/events.ts';
import { createGraphClientFactory } from '../../../src/graph/graph-client-factory.ts';
import type { Logger } from '../../../src/log.ts';
import type { Store } from '../../../src/store/store.ts';
import type { TestWorld } from '../../helpers/test-world.ts';

export interface ContextOptions {
  /** Graph root without /v1.0 (default: the dev tenant's). */
  graphUrl?: string;
  /** CA of `graphUrl` (default: the dev tenant's). */
  graphCaPem?: string;
  /** Token issuer (default: the dev tenant's); must be served with a certificate `graphCaPem` trusts. */
  authorityUrl?: string;
  store?: Store;
  logger?: Logger;
  requestTimeoutMs?: number;
  maxAttempts?: number;
}

export function productContext(
  world: TestWorld,
  options: ContextOptions = {},
): AppContext & { close(): void } {
  const dev = world.devTenant;
  const log = options.logger ?? world.ctx.log;
  const graph = createGraphClientFactory({
    graphBaseUrl: `${options.graphUrl ?? dev.graphUrl}/v1.0`,
    authorityHost: options.authorityUrl ?? dev.authorityUrl,
    backup: dev.apps.backup,
    restore: dev.apps.restore,
    caPem: options.graphCaPem ?? dev.caPem,
    maxAttempts: options.maxAttempts ?? 10,
    concurrency: 4,
    logger: log,
    baseRetryDelayMs: 20,
    maxRetryDelayMs: 500,
    ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
  });
  return {
    ...world.ctx,
    log,
    graph,
    store: options.store ?? world.ctx.store,
    events: new ProductEvents(),
    close: () => graph.close(),
  };
}
