// Counts what a piece of the product asks the store (calls, records returned, time per method):
// the restore scenario reports it for planning, and tests/restore/plan-store-reads.test.ts
// asserts planning reads do not grow with the tenant. `timedGraph` does the same for Graph calls.
import type { AppContext } from '../../src/app-context.ts';
import type { Store } from '../../src/store/store.ts';

export interface StoreMethodStats {
  calls: number;
  /** Records handed back (array/Map length; 1 for a single record, 0 for none). */
  records: number;
  ms: number;
}

export interface StoreStats {
  store: Store;
  /** Per method, since the wrapper was made (or the last reset). */
  totals(): Record<string, StoreMethodStats>;
  reset(): void;
}

function recordsOf(value: unknown): number {
  if (value === undefined || value === null) return 0;
  if (Array.isArray(value)) return value.length;
  if (value instanceof Map) return value.size;
  if (typeof value === 'object' && Array.isArray((value as { items?: unknown }).items))
    return (value as { items: unknown[] }).items.length;
  return 1;
}

/** Forwards every call of `inner` (any object of async methods) to it, timing each by `keyOf`. */
function timedProxy<T extends object>(
  inner: T,
  note: (name: string, value: unknown, t0: number) => unknown,
  keyOf: (method: string, args: unknown[]) => string = (m) => m,
): T {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      return (...args: unknown[]) => {
        const t0 = performance.now();
        const out = (value as (...a: unknown[]) => unknown).apply(target, args);
        return out instanceof Promise ? out.then((v) => note(keyOf(prop, args), v, t0)) : out;
      };
    },
  });
}

/** Per Graph method and path (ids left out): calls and time, for where planning waits. */
export function timedGraph(graph: AppContext['graph']): {
  graph: AppContext['graph'];
  totals(): Record<string, { calls: number; ms: number }>;
} {
  const stats: Record<string, { calls: number; ms: number }> = {};
  const note = (key: string, value: unknown, t0: number) => {
    const s = stats[key] ?? { calls: 0, ms: 0 };
    s.calls += 1;
    s.ms += performance.now() - t0;
    stats[key] = s;
    return value;
  };
  const keyOf = (method: string, args: unknown[]) =>
    typeof args[0] === 'string'
      ? `${method} ${args[0].split('?')[0].replace(/[0-9a-f-]{36}/g, '{id}')}`
      : Array.isArray(args[0])
        ? `${method} ×${args[0].length}`
        : method;
  return {
    graph: {
      forBackup: (tenantId) => timedProxy(graph.forBackup(tenantId), note, keyOf),
      forRestore: (tenantId) => timedProxy(graph.forRestore(tenantId), note, keyOf),
    },
    totals: () =>
      Object.fromEntries(
        Object.entries(stats).map(([k, v]) => [k, { calls: v.calls, ms: Math.round(v.ms) }]),
      ),
  };
}

/** A store that forwards every call to `inner` and counts it. */
export function countingStore(inner: Store): StoreStats {
  let stats: Record<string, StoreMethodStats> = {};
  const note = (name: string, value: unknown, t0: number) => {
    const s = stats[name] ?? { calls: 0, records: 0, ms: 0 };
    s.calls += 1;
    s.records += recordsOf(value);
    s.ms += performance.now() - t0;
    stats[name] = s;
    return value;
  };
  const store = timedProxy(inner, note);
  return {
    store,
    totals: () =>
      Object.fromEntries(Object.entries(stats).map(([k, v]) => [k, { ...v, ms: Math.round(v.ms) }])),
    reset: () => {
      stats = {};
    },
  };
}
