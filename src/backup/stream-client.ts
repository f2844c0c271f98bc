// A stream's view of the run's Graph client: the same client (same gateway, same per-tenant
// concurrency and retries), plus a count of the calls this stream made. With streams running
// concurrently the client's shared `stats` cannot say which stream asked.
import type { GraphClient } from '../graph/gateway.ts';

const CALLS = new Set(['get', 'post', 'patch', 'put', 'delete', 'getPage', 'pages', 'batch']);

export interface StreamClient {
  client: GraphClient;
  /** Graph calls this stream made through `client`. */
  calls(): number;
}

export function streamClient(client: GraphClient): StreamClient {
  let calls = 0;
  const proxy = new Proxy(client, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof prop !== 'string' || !CALLS.has(prop) || typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls++;
        return value.apply(target, args);
      };
    },
  });
  return { client: proxy, calls: () => calls };
}
