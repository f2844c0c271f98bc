// Changes the harness makes to the dev tenant through Graph (the restore app's client, $batch of
// 20): property patches for the incremental scenario, deletions for the restore scenario.
import type { GraphClient } from '../../src/graph/gateway.ts';

export interface WriteOutcome {
  ok: string[];
  failed: { id: string; status: number }[];
}

/** Runs one request per id through $batch; returns which ids Graph answered with 2xx. */
export async function writeEach(
  client: GraphClient,
  ids: string[],
  item: (id: string) => { method: 'GET' | 'PATCH' | 'DELETE' | 'POST'; url: string; body?: unknown },
): Promise<WriteOutcome> {
  const outcome: WriteOutcome = { ok: [], failed: [] };
  for (let i = 0; i < ids.length; i += 200) {
    const chunk = ids.slice(i, i + 200);
    const responses = await withRetry(() =>
      client.batch(
        chunk.map((id, index) => {
          const request = item(id);
          return {
            id: String(index + 1),
            ...request,
            ...(request.body === undefined ? {} : { headers: { 'Content-Type': 'application/json' } }),
          };
        }),
      ),
    );
    responses.forEach((response, index) => {
      if (response.status >= 200 && response.status < 300) outcome.ok.push(chunk[index]);
      else outcome.failed.push({ id: chunk[index], status: response.status });
    });
  }
  return outcome;
}

/**
 * The harness's own setup writes are retried after a dropped connection (a reused keep-alive
 * socket the server has just closed): they are idempotent PATCH/DELETE/GET of fixed values.
 */
async function withRetry<T>(fn: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (i >= attempts || !/ECONNRESET|socket hang up|EPIPE/.test(message)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * i));
    }
  }
}

/** Evenly spread picks: `count` ids out of `ids` (deterministic). */
export function spread<T>(items: T[], count: number): T[] {
  if (count >= items.length) return [...items];
  const step = items.length / count;
  return Array.from({ length: count }, (_, i) => items[Math.floor(i * step)]);
}
