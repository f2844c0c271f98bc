// What every part of the running product is given: one object, built once by src/runtime.ts.
import type { Config } from './config.ts';
import type { ProductEvents } from './events.ts';
import type { GraphClientFactory } from './graph/gateway.ts';
import type { Logger } from './log.ts';
import type { Store } from './store/store.ts';

export interface AppContext {
  config: Config;
  log: Logger;
  store: Store;
  graph: GraphClientFactory;
  events: ProductEvents;
  /** Injected so tests can move time (expiry, schedules, retention). */
  now: () => Date;
  /** Set when the dev tenant runs in this process. */
  devTenant?: {
    graphUrl: string;
    authorityUrl: string;
    controlUrl: string;
    tenantIds: string[];
    /** The dev tenant's loopback CA, trusted only by the product's own HTTPS agents. */
    caPem: string;
  };
}
