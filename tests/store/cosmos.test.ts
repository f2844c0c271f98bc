// The Cosmos DB store against the Cosmos-protocol test server on loopback: the shared contract,
// plus an unreachable endpoint (a clear StoreUnavailableError naming it, quickly).
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CosmosStore } from '../../src/store/cosmos-store.ts';
import { openStore } from '../../src/store/open-store.ts';
import { StoreUnavailableError } from '../../src/store/store.ts';
import { type CosmosTestServer, startCosmosServer } from '../helpers/cosmos-server.ts';
import { edge, object, runStoreContract, tenant } from './contract.ts';

let server: CosmosTestServer;

beforeAll(async () => {
  server = await startCosmosServer();
});

afterAll(async () => {
  await server?.stop();
});

runStoreContract('cosmos', async () =>
  openStore({
    dataDir: '/nonexistent-unused',
    cosmos: {
      endpoint: server.endpoint,
      key: server.key,
      database: `db-${randomUUID()}`,
      caPem: server.caPem,
    },
  }),
);

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

describe('Cosmos store: faults', () => {
  it('reports an unreachable endpoint as StoreUnavailableError naming it, within seconds', async () => {
    const endpoint = `https://127.0.0.1:${await closedPort()}`;
    const started = Date.now();
    const err = await openStore({
      dataDir: '/unused',
      cosmos: { endpoint, key: server.key, database: 'db' },
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect((err as Error).message).toContain(endpoint);
    expect((err as Error).message).toMatch(/unreachable/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('refuses a server whose certificate it does not trust (TLS stays verified)', async () => {
    const store = new CosmosStore({ endpoint: server.endpoint, key: server.key, database: 'db-untrusted' });
    const err = await store.init().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect((err as Error).message).toContain(server.endpoint);
    await store.close();
  });

  it('creates its containers with the partition keys of the data model', async () => {
    const database = `db-${randomUUID()}`;
    const store = await openStore({
      dataDir: '/unused',
      cosmos: { endpoint: server.endpoint, key: server.key, database, caPem: server.caPem },
    });
    const t = tenant();
    await store.commitPage(t, {
      versions: [],
      objects: [object(t, 'u/1?#', 'Odd Id')],
      edgesAdded: [],
      edgesRemoved: [],
    });
    expect((await store.getObject(t, 'user', 'u/1?#'))?.displayName).toBe('Odd Id');
    await store.close();
    const { CosmosClient } = await import('@azure/cosmos');
    const client = new CosmosClient({ endpoint: server.endpoint, key: server.key, agent: server.agent });
    const keys: Record<string, string[] | undefined> = {};
    for (const id of ['settings', 'objects', 'versions', 'edges', 'runs', 'restores', 'audit']) {
      const { resource } = await client.database(database).container(id).read();
      keys[id] = resource?.partitionKey?.paths;
    }
    expect(keys).toEqual({
      settings: ['/tenantId'],
      objects: ['/tenantId'],
      versions: ['/objectKey'],
      edges: ['/objectKey'],
      runs: ['/tenantId'],
      restores: ['/tenantId'],
      audit: ['/tenantId'],
    });
    client.dispose();
  });
});

describe('Cosmos store: reads of a whole page', () => {
  it('reads the alive edges of several sources in one query, of this tenant only', async () => {
    const store = await openStore({
      dataDir: '/nonexistent-unused',
      cosmos: {
        endpoint: server.endpoint,
        key: server.key,
        database: `db-${randomUUID()}`,
        caPem: server.caPem,
      },
    });
    try {
      const [a, b] = [tenant(), tenant()];
      const at = '2024-01-02T00:00:00.000Z';
      const closed = edge(a, 'g2', 'u3', '2024-01-01T00:00:00.000Z');
      await store.commitPage(a, {
        versions: [],
        objects: [],
        edgesAdded: [
          edge(a, 'g1', 'u1', at),
          edge(a, 'g1', 'u2', at, 'owner'),
          edge(a, 'g2', 'u1', at),
          closed,
          edge(a, 'g9', 'u1', at),
        ],
        edgesRemoved: [{ edgeId: closed.edgeId, removedAt: at }],
      });
      await store.commitPage(b, {
        versions: [],
        objects: [],
        edgesAdded: [edge(b, 'g1', 'u7', at)],
        edgesRemoved: [],
      });
      const alive = (await store.listAliveEdgesOfSources?.(a, ['g1', 'g2', 'g1'])) ?? [];
      expect(alive.map((e) => `${e.sourceId}|${e.kind}|${e.targetId}`).sort()).toEqual([
        'g1|member|u1',
        'g1|owner|u2',
        'g2|member|u1',
      ]);
      expect(alive.every((e) => e.tenantId === a && !('objectKey' in e))).toBe(true);
      expect(await store.listAliveEdgesOfSources?.(a, [])).toEqual([]);
      expect((await store.listAliveEdgesOfSources?.(b, ['g1', 'g2']))?.map((e) => e.targetId)).toEqual([
        'u7',
      ]);
    } finally {
      await store.close();
    }
  });
});
