// $batch (≤20, dependsOn → 424, per-item 429), resource-unit throttling with Retry-After and
// Graph's headers, injected faults, token validation and the loopback control API.
import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { code, type Fixture, items, startFixture } from './fixture.ts';

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture({ users: 30, groups: 6, tenants: 2 });
}, 60_000);
afterAll(async () => fx?.close());

interface BatchReply {
  id: string;
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}
const responses = (r: { json: Record<string, unknown> }) => r.json.responses as BatchReply[];

describe('$batch', () => {
  it('answers each item with its own status, possibly out of order', async () => {
    const r = await fx.call('POST', '/$batch', {
      body: {
        requests: [
          { id: '1', method: 'GET', url: '/users?$select=id&$top=2' },
          { id: '2', method: 'GET', url: '/groups/00000000-0000-4000-8000-000000000000' },
          { id: '3', method: 'GET', url: 'organization' },
        ],
      },
    });
    expect(r.status).toBe(200);
    const byId = new Map(responses(r).map((x) => [x.id, x]));
    expect(byId.get('1')?.status).toBe(200);
    expect((byId.get('1')?.body.value as unknown[] | undefined)?.length).toBe(2);
    expect(byId.get('1')?.headers['x-ms-resource-unit']).toBe('1');
    expect(byId.get('2')?.status).toBe(404);
    expect((byId.get('2')?.body.error as { code: string } | undefined)?.code).toBe(
      'Request_ResourceNotFound',
    );
    expect(responses(r).map((x) => x.id)).not.toEqual(['1', '2', '3']);
  });

  it('gives 424 Failed Dependency to requests whose dependency failed', async () => {
    const r = await fx.call('POST', '/$batch', {
      token: fx.writeToken,
      body: {
        requests: [
          {
            id: 'a',
            method: 'POST',
            url: '/users',
            headers: { 'Content-Type': 'application/json' },
            body: { displayName: 'incomplete' },
          },
          { id: 'b', method: 'GET', url: '/users?$top=1', dependsOn: ['a'] },
          { id: 'c', method: 'GET', url: '/users?$top=1' },
        ],
      },
    });
    const byId = new Map(responses(r).map((x) => [x.id, x]));
    expect(byId.get('a')?.status).toBe(400);
    expect(byId.get('b')?.status).toBe(424);
    expect(byId.get('c')?.status).toBe(200);
  });

  it('rejects more than 20 requests, duplicate ids and a body without Content-Type', async () => {
    const many = Array.from({ length: 21 }, (_, i) => ({ id: String(i), method: 'GET', url: '/users' }));
    expect((await fx.call('POST', '/$batch', { body: { requests: many } })).status).toBe(400);
    const dup = [
      { id: 'x', method: 'GET', url: '/users' },
      { id: 'X', method: 'GET', url: '/groups' },
    ];
    expect((await fx.call('POST', '/$batch', { body: { requests: dup } })).status).toBe(400);
    const noType = [{ id: '1', method: 'POST', url: '/users', body: {} }];
    expect((await fx.call('POST', '/$batch', { body: { requests: noType } })).status).toBe(400);
    expect((await fx.call('POST', '/$batch', { body: '{not json' })).status).toBe(400);
  });

  it('throttles items one by one: some 429 with Retry-After while others succeed', async () => {
    fx.dev.setFaults(fx.tenantId, { throttling: true, ruPer10s: 12 });
    fx.dev.resetThrottling();
    try {
      const requests = Array.from({ length: 10 }, (_, i) => ({
        id: String(i + 1),
        method: 'GET',
        url: '/users?$top=50',
      }));
      const r = await fx.call('POST', '/$batch', { body: { requests } });
      const statuses = responses(r).map((x) => x.status);
      expect(statuses.filter((s) => s === 200).length).toBe(6);
      const throttled = responses(r).filter((x) => x.status === 429);
      expect(throttled).toHaveLength(4);
      expect(Number(throttled[0].headers['retry-after'])).toBeGreaterThanOrEqual(1);
    } finally {
      fx.dev.setFaults(fx.tenantId, { throttling: false, ruPer10s: undefined });
      fx.dev.resetThrottling();
    }
  });
});

describe('throttling', () => {
  it('charges resource units per request, warns past 80 % and answers 429 with Retry-After and scope headers', async () => {
    fx.dev.setFaults(fx.tenantId, { throttling: true, ruPer10s: 10 });
    fx.dev.resetThrottling();
    try {
      const costs: string[] = [];
      let warned = false;
      let throttled: Awaited<ReturnType<Fixture['get']>> | undefined;
      for (let i = 0; i < 8 && !throttled; i++) {
        const r = await fx.get('/users');
        if (r.status === 429) throttled = r;
        else {
          costs.push(String(r.headers['x-ms-resource-unit']));
          if (r.headers['x-ms-throttle-limit-percentage']) warned = true;
        }
      }
      expect(costs.every((c) => c === '2')).toBe(true);
      expect(warned).toBe(true);
      expect(throttled?.status).toBe(429);
      expect(code(throttled as never)).toBe('TooManyRequests');
      expect(Number(throttled?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(String(throttled?.headers['x-ms-throttle-scope'])).toBe(
        `Tenant_Application/Read/${fx.dev.apps.backup.clientId}/${fx.tenantId}`,
      );
      expect(throttled?.headers['x-ms-throttle-information']).toBe('ResourceUnitLimitExceeded');
      const other = fx.dev.tenants[1].tenantId;
      const otherToken = await fx.dev.graphToken(other, ['User.Read.All']);
      fx.dev.setFaults(other, { throttling: true, ruPer10s: 10 });
      expect((await fx.call('GET', '/users', { token: otherToken })).status).toBe(200);
      fx.dev.setFaults(other, { throttling: false });
    } finally {
      fx.dev.setFaults(fx.tenantId, { throttling: false, ruPer10s: undefined });
      fx.dev.resetThrottling();
    }
  });

  it('limits sign-in logs to 5 requests per 10 s and Conditional Access to 1 per second without Retry-After', async () => {
    fx.dev.setFaults(fx.tenantId, { throttling: true });
    fx.dev.resetThrottling();
    try {
      const signIns: number[] = [];
      for (let i = 0; i < 6; i++) signIns.push((await fx.get('/auditLogs/signIns?$top=1')).status);
      expect(signIns.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
      expect(signIns[5]).toBe(429);
      const first = await fx.get('/identity/conditionalAccess/policies');
      const second = await fx.get('/identity/conditionalAccess/policies');
      expect(first.status).toBe(200);
      expect(second.status).toBe(429);
      expect(second.headers['retry-after']).toBeUndefined();
    } finally {
      fx.dev.setFaults(fx.tenantId, { throttling: false });
      fx.dev.resetThrottling();
    }
  });
});

describe('injected faults', () => {
  it('injects latency, forced statuses (consent revoked) and random 503s with Retry-After', async () => {
    fx.dev.setFaults(fx.tenantId, { latencyMs: 120 });
    const t0 = Date.now();
    expect((await fx.get('/organization')).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(110);
    fx.dev.setFaults(fx.tenantId, { latencyMs: 0, forced: [{ pattern: '*', status: 403 }] });
    const forced = await fx.get('/users');
    expect(forced.status).toBe(403);
    expect(code(forced)).toBe('Authorization_RequestDenied');
    fx.dev.setFaults(fx.tenantId, { forced: undefined, rate503: 1, retryAfterSeconds: 3 });
    const unavailable = await fx.get('/users');
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers['retry-after']).toBe('3');
    fx.dev.setFaults(fx.tenantId, { rate503: undefined, rateReset: 1 });
    await expect(fx.get('/users')).rejects.toThrow();
    fx.dev.faults.reset(fx.tenantId);
    fx.dev.setFaults(fx.tenantId, { throttling: false });
    expect((await fx.get('/users')).status).toBe(200);
  });

  it('answers 403 to an app whose consent was revoked and serves it again after consent', async () => {
    fx.dev.revokeConsent(fx.tenantId, 'backup');
    try {
      expect((await fx.get('/users')).status).toBe(403);
    } finally {
      fx.dev.grantConsent(fx.tenantId, 'backup');
    }
    expect((await fx.get('/users')).status).toBe(200);
  });

  it('rejects invalid fault settings with a clear message', () => {
    expect(() => fx.dev.setFaults(fx.tenantId, { rate429: 3 })).toThrow(/rate429/);
    expect(() => fx.dev.setFaults(fx.tenantId, { bogus: 1 } as never)).toThrow(/bogus/);
  });
});

describe('tokens', () => {
  it('answers 401 InvalidAuthenticationToken to a missing, garbage, expired or wrong-audience token', async () => {
    const missing = await fx.call('GET', '/users', { token: null });
    expect(missing.status).toBe(401);
    expect(code(missing)).toBe('InvalidAuthenticationToken');
    expect((await fx.call('GET', '/users', { token: 'garbage' })).status).toBe(401);
    const expired = await fx.dev.graphToken(fx.tenantId, ['User.Read.All'], { expiresInSeconds: -600 });
    const e = await fx.call('GET', '/users', { token: expired });
    expect(e.status).toBe(401);
    expect((e.json.error as { message: string }).message).toMatch(/expired/);
    const wrongAud = await fx.dev.graphToken(fx.tenantId, ['User.Read.All'], {
      audience: 'https://management.azure.com',
    });
    expect((await fx.call('GET', '/users', { token: wrongAud })).status).toBe(401);
  });

  it('selects the tenant from the token: the same path shows each tenant its own users', async () => {
    const other = fx.dev.tenants[1];
    const token = await fx.dev.graphToken(other.tenantId, ['User.Read.All']);
    const theirs = await fx.call('GET', '/users?$top=1&$select=userPrincipalName', { token });
    expect(String(items(theirs)[0].userPrincipalName)).toContain(`@${other.domain}`);
    const ours = await fx.get('/users?$top=1&$select=userPrincipalName');
    expect(String(items(ours)[0].userPrincipalName)).toContain('@contoso.onmicrosoft.com');
  });

  it('accepts a token obtained through the issuer’s client-credentials endpoint', async () => {
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: fx.dev.apps.backup.clientId,
      client_secret: fx.dev.apps.backup.clientSecret,
      scope: 'https://graph.microsoft.com/.default',
    }).toString();
    const token = await new Promise<string>((resolve, reject) => {
      const req = https.request(
        `${fx.dev.authorityUrl}/${fx.tenantId}/oauth2/v2.0/token`,
        {
          method: 'POST',
          ca: fx.dev.caPem,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => {
            text += c.toString();
          });
          res.on('end', () => resolve(String((JSON.parse(text) as { access_token: string }).access_token)));
        },
      );
      req.on('error', reject);
      req.end(form);
    });
    const r = await fx.call('GET', '/groups?$top=1', { token });
    expect(r.status).toBe(200);
    expect((await fx.call('POST', '/groups', { token, body: { displayName: 'x' } })).status).toBe(403);
  });
});

describe('control API', () => {
  const control = (method: string, p: string, body?: unknown) =>
    new Promise<{ status: number; json: Record<string, unknown> }>((resolve, reject) => {
      const req = https.request(
        `${fx.dev.controlUrl}${p}`,
        { method, ca: fx.dev.caPem, headers: { 'content-type': 'application/json' } },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => {
            text += c.toString();
          });
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as Record<string, unknown> }),
          );
        },
      );
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });

  it('lists tenants, reads and mutates objects, runs an incident and sets faults', async () => {
    const tenants = await control('GET', '/tenants');
    expect((tenants.json.tenants as unknown[]).length).toBe(2);
    const t = `/tenants/${fx.tenantId}`;
    const megan = await control('GET', `${t}/objects/user/MeganBowen@contoso.onmicrosoft.com`);
    expect((megan.json.data as { displayName: string }).displayName).toBe('Megan Bowen');
    const set = await control('POST', `${t}/objects/user/${String(megan.json.id)}/set`, {
      properties: { jobTitle: 'Chief Demo Officer' },
    });
    expect((set.json.data as { jobTitle: string }).jobTitle).toBe('Chief Demo Officer');
    const incident = await control('POST', `${t}/incident`, { deleteUsers: 3 });
    expect((incident.json.deleted as string[]).length).toBe(3);
    const bin = await fx.get('/directory/deletedItems/microsoft.graph.user');
    for (const id of incident.json.deleted as string[]) expect(items(bin).map((u) => u.id)).toContain(id);
    const faults = await control('PATCH', `${t}/faults`, { latencyMs: 5 });
    expect(faults.json.latencyMs).toBe(5);
    expect((await control('PATCH', `${t}/faults`, { latencyMs: -1 })).status).toBe(400);
    await control('DELETE', `${t}/faults`);
    fx.dev.setFaults(fx.tenantId, { throttling: false });
    expect((await control('GET', `${t}/objects/user/nobody`)).status).toBe(404);
    expect((await control('GET', '/tenants/00000000-0000-4000-8000-000000000000/faults')).status).toBe(404);
  });
});
