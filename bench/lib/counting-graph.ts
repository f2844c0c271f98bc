// Counts every Graph request a piece of the product makes, whichever client it asks the
// factory for (planner and executor each take their own): wraps the AppContext's factory.
import type { AppContext } from '../../src/app-context.ts';
import type { GraphStats } from '../../src/graph/gateway.ts';

export function countingContext(ctx: AppContext): { ctx: AppContext; totals(): GraphStats } {
  const seen: GraphStats[] = [];
  const graph = {
    forBackup(tenantId: string) {
      const client = ctx.graph.forBackup(tenantId);
      seen.push(client.stats);
      return client;
    },
    forRestore(tenantId: string) {
      const client = ctx.graph.forRestore(tenantId);
      seen.push(client.stats);
      return client;
    },
  };
  return {
    ctx: { ...ctx, graph },
    totals: () =>
      seen.reduce(
        (sum, s) => ({
          requests: sum.requests + s.requests,
          throttled: sum.throttled + s.throttled,
          retries: sum.retries + s.retries,
        }),
        { requests: 0, throttled: 0, retries: 0 },
      ),
  };
}
