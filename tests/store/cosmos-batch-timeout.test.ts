// Found by the scale-out test (30 tenants, three workers, one loaded Cosmos-protocol server):
// a transactional batch the server answered after the client's request timeout failed a whole
// object type of a run (status partial, or failed when every type hit it) under the generic
// BACKUP_ERROR "Batch request error: Timeout Error! Request took more than 10000 ms". The SDK
// repeats no timed-out write, and it wraps the batch's TimeoutError in a plain Error, so the
// store neither retried it nor reported it as the store not answering. The store's page writes
// are idempotent (upserts of deterministic ids; edge creates whose conflicts it resolves), so it
// repeats a timed-out batch, whether or not the server applied it late, and a timeout that
// persists is reported as the store being unreachable.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open-store.ts';
import { type Store, StoreUnavailableError } from '../../src/store/store.ts';
import { type CosmosTestServer, startCosmosServer } from '../helpers/cosmos-server.ts';
import { type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.ts';
import { edge, object, version } from './contract.ts';

let cosmos: CosmosTestServer;
let proxy: FaultProxy;
let store: Store;
const TIMEOUT_MS = 600;

const isBatch = (r: { headers: Record<string, string | string[] | undefined> }) =>
  String(r.headers['x-ms-cosmos-is-batch-request'] ?? '').toLowerCase() === 'true';

beforeAll(async () => {
  cosmos = await startCosmosServer();
  proxy = await startFaultProxy({ target: cosmos.endpoint, targetCaPem: cosmos.caPem, seed: 11 });
  store = await openStore({
    dataDir: '.',
    cosmos: {
      endpoint: proxy.url,
      key: cosmos.key,
      database: `timeout-${randomUUID().slice(0, 8)}`,
      caPem: proxy.caPem,
      requestTimeoutMs: TIMEOUT_MS,
    },
  });
}, 60_000);

afterAll(async () => {
  await store?.close();
  await proxy?.stop();
  await cosmos?.stop();
});

/** A page of 40 users (40 version partitions), their object records and 40 memberships. */
function page(tenantId: string, at: string) {
  const ids = Array.from({ length: 40 }, (_, i) => `u-${i}`);
  return {
    versions: ids.map((id) => version(tenantId, id, at, { displayName: id })),
    objects: ids.map((id) => object(tenantId, id, id)),
    edgesAdded: ids.map((id, i) => edge(tenantId, `g-${i % 4}`, id, at)),
    edgesRemoved: [],
  };
}

describe('Cosmos store: a page write whose answer comes after the request timeout', () => {
  it('is repeated: the page commits once, complete, though the late batches were applied too', async () => {
    const tenantId = `t-${randomUUID()}`;
    // About one batch in six reaches the server only after the client stopped waiting.
    proxy.setFaults({ rateSlow: 0.15, slowMs: TIMEOUT_MS + 300, match: isBatch });
    await store.commitPage(tenantId, page(tenantId, new Date().toISOString()));
    proxy.setFaults({});
    expect(proxy.injected.slowed).toBeGreaterThan(0);
    // Let the late batches land before counting: they must not add anything.
    await new Promise((r) => setTimeout(r, TIMEOUT_MS + 500));
    const versions = await store.listChanges(tenantId, {
      from: '1970-01-01T00:00:00.000Z',
      to: '9999-01-01T00:00:00.000Z',
      limit: 100,
    });
    expect(versions.items).toHaveLength(40);
    const edges = await Promise.all(
      Array.from({ length: 4 }, (_, g) => store.listEdges(tenantId, { sourceId: `g-${g}` })),
    );
    expect(edges.flat()).toHaveLength(40);
    expect((await store.countObjects(tenantId)).user?.live).toBe(40);
  }, 60_000);

  it('that persists is reported as the store not answering in time, naming the endpoint', async () => {
    const tenantId = `t-${randomUUID()}`;
    proxy.setFaults({ rateSlow: 1, slowMs: TIMEOUT_MS + 300, match: isBatch });
    const error = await store.commitPage(tenantId, page(tenantId, new Date().toISOString())).catch((e) => e);
    proxy.setFaults({});
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(String(error.message)).toContain(`Cosmos DB at ${proxy.url} did not answer in time`);
  }, 60_000);
});
