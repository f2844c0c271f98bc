// Where the Cosmos-protocol test server spends its time: every query it evaluates, timed and
// grouped by container and query text (SCALE_QUERY_STATS=1 prints the table). Wraps the
// server's item query after tests/helpers/cosmos-partition-index.ts has patched it.
import { createRequire } from 'node:module';
import '../helpers/cosmos-server.ts';

const require = createRequire(import.meta.url);

interface ItemsInternals {
  _parent: { read(): { id?: string } | null };
  query(params: { query: string }, options: unknown): unknown;
}

export interface QueryStat {
  container: string;
  query: string;
  calls: number;
  totalMs: number;
  maxMs: number;
}

const stats = new Map<string, QueryStat>();
const WRAPPED = Symbol.for('entra-backup.cosmos-query-stats');
const Items = (
  require('@vercel/cosmosdb-server/lib/account/items.js') as {
    default: { prototype: ItemsInternals } & { [WRAPPED]?: true };
  }
).default;

if (!Items[WRAPPED]) {
  Items[WRAPPED] = true;
  const inner = Items.prototype.query;
  Items.prototype.query = function (this: ItemsInternals, params, options) {
    const started = performance.now();
    try {
      return inner.call(this, params, options);
    } finally {
      const ms = performance.now() - started;
      const container = this._parent.read()?.id ?? '?';
      const query = params.query.replace(/\s+/g, ' ').slice(0, 160);
      const key = `${container}|${query}`;
      const s = stats.get(key) ?? { container, query, calls: 0, totalMs: 0, maxMs: 0 };
      s.calls += 1;
      s.totalMs += ms;
      s.maxMs = Math.max(s.maxMs, ms);
      stats.set(key, s);
    }
  };
}

/** Queries evaluated so far, the costliest first. */
export function queryStats(): QueryStat[] {
  return [...stats.values()].sort((a, b) => b.totalMs - a.totalMs);
}

export function resetQueryStats(): void {
  stats.clear();
}
