import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GraphError } from '../../src/graph/gateway.ts';
import { type GatewayEnv, startGatewayEnv, TENANT_A } from './graph-test-env.ts';

let env: GatewayEnv;
beforeAll(async () => {
  env = await startGatewayEnv();
});
afterAll(() => env.stop());
beforeEach(() => {
  env.graph.requests.length = 0;
});

describe('paging', () => {
  it('replays nextLink verbatim (query order and encoding kept) and surfaces the deltaLink', async () => {
    // An opaque link with unusual order and encodings that a URL parser would normalize.
    const next1 = () =>
      `${env.graph.graphBaseUrl}/users/delta?$skiptoken=a%2Bb%3D%3D&$select=id,displayName&x=1%202`;
    const next2 = () => `${env.graph.graphBaseUrl}/users/delta?$skiptoken=c%2Fd`;
    const delta = () => `${env.graph.graphBaseUrl}/users/delta?$deltatoken=zz%3D`;
    env.graph.handler = (req) => {
      if (req.url === '/v1.0/users/delta?$select=id,displayName') {
        return { status: 200, body: { value: [{ id: '1' }, { id: '2' }], '@odata.nextLink': next1() } };
      }
      if (req.url === new URL(next1()).pathname + new URL(next1()).search) {
        return { status: 200, body: { value: [{ id: '3' }], '@odata.nextLink': next2() } };
      }
      if (req.url === '/v1.0/users/delta?$skiptoken=c%2Fd') {
        return { status: 200, body: { value: [{ id: '4' }], '@odata.deltaLink': delta() } };
      }
      return { status: 400, body: { error: { code: 'Unexpected', message: req.url } } };
    };
    const client = env.factory().forBackup(TENANT_A);
    const pages = [];
    for await (const page of client.pages<{ id: string }>('/users/delta?$select=id,displayName'))
      pages.push(page);
    expect(pages.map((p) => p.value.map((u) => u.id))).toEqual([['1', '2'], ['3'], ['4']]);
    expect(env.graph.requests.map((r) => r.url)).toEqual([
      '/v1.0/users/delta?$select=id,displayName',
      '/v1.0/users/delta?$skiptoken=a%2Bb%3D%3D&$select=id,displayName&x=1%202',
      '/v1.0/users/delta?$skiptoken=c%2Fd',
    ]);
    expect(pages[2].deltaLink).toBe(delta());
    expect(pages[0].nextLink).toBe(next1());

    // The next delta round starts from the deltaLink, verbatim.
    env.graph.handler = () => ({ status: 200, body: { value: [], '@odata.deltaLink': delta() } });
    const round = await client.getPage(pages[2].deltaLink ?? '');
    expect(env.graph.requests.at(-1)?.url).toBe('/v1.0/users/delta?$deltatoken=zz%3D');
    expect(round.value).toEqual([]);
  });

  it('returns @odata.count and passes request headers (ConsistencyLevel)', async () => {
    env.graph.handler = () => ({ status: 200, body: { '@odata.count': 42, value: [{ id: 'a' }] } });
    const page = await env
      .factory()
      .forBackup(TENANT_A)
      .getPage('/users?$count=true', { headers: { ConsistencyLevel: 'eventual' } });
    expect(page.count).toBe(42);
    expect(env.graph.requests[0].headers.consistencylevel).toBe('eventual');
    expect(env.graph.requests[0].headers['client-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses to follow a link to another host (the token never leaves Graph)', async () => {
    const client = env.factory().forBackup(TENANT_A);
    const err = (await client
      .getPage('https://evil.example.com/v1.0/users?$skiptoken=x')
      .catch((e: unknown) => e)) as GraphError;
    expect(err).toBeInstanceOf(GraphError);
    expect(err.code).toBe('ForeignLink');
    expect(env.graph.requests).toHaveLength(0);
  });

  it('rejects a non-collection answer to getPage with a clear error', async () => {
    env.graph.handler = () => ({ status: 200, body: { id: 'single' } });
    const err = (await env
      .factory()
      .forBackup(TENANT_A)
      .getPage('/users/x')
      .catch((e: unknown) => e)) as GraphError;
    expect(err.code).toBe('UnexpectedResponse');
  });

  it('sends writes with JSON bodies and returns nothing for 204', async () => {
    env.graph.handler = (req) =>
      req.method === 'PATCH' ? { status: 204 } : { status: 201, body: { id: 'new' } };
    const client = env.factory().forRestore(TENANT_A);
    await expect(client.patch('/users/u1', { accountEnabled: false })).resolves.toBeUndefined();
    await expect(client.post('/groups', { displayName: 'G' })).resolves.toEqual({ id: 'new' });
    expect(env.graph.requests[0]).toMatchObject({ method: 'PATCH', body: '{"accountEnabled":false}' });
    expect(env.graph.requests[0].headers['content-type']).toMatch(/application\/json/);
    expect(env.graph.requests[1].claims.appid).toBe(env.fx.restore.clientId);
  });
});
