// Transactional batch faults the Cosmos SDK does not retry, found by the scale-out test (several
// workers on one loaded Cosmos endpoint). The SDK retries reads and queries but never a write,
// and it wraps a failed batch in a plain Error without its code, so one fault failed a whole
// object type of a run (status partial, alert card) under the generic BACKUP_ERROR:
// - a reused keep-alive connection reset before the request is read ("socket hang up");
// - an answer that comes after the client's request timeout ("Timeout Error! Request took more
//   than … ms"), though the server applied the batch late.
// The store's page writes are idempotent (upserts of deterministic ids; edge creates whose
// conflicts it resolves), so it repeats the batch after either, and a fault that persists is
// reported as the store being unreachable, naming the endpoint.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.ts';
import { type Store, StoreUnavailableError } from '../../src/store/store.ts';
import { type CosmosTestServer, startCosmosServer } from '../helpers/cosmos-server.ts';
import type { FaultProxy } from '../helpers/fault-proxy.ts';
import { startFaultProxy } from '../helpers/fault-proxy.ts';
import { edge, object, version } from './contract.ts';

const TIMEOUT_MS = 600;
let cosmos: CosmosTestServer;
let proxy: FaultProxy;
/** Default request timeout (reset tests); a short one (timeout tests). */
let store: Store;
let impatient: Store;

const isBatch = (r: { headers: Record<string, string | string[] | undefined> }) =>
  String(r.headers['x-ms-cosmos-is-batch-request'] ?? '').toLowerCase() === 'true';

const open = (name: string, requestTimeoutMs?: number) =>
  openStore({
    dataDir: '.',
    cosmos: {
      endpoint: proxy.url,
      key: cosmos.key,
      database: `${name}-${randomUUID().slice(0, 8)}`,
      caPem: proxy.caPem,
      ...(requestTimeoutMs ? { requestTimeoutMs } : {}),
    },
  });

beforeAll(async () => {
  cosmos = await startCosmosServer();
  proxy = await startFaultProxy({ target: cosmos.endpoint, targetCaPem: cosmos.caPem, seed: 7 });
  store = await open('reset');
  impatient = await open('timeout', TIMEOUT_MS);
}, 60_000);

afterAll(async () => {
  await store?.close();
  await impatient?.close();
  await proxy?.stop();
  await cosmos?.stop();
});

/** A page of `n` users (n version partitions), their object records and n memberships in 4 groups. */
function page(tenantId: string, n: number) {
  const at = new Date().toISOString();
  const ids = Array.from({ length: n }, (_, i) => `u-${i}`);
  return {
    versions: ids.map((id) => version(tenantId, id, at, { displayName: id })),
    objects: ids.map((id) => object(tenantId, id, id)),
    edgesAdded: ids.map((id, i) => edge(tenantId, `g-${i % 4}`, id, at)),
    edgesRemoved: [],
  };
}

/** The page is stored once and complete: n versions, n memberships, n live users. */
async function expectComplete(s: Store, tenantId: string, n: number): Promise<void> {
  const versions = await s.listChanges(tenantId, {
    from: '1970-01-01T00:00:00.000Z',
    to: '9999-01-01T00:00:00.000Z',
    limit: 100,
  });
  expect(versions.items).toHaveLength(n);
  const edges = await Promise.all(
    Array.from({ length: 4 }, (_, g) => s.listEdges(tenantId, { sourceId: `g-${g}` })),
  );
  expect(edges.flat()).toHaveLength(n);
  expect((await s.countObjects(tenantId)).user?.live).toBe(n);
}

describe('Cosmos store: a connection reset on a page write', () => {
  it('is retried: the page commits once, complete', async () => {
    const tenantId = `t-${randomUUID()}`;
    // About one batch request in eight is cut before the server reads it.
    proxy.setFaults({ rateDrop: 0.12, match: isBatch });
    await store.commitPage(tenantId, page(tenantId, 60));
    proxy.setFaults({});
    expect(proxy.injected.dropped).toBeGreaterThan(0);
    await expectComplete(store, tenantId, 60);
  }, 60_000);

  it('that persists is reported as the store being unreachable, naming the endpoint', async () => {
    const tenantId = `t-${randomUUID()}`;
    proxy.setFaults({ rateDrop: 1, match: isBatch });
    const error = await store.commitPage(tenantId, page(tenantId, 60)).catch((e) => e);
    proxy.setFaults({});
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(String(error.message)).toContain(proxy.url);
  }, 60_000);
});

describe('Cosmos store: a page write whose answer comes after the request timeout', () => {
  it('is repeated: the page commits once, complete, though the late batches were applied too', async () => {
    const tenantId = `t-${randomUUID()}`;
    // About one batch in six reaches the server only after the client stopped waiting.
    proxy.setFaults({ rateSlow: 0.15, slowMs: TIMEOUT_MS + 300, match: isBatch });
    await impatient.commitPage(tenantId, page(tenantId, 40));
    proxy.setFaults({});
    expect(proxy.injected.slowed).toBeGreaterThan(0);
    // Let the late batches land before counting: they must not add anything.
    await new Promise((r) => setTimeout(r, TIMEOUT_MS + 500));
    await expectComplete(impatient, tenantId, 40);
  }, 60_000);

  it('that persists is reported as the store not answering in time, naming the endpoint', async () => {
    const tenantId = `t-${randomUUID()}`;
    proxy.setFaults({ rateSlow: 1, slowMs: TIMEOUT_MS + 300, match: isBatch });
    const error = await impatient.commitPage(tenantId, page(tenantId, 40)).catch((e) => e);
    proxy.setFaults({});
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(String(error.message)).toContain(`Cosmos DB at ${proxy.url} did not answer in time`);
  }, 60_000);
});
