// JSON $batch: items go in chunks of 20 (Graph's limit); items Graph throttled inside a batch
// (429, or 503/504) are re-sent after their Retry-After (else backoff), together with the
// dependents that failed 424 because of them, up to the attempt cap. Answers come back in
// input order. dependsOn must point to an earlier item; across chunks (which then run in
// order) a succeeded dependency is simply dropped and a failed one yields 424 without sending.
import type { BatchRequestItem, BatchResponseItem, GraphStats } from './gateway.ts';
import { parseRetryAfter, RETRYABLE_STATUSES } from './graph-errors.ts';
import { backoffDelayMs } from './retry-middleware.ts';

export const BATCH_LIMIT = 20;

export interface BatchRunOptions {
  /** POSTs one $batch and returns its responses (any order). */
  send(requests: BatchRequestItem[], idempotent: boolean): Promise<BatchResponseItem[]>;
  sleep(ms: number): Promise<void>;
  random(): number;
  baseDelayMs: number;
  maxDelayMs: number;
  maxAttempts: number;
  stats: GraphStats;
}

export class BatchInputError extends Error {
  override readonly name = 'BatchInputError';
}

export async function runBatch(
  items: BatchRequestItem[],
  options: BatchRunOptions,
): Promise<BatchResponseItem[]> {
  const prepared = validateAndPrepare(items);
  const results = new Map<string, BatchResponseItem>();
  const chunks: BatchRequestItem[][] = [];
  for (let i = 0; i < prepared.length; i += BATCH_LIMIT) chunks.push(prepared.slice(i, i + BATCH_LIMIT));
  const hasDependencies = prepared.some((item) => item.dependsOn?.length);
  if (hasDependencies) {
    for (const chunk of chunks) await runChunk(chunk, results, options);
  } else {
    // Independent chunks run side by side; the per-tenant limiter bounds them.
    await Promise.all(chunks.map((chunk) => runChunk(chunk, results, options)));
  }
  return prepared.map((item) => {
    const result = results.get(key(item.id));
    if (!result) throw new Error(`$batch: no answer for item '${item.id}'`);
    return result;
  });
}

async function runChunk(
  chunk: BatchRequestItem[],
  results: Map<string, BatchResponseItem>,
  options: BatchRunOptions,
) {
  let pending = chunk;
  for (let attempt = 1; pending.length; attempt++) {
    const pendingIds = new Set(pending.map((item) => key(item.id)));
    const outgoing: BatchRequestItem[] = [];
    for (const item of pending) {
      const failedDependency = item.dependsOn?.find((dep) => {
        const done = results.get(key(dep));
        return !pendingIds.has(key(dep)) && done !== undefined && done.status >= 400;
      });
      if (failedDependency !== undefined) {
        results.set(key(item.id), failedDependencyResponse(item.id, failedDependency));
        pendingIds.delete(key(item.id));
        continue;
      }
      const dependsOn = item.dependsOn?.filter((dep) => pendingIds.has(key(dep)));
      outgoing.push({ ...item, dependsOn: dependsOn?.length ? dependsOn : undefined });
    }
    if (!outgoing.length) return;

    const idempotent = outgoing.every((item) => item.method === 'GET');
    const responses = await options.send(outgoing.map(stripUndefined), idempotent);
    const byId = new Map(responses.map((r) => [key(String(r.id)), r]));
    const retry = new Set<string>();
    for (const item of outgoing) {
      const response = byId.get(key(item.id));
      if (!response) throw new Error(`$batch: Graph's answer has no response for item '${item.id}'`);
      if (RETRYABLE_STATUSES.has(response.status)) retry.add(key(item.id));
    }
    // Dependents that failed only because a throttled item did not run go again with it.
    for (const item of outgoing) {
      const response = byId.get(key(item.id));
      if (response?.status === 424 && item.dependsOn?.some((dep) => retry.has(key(dep))))
        retry.add(key(item.id));
    }
    const throttled = outgoing.filter((item) => byId.get(key(item.id))?.status === 429).length;
    options.stats.throttled += throttled;
    const lastAttempt = attempt >= options.maxAttempts;
    for (const item of outgoing) {
      const response = byId.get(key(item.id)) as BatchResponseItem;
      if (!retry.has(key(item.id)) || lastAttempt) results.set(key(item.id), { ...response, id: item.id });
    }
    if (lastAttempt || !retry.size) return;

    pending = outgoing.filter((item) => retry.has(key(item.id)));
    options.stats.retries += pending.length;
    const retryAfter = Math.max(
      -1,
      ...pending.map(
        (item) => parseRetryAfter(headerValue(byId.get(key(item.id))?.headers, 'retry-after')) ?? -1,
      ),
    );
    await options.sleep(retryAfter >= 0 ? Math.ceil(retryAfter * 1000) : backoffDelayMs(attempt, options));
  }
}

function validateAndPrepare(items: BatchRequestItem[]): BatchRequestItem[] {
  const seen = new Set<string>();
  return items.map((item, index) => {
    if (typeof item.id !== 'string' || !item.id)
      throw new BatchInputError(`$batch item #${index + 1}: id must be a non-empty string`);
    if (seen.has(key(item.id)))
      throw new BatchInputError(`$batch item '${item.id}': ids must be unique (case-insensitive)`);
    if (!['GET', 'POST', 'PATCH', 'PUT', 'DELETE'].includes(item.method)) {
      throw new BatchInputError(`$batch item '${item.id}': unsupported method '${String(item.method)}'`);
    }
    if (typeof item.url !== 'string' || !item.url.startsWith('/') || item.url.startsWith('//')) {
      throw new BatchInputError(
        `$batch item '${item.id}': url must be relative to the version root, e.g. '/users/{id}'`,
      );
    }
    for (const dep of item.dependsOn ?? []) {
      if (!seen.has(key(dep))) {
        throw new BatchInputError(`$batch item '${item.id}': dependsOn '${dep}' must name an earlier item`);
      }
    }
    seen.add(key(item.id));
    const headers = { ...(item.headers ?? {}) };
    // Graph rejects a body without a Content-Type header.
    if (item.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      headers['Content-Type'] = 'application/json';
    }
    return { ...item, headers: Object.keys(headers).length ? headers : undefined };
  });
}

function failedDependencyResponse(id: string, dependency: string): BatchResponseItem {
  return {
    id,
    status: 424,
    body: {
      error: { code: 'FailedDependency', message: `The request depends on '${dependency}', which failed.` },
    },
  };
}

function stripUndefined(item: BatchRequestItem): BatchRequestItem {
  return Object.fromEntries(
    Object.entries(item).filter(([, v]) => v !== undefined),
  ) as unknown as BatchRequestItem;
}

function headerValue(headers: Record<string, string> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const found = Object.keys(headers).find((h) => h.toLowerCase() === name);
  return found ? String(headers[found]) : undefined;
}

const key = (id: string) => id.toLowerCase();
