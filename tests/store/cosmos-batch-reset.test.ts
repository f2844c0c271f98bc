// Found by the scale-out test: with several workers on one Cosmos endpoint, a reused keep-alive
// connection is now and then reset by the server before the request is read ("socket hang up",
// ECONNRESET). The Cosmos SDK retries reads and queries after a reset but never writes, and it
// wraps a failed transactional batch in a plain Error ("Batch request error: socket hang up")
// without the error code, so one reset failed a whole object type of a run (status partial,
// alert card) under the generic BACKUP_ERROR. The store's page writes are idempotent (upserts of
// deterministic ids; edge creates whose conflicts it resolves), so it retries them after a reset,
// and a reset that persists is reported as the store being unreachable.
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

const isBatch = (r: { headers: Record<string, string | string[] | undefined> }) =>
  String(r.headers['x-ms-cosmos-is-batch-request'] ?? '').toLowerCase() === 'true';

beforeAll(async () => {
  cosmos = await startCosmosServer();
  proxy = await startFaultProxy({ target: cosmos.endpoint, targetCaPem: cosmos.caPem, seed: 7 });
  store = await openStore({
    dataDir: '.',
    cosmos: {
      endpoint: proxy.url,
      key: cosmos.key,
      database: `reset-${randomUUID().slice(0, 8)}`,
      caPem: proxy.caPem,
    },
  });
}, 60_000);

afterAll(async () => {
  await store?.close();
  await proxy?.stop();
  await cosmos?.stop();
});

/** A page of 60 users (60 version partitions), their object records and 60 memberships. */
function page(tenantId: string, at: string) {
  const ids = Array.from({ length: 60 }, (_, i) => `u-${i}`);
  return {
    versions: ids.map((id) => version(tenantId, id, at, { displayName: id })),
    objects: ids.map((id) => object(tenantId, id, id)),
    edgesAdded: ids.map((id, i) => edge(tenantId, `g-${i % 5}`, id, at)),
    edgesRemoved: [],
  };
}

describe('Cosmos store: a connection reset on a page write', () => {
  it('is retried: the page commits once, complete', async () => {
    const tenantId = `t-${randomUUID()}`;
    const at = new Date().toISOString();
    // About one batch request in eight is cut before the server reads it.
    proxy.setFaults({ rateDrop: 0.12, match: isBatch });
    await store.commitPage(tenantId, page(tenantId, at));
    proxy.setFaults({});
    expect(proxy.injected.dropped).toBeGreaterThan(0);
    const versions = await store.listChanges(tenantId, {
      from: '1970-01-01T00:00:00.000Z',
      to: '9999-01-01T00:00:00.000Z',
      limit: 100,
    });
    expect(versions.items).toHaveLength(60);
    const edges = await Promise.all(
      Array.from({ length: 5 }, (_, g) => store.listEdges(tenantId, { sourceId: `g-${g}` })),
    );
    expect(edges.flat()).toHaveLength(60);
    expect((await store.countObjects(tenantId)).user?.live).toBe(60);
  }, 60_000);

  it('that persists is reported as the store being unreachable, naming the endpoint', async () => {
    const tenantId = `t-${randomUUID()}`;
    proxy.setFaults({ rateDrop: 1, match: isBatch });
    const error = await store.commitPage(tenantId, page(tenantId, new Date().toISOString())).catch((e) => e);
    proxy.setFaults({});
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(String(error.message)).toContain(proxy.url);
  }, 60_000);
});
