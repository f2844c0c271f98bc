import https from 'node:https';
import { CosmosClient } from '@azure/cosmos';
import { createHttpsServer } from '@vercel/cosmosdb-server';
import { generate } from 'selfsigned';

const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
  keyType: 'ec',
  curve: 'P-256',
  extensions: [
    {
      name: 'subjectAltName',
      altNames: [
        { type: 7, ip: '127.0.0.1' },
        { type: 2, value: 'localhost' },
      ],
    },
  ],
});
const server = createHttpsServer({ cert: pems.cert, key: pems.private });
await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
const addr = server.address();
if (!addr || typeof addr === 'string') throw new Error('x');
const endpoint = `https://127.0.0.1:${addr.port}`;
console.log(endpoint);
const client = new CosmosClient({
  endpoint,
  key: 'dummy',
  agent: new https.Agent({ ca: pems.cert, keepAlive: true }),
});
const t0 = Date.now();
const { database } = await client.databases.createIfNotExists({ id: 'db' });
const { container } = await database.containers.createIfNotExists({
  id: 'objects',
  partitionKey: { paths: ['/tenantId'] },
  indexingPolicy: {
    compositeIndexes: [
      [
        { path: '/name', order: 'ascending' },
        { path: '/oid', order: 'ascending' },
      ],
    ],
  },
});
console.log('created', Date.now() - t0);
for (let i = 0; i < 10; i++)
  await container.items.upsert({
    id: `o${i}`,
    tenantId: i % 2 ? 'a' : 'b',
    name: `n${i % 3}`,
    oid: `o${i}`,
    keys: [`k${i}`, 'zz'],
  });
const q = await container.items
  .query(
    {
      query:
        'SELECT TOP @n * FROM c WHERE c.tenantId = @t AND EXISTS(SELECT VALUE k FROM k IN c.keys WHERE CONTAINS(k, @q)) ORDER BY c.name ASC, c.oid ASC',
      parameters: [
        { name: '@n', value: 3 },
        { name: '@t', value: 'a' },
        { name: '@q', value: 'k' },
      ],
    },
    { partitionKey: 'a' },
  )
  .fetchAll();
console.log(q.resources.map((r) => [r.name, r.oid]));
const q2 = await container.items
  .query({
    query: 'SELECT TOP @n * FROM c WHERE c.tenantId != @t ORDER BY c.name ASC, c.oid ASC',
    parameters: [
      { name: '@n', value: 3 },
      { name: '@t', value: 'a' },
    ],
  })
  .fetchAll();
console.log(
  'cross',
  q2.resources.map((r) => [r.tenantId, r.name, r.oid]),
);
const it = container.items.query(
  { query: 'SELECT * FROM c WHERE c.tenantId = @t', parameters: [{ name: '@t', value: 'a' }] },
  { partitionKey: 'a', maxItemCount: 2 },
);
const p1 = await it.fetchNext();
console.log('page', p1.resources.length, p1.continuationToken);
const b = await container.items.batch(
  [
    { operationType: 'Create', partitionKey: 'a', resourceBody: { id: 'x1', tenantId: 'a' } },
    { operationType: 'Upsert', partitionKey: 'a', resourceBody: { id: 'o1', tenantId: 'a', name: 'zz' } },
  ],
  'a',
);
console.log(
  'batch',
  b.result?.map((r) => r.statusCode),
);
const b2 = await container.items.batch(
  [
    { operationType: 'Create', partitionKey: 'a', resourceBody: { id: 'x1', tenantId: 'a' } },
    { operationType: 'Upsert', partitionKey: 'a', resourceBody: { id: 'o3', tenantId: 'a', name: 'zz' } },
  ],
  'a',
);
console.log(
  'batch2',
  b2.code,
  b2.result?.map((r) => r.statusCode),
);
const pr = await container.item('o1', 'a').patch([{ op: 'set', path: '/removedAt', value: 'x' }]);
console.log('patch', pr.resource?.removedAt);
try {
  await container
    .item('o1', 'a')
    .replace({ id: 'o1', tenantId: 'a' }, { accessCondition: { type: 'IfMatch', condition: 'bad' } });
} catch (e) {
  console.log('412?', (e as { code?: number }).code);
}
try {
  await container.items.create({ id: 'o1', tenantId: 'a' });
} catch (e) {
  console.log('409?', (e as { code?: number }).code);
}
server.close();
const t1 = Date.now();
const bad = new CosmosClient({
  endpoint: 'https://127.0.0.1:9',
  key: 'dummy',
  connectionPolicy: {
    requestTimeout: 3000,
    enableEndpointDiscovery: false,
    retryOptions: { maxRetryAttemptCount: 1, fixedRetryIntervalInMilliseconds: 100, maxWaitTimeInSeconds: 2 },
  },
});
try {
  await bad.database('db').read();
} catch (e) {
  console.log('unreach', Date.now() - t1, (e as Error).message, (e as { code?: unknown }).code);
}
process.exit(0);
