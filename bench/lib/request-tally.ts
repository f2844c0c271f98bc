// Counts the Graph requests a backup run makes per endpoint (users/delta, groups/delta,
// auditLogs/signIns, $batch…): wraps the AppContext's client factory, so a run's total can be
// split by stream and an extra request named. Each page read, GET and $batch chunk of 20 is one
// request (the gateway's own retries are in its stats, not here: the run record counts them).
import type { AppContext } from '../../src/app-context.ts';
import type { GraphClient, GraphRequestOptions } from '../../src/graph/gateway.ts';

/** '/v1.0/users/delta?$deltatoken=…' or an absolute link → 'users/delta'; ids become '{id}'. */
export function endpointOf(pathOrUrl: string): string {
  let path = pathOrUrl;
  try {
    if (/^https?:/i.test(path)) path = new URL(path).pathname;
  } catch {
    // Not a URL: keep it as a path.
  }
  return path
    .split('?')[0]
    .replace(/^\/(v1\.0|beta)(?=\/)/, '')
    .replace(/^\/+/, '')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '{id}');
}

export interface RequestTally {
  ctx: AppContext;
  /** Requests per endpoint so far, largest first. */
  counts(): Record<string, number>;
}

function tallied(client: GraphClient, add: (endpoint: string, n: number) => void): GraphClient {
  const one = (p: string) => add(endpointOf(p), 1);
  return {
    get tenantId() {
      return client.tenantId;
    },
    get stats() {
      return client.stats;
    },
    get<T>(p: string, o?: GraphRequestOptions) {
      one(p);
      return client.get<T>(p, o);
    },
    post<T>(p: string, b?: unknown, o?: GraphRequestOptions) {
      one(p);
      return client.post<T>(p, b, o);
    },
    patch<T>(p: string, b: unknown, o?: GraphRequestOptions) {
      one(p);
      return client.patch<T>(p, b, o);
    },
    put<T>(p: string, b: unknown, o?: GraphRequestOptions) {
      one(p);
      return client.put<T>(p, b, o);
    },
    delete(p: string, o?: GraphRequestOptions) {
      one(p);
      return client.delete(p, o);
    },
    getPage<T>(p: string, o?: GraphRequestOptions) {
      one(p);
      return client.getPage<T>(p, o);
    },
    async *pages<T>(p: string, o?: GraphRequestOptions) {
      for await (const page of client.pages<T>(p, o)) {
        one(p);
        yield page;
      }
    },
    batch(items) {
      const endpoints = new Set(items.map((i) => endpointOf(i.url)));
      add(`$batch(${[...endpoints].sort().join(',')})`, Math.ceil(items.length / 20));
      return client.batch(items);
    },
    grantedRoles: () => client.grantedRoles(),
  };
}

export function requestTally(ctx: AppContext): RequestTally {
  const counts = new Map<string, number>();
  const add = (endpoint: string, n: number) => counts.set(endpoint, (counts.get(endpoint) ?? 0) + n);
  return {
    ctx: {
      ...ctx,
      graph: {
        forBackup: (tenantId: string) => tallied(ctx.graph.forBackup(tenantId), add),
        forRestore: (tenantId: string) => tallied(ctx.graph.forRestore(tenantId), add),
      },
    },
    counts: () => Object.fromEntries([...counts].sort((a, b) => b[1] - a[1])),
  };
}
