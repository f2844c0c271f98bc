// The product as `npm start` runs it (role all, dev tenant, SQLite), on ephemeral ports.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpsAgent, httpsRequest } from '../../src/graph/https-fetch.ts';
import { createHttpServer, listen } from '../../src/server/http-server.ts';
import type { ServeHandle } from '../../src/server/serve.ts';
import { type ServedProduct, startServedProduct } from './served-product.ts';

describe('npm start: the whole product on the embedded defaults', () => {
  let product: ServedProduct;
  let handle: ServeHandle;

  beforeAll(async () => {
    product = await startServedProduct({ role: 'all', users: 25, prefix: 'serve' });
    handle = product.handle;
  });

  afterAll(async () => {
    await product?.close();
  });

  it('serves /healthz naming the store, the Graph base URL and the token authority, and no secret', async () => {
    const res = await fetch(`${handle.url}/healthz`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.status).toBe('ok');
    expect(body.store.kind).toBe('sqlite');
    expect(body.graphBaseUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(body.tokenAuthority).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(body.devTenant).toBe(true);
    expect(JSON.stringify(body)).not.toMatch(/secret|password|BEGIN/i);
  });

  it('lists every URL it serves, the dev tenant included', () => {
    expect(Object.keys(handle.urls)).toEqual(
      expect.arrayContaining(['health', 'tab', 'bot', 'devTenantGraph', 'devTenantAuthority']),
    );
  });

  it('prints only URLs that answer what they are (never a 404)', async () => {
    // The bot takes POSTs only; Graph wants a token; the tab answers 503 until `npm start` builds it.
    const expected: Record<string, number[]> = { bot: [405], devTenantGraph: [401], tab: [200, 503] };
    const agent = createHttpsAgent(handle.runtime.devTenant?.caPem);
    for (const [name, url] of Object.entries(handle.urls)) {
      const status = url.startsWith('https:')
        ? (await httpsRequest(url, { method: 'GET' }, agent)).status
        : (await fetch(url)).status;
      expect({ name, ok: (expected[name] ?? [200]).includes(status) }).toEqual({ name, ok: true });
    }
    agent.destroy();
  });

  it('onboards the seeded dev tenant with default settings', async () => {
    const tenants = await handle.runtime.store.listTenants();
    expect(tenants.length).toBe(1);
    expect(tenants[0].schedule.incrementalMinutes).toBe(15);
  });

  it('answers an unknown path with 404, not a crash', async () => {
    const res = await fetch(`${handle.url}/nope`);
    expect(res.status).toBe(404);
  });

  // A second `npm start` (or `npm run playground` beside a running `npm start`) finds PORT
  // taken: the error names the variable and what to do, not a bare EADDRINUSE.
  it('says PORT is taken and how to go on', async () => {
    const port = Number(new URL(handle.url ?? '').port);
    const second = await createHttpServer(handle.runtime, []);
    const attempt = listen(second, port, '127.0.0.1');
    await expect(attempt).rejects.toThrow(`PORT ${port} on 127.0.0.1 is already in use`);
    await expect(attempt).rejects.toThrow(/set PORT to a free port/);
  });
});

describe('serve --role worker', () => {
  it('answers /healthz and nothing else (the web role owns the bot and the tab)', async () => {
    const { handle: worker, close } = await startServedProduct({
      role: 'worker',
      users: 10,
      prefix: 'worker',
    });
    try {
      const health = await fetch(`${worker.url}/healthz`);
      expect(health.status).toBe(200);
      expect((await health.json()).role).toBe('worker');
      const bot = await fetch(`${worker.url}/api/messages`, { method: 'POST', body: '{}' });
      expect(bot.status).toBe(404);
      expect(worker.urls.tab).toBeUndefined();
    } finally {
      await close();
    }
  });
});
