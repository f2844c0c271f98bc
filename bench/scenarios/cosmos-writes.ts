// What one object version costs on Cosmos DB. The Cosmos-protocol server the tests use reports no
// request charge, so this measures what it can: the HTTP operations and bytes the store sends per
// version when committing real versions from the backup (users and groups, with their object
// records), and *estimates* RU from Microsoft's documented charge of ≈ 5.5 RU per 1 KB written
// with default indexing (docs/SCALING.md). Figures: measured ones end in Measured, the estimate in
// Estimated.
import type { AddressInfo } from 'node:net';
import { createHttpsServer } from '@vercel/cosmosdb-server';
import { generate } from 'selfsigned';
import { openStore } from '../../src/store/open-store.ts';
import type { ObjectRecord, VersionRecord } from '../../src/store/store.ts';
import { type BenchContext, requireTenant, type Scenario } from '../lib/bench-context.ts';
import { patchEmulatorScan } from '../lib/cosmos-emulator-linear-scan.ts';
import type { ScenarioResult } from '../lib/report.ts';

/** Microsoft's documented write charge: ≈ 5.5 RU per KB (rounded up) of an item, default indexing. */
export function estimatedWriteRu(bytes: number): number {
  return 5.5 * Math.max(1, Math.ceil(bytes / 1024));
}

async function countingCosmosServer() {
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType: 'ec',
    curve: 'P-256',
    notAfterDate: new Date(Date.now() + 3600_000),
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
  const server = createHttpsServer({ cert: pems.cert, key: pems.private, keepAlive: true });
  const counts = { requests: 0, bytes: 0 };
  server.prependListener('request', (req) => {
    counts.requests++;
    counts.bytes += Number(req.headers['content-length'] ?? 0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `https://127.0.0.1:${port}`,
    caPem: pems.cert,
    counts,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

export const cosmosWritesScenario: Scenario = {
  name: 'cosmos-writes',
  title: 'Cosmos DB cost per object version',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const { runtime, tenantId } = requireTenant(ctx);
    if (!ctx.backedUp) throw new Error('needs the full backup of scenario 1');
    const objects: ObjectRecord[] = [];
    for (const type of ['user', 'group'] as const) {
      objects.push(
        ...(await runtime.store.listObjects(tenantId, { type, limit: ctx.quick ? 200 : 1000 })).items,
      );
    }
    const versions: VersionRecord[] = [];
    for (const o of objects) versions.push(...(await runtime.store.listVersions(tenantId, o.objectId, 1)));
    const versionBytes = versions.reduce((s, v) => s + Buffer.byteLength(JSON.stringify(v)), 0);
    const objectBytes = objects.reduce((s, o) => s + Buffer.byteLength(JSON.stringify(o)), 0);

    // The store's commits query the emulator; without this each query copies every document
    // n times (quadratic, minutes at 2,000 versions). Counts and bytes are the same either way.
    patchEmulatorScan();
    const server = await countingCosmosServer();
    try {
      const store = await openStore({
        dataDir: ctx.dataDir,
        cosmos: { endpoint: server.endpoint, key: 'YmVuY2g=', database: 'bench-writes', caPem: server.caPem },
      });
      try {
        const before = { ...server.counts };
        for (let i = 0; i < versions.length; i += 100) {
          await store.commitPage(tenantId, {
            versions: versions.slice(i, i + 100),
            objects: objects.slice(i, i + 100),
            edgesAdded: [],
            edgesRemoved: [],
          });
        }
        const requests = server.counts.requests - before.requests;
        const bytes = server.counts.bytes - before.bytes;
        const n = Math.max(1, versions.length);
        const estimate =
          versions.reduce((s, v) => s + estimatedWriteRu(Buffer.byteLength(JSON.stringify(v))), 0) / n +
          objects.reduce((s, o) => s + estimatedWriteRu(Buffer.byteLength(JSON.stringify(o))), 0) / n;
        return {
          scenario: 'cosmos-writes',
          status: versions.length > 0 ? 'ok' : 'failed',
          ratioToLowerBound: null,
          versions: versions.length,
          httpRequestsPerVersionMeasured: Math.round((requests / n) * 1000) / 1000,
          requestBytesPerVersionMeasured: Math.round(bytes / n),
          versionDocBytesMeasured: Math.round(versionBytes / n),
          objectDocBytesMeasured: Math.round(objectBytes / Math.max(1, objects.length)),
          ruPerVersionEstimated: Math.round(estimate * 10) / 10,
        };
      } finally {
        await store.close();
      }
    } finally {
      await server.stop();
    }
  },
};
