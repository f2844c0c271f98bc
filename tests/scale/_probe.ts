import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createHttpsServer } from '@vercel/cosmosdb-server';
import { generate } from 'selfsigned';
import { startCluster } from './cluster.ts';
import { observeRuns } from './run-observer.ts';
import { scaleTestPolicy, updateSettings } from './tenant-setup.ts';

const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], { keyType: 'ec', curve: 'P-256',
  extensions: [{ name: 'basicConstraints', cA: false }, { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }] });
const server = createHttpsServer({ cert: pems.cert, key: pems.private, keepAlive: true });
const stats = new Map<string, { n: number; ms: number }>();
const listeners = server.listeners('request');
server.removeAllListeners('request');
server.on('request', (req: any, res: any) => {
  const t = process.hrtime.bigint();
  const chunks: Buffer[] = [];
  const origOn = req.on.bind(req);
  let body = '';
  req.on('data', (c: Buffer) => { body += c.toString(); });
  res.on('finish', () => {
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    const coll = /colls\/([^/]+)/.exec(req.url)?.[1] ?? '-';
    let q = '';
    if (req.headers['x-ms-documentdb-isquery']) { try { q = JSON.parse(body).query.replace(/\s+/g,' ').slice(0, 90);} catch {} }
    const k = `${req.method} ${coll} ${q}`;
    const s = stats.get(k) ?? { n: 0, ms: 0 }; s.n++; s.ms += ms; stats.set(k, s);
  });
  for (const l of listeners) (l as any)(req, res);
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
const port = (server.address() as AddressInfo).port;
const cosmos = { endpoint: `https://127.0.0.1:${port}`, key: Buffer.from('k').toString('base64'), caPem: pems.cert,
  agent: new https.Agent({ ca: pems.cert }), stop: async () => { server.closeAllConnections(); server.close(); } };
const N = Number(process.env.N ?? 10);
const t0 = Date.now();
const c = await startCluster({ tenants: N, usersPerTenant: 10, cosmos, env: { LEASE_SECONDS: '10', WORKER_POLL_SECONDS: '0.5' } });
console.log('cluster', Date.now() - t0);
const tenants = (await c.store.listTenants()).map((s) => s.tenantId);
for (const t of tenants) await updateSettings(c.store, t, scaleTestPolicy);
stats.clear();
const obs = process.env.OBS ? observeRuns(c.store) : undefined;
const t1 = Date.now();
await Promise.all(['w1', 'w2', 'w3'].map((w) => c.startWorker(w)));
for (;;) {
  const runs = (await Promise.all(tenants.map((t) => c.store.listRuns(t)))).flat();
  if (runs.length === N && runs.every((r) => ["succeeded","partial","failed"].includes(r.status))) { console.log(runs.map(r=>r.status+JSON.stringify(r.errors).slice(0,300)).join("\n"));
    const ex = runs.map((r) => Date.parse(r.finishedAt!) - Date.parse(r.startedAt!));
    console.log('done', Date.now() - t1, 'mean run', ex.reduce((a, b) => a + b) / ex.length, 'reqs', runs[0].graphRequests);
    break;
  }
  await new Promise((r) => setTimeout(r, 1000));
}
await obs?.stop();
const top = [...stats].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25);
for (const [k, s] of top) console.log(s.n, Math.round(s.ms), k);
console.log(JSON.stringify(await c.devControl('/_dev/tenants')).slice(0, 400));
await c.close();
await cosmos.stop();
process.exit(0);
