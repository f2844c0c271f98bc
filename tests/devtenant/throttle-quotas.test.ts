// Graph's quotas beyond the app-and-tenant pair: the app-wide resource-unit budget across tenants,
// the tenant-wide write quota across apps, the global per-app request limit; and the Prefer
// header on writes (a create answers 201 unless opted in; PATCH is always 204).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { code, type Fixture, type Reply, startFixture } from './fixture.ts';

let fx: Fixture;
let other: string;
let otherToken: string;
beforeAll(async () => {
  fx = await startFixture({ users: 30, groups: 4, largeGroupSize: 10, tenants: 2 });
  other = fx.dev.tenants[1].tenantId;
  otherToken = await fx.dev.graphToken(other, ['User.Read.All']);
}, 60_000);
afterAll(async () => fx?.close());
afterEach(() => {
  for (const t of fx.dev.tenants) {
    fx.dev.faults.reset(t.tenantId);
    fx.dev.setFaults(t.tenantId, { throttling: false });
  }
  fx.dev.resetThrottling();
});

/** Turns throttling on in both tenants with the same (shared-bucket) settings. */
function throttleBoth(settings: Record<string, number>): void {
  for (const t of fx.dev.tenants) fx.dev.setFaults(t.tenantId, { throttling: true, ...settings });
  fx.dev.resetThrottling();
}

describe('app-wide and tenant-wide quotas', () => {
  it('charges one app’s resource units across tenants and answers 429 scoped Application', async () => {
    // GET /users costs 2 RU: three calls in the first tenant spend the app's 6.
    throttleBoth({ appRuPer20s: 6 });
    for (let i = 0; i < 3; i++) expect((await fx.get('/users')).status).toBe(200);
    const r = await fx.call('GET', '/users', { token: otherToken });
    expect([r.status, code(r)]).toEqual([429, 'TooManyRequests']);
    expect(r.headers['x-ms-throttle-scope']).toBe(`Application/Read/${fx.dev.apps.backup.clientId}/${other}`);
    expect(r.headers['x-ms-throttle-information']).toBe('ResourceUnitLimitExceeded');
    // 2 RU refill at 6 per 20 s: about 7 s.
    expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(6);
    expect(Number(r.headers['retry-after'])).toBeLessThanOrEqual(8);
    // Another app is not charged for it.
    const restoreApp = await fx.dev.graphToken(other, ['User.Read.All'], {
      appId: fx.dev.apps.restore.clientId,
    });
    expect((await fx.call('GET', '/users', { token: restoreApp })).status).toBe(200);
  });

  it('shares the tenant’s write quota between apps and answers 429 scoped Tenant/Write', async () => {
    throttleBoth({ tenantWritesPer5min: 2 });
    const ops = fx.dev.ops();
    const [u] = ops.list('user', { limit: 3 }).slice(2, 3);
    const patch = (token: string, jobTitle: string): Promise<Reply> =>
      fx.call('PATCH', `/users/${u.id}`, { token, body: { jobTitle } });
    expect((await patch(fx.writeToken, 'one')).status).toBe(204);
    expect((await patch(fx.writeToken, 'two')).status).toBe(204);
    const thirdApp = await fx.dev.graphToken(fx.tenantId, ['User.ReadWrite.All'], {
      appId: '5c1b4a6e-0000-4000-8000-00000000d00d',
    });
    const r = await patch(thirdApp, 'three');
    expect(r.status).toBe(429);
    expect(r.headers['x-ms-throttle-scope']).toBe(
      `Tenant/Write/5c1b4a6e-0000-4000-8000-00000000d00d/${fx.tenantId}`,
    );
    expect(r.headers['x-ms-throttle-information']).toBe('WriteLimitExceeded');
    expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // The throttled write changed nothing; reads still pass (they spend no write quota).
    expect(ops.get('user', u.id).data.jobTitle).toBe('two');
    expect((await fx.get(`/users/${u.id}`)).status).toBe(200);
    // The other tenant's writes are not charged to this tenant.
    const otherWriter = await fx.dev.graphToken(other, ['User.ReadWrite.All'], {
      appId: fx.dev.apps.restore.clientId,
    });
    const [v] = fx.dev.ops(other).list('user', { limit: 1 });
    expect(
      (await fx.call('PATCH', `/users/${v.id}`, { token: otherWriter, body: { jobTitle: 'x' } })).status,
    ).toBe(204);
  });

  it('limits an app’s requests of any kind across tenants (global limit, scoped Application/ReadWrite)', async () => {
    throttleBoth({ appRequestsPer10s: 3 });
    expect((await fx.get('/groups')).status).toBe(200);
    expect((await fx.call('GET', '/users', { token: otherToken })).status).toBe(200);
    expect((await fx.get('/organization')).status).toBe(200);
    const r = await fx.call('GET', '/users', { token: otherToken });
    expect(r.status).toBe(429);
    expect(r.headers['x-ms-throttle-scope']).toBe(
      `Application/ReadWrite/${fx.dev.apps.backup.clientId}/${other}`,
    );
  });

  it('rejects a negative quota setting naming it', () => {
    expect(() => fx.dev.setFaults(fx.tenantId, { appRuPer20s: -1 })).toThrow(/appRuPer20s/);
  });
});

describe('Prefer on writes', () => {
  const newUser = (nick: string) => ({
    accountEnabled: true,
    displayName: nick,
    mailNickname: nick,
    userPrincipalName: `${nick}@${fx.dev.tenants[0].domain}`,
    passwordProfile: { password: 'Pa55-word-long!' },
  });

  it('creates with 201 and the object even with return=minimal (Graph), 204 when the fault setting opts in', async () => {
    const plain = await fx.call('POST', '/users', {
      token: fx.writeToken,
      headers: { prefer: 'return=minimal' },
      body: newUser('preferplain'),
    });
    expect(plain.status).toBe(201);
    expect(plain.json.displayName).toBe('preferplain');

    fx.dev.setFaults(fx.tenantId, { preferMinimalOnCreate: true });
    const minimal = await fx.call('POST', '/users', {
      token: fx.writeToken,
      headers: { prefer: 'return=minimal' },
      body: newUser('preferminimal'),
    });
    expect(minimal.status).toBe(204);
    expect(minimal.text).toBe('');
    expect(minimal.headers['preference-applied']).toBe('return=minimal');
    const location = String(minimal.headers.location);
    expect(location).toMatch(/\/v1\.0\/users\/[0-9a-f-]{36}$/);
    expect((await fx.get(location)).json.displayName).toBe('preferminimal');
    // Without the header the opted-in tenant still answers 201 with the object.
    const full = await fx.call('POST', '/users', { token: fx.writeToken, body: newUser('preferfull') });
    expect(full.status).toBe(201);
  });

  it('answers PATCH with 204 whatever Prefer asks (return=representation is not honoured by Graph)', async () => {
    const [u] = fx.dev.ops().list('user', { limit: 5 }).slice(4, 5);
    const r = await fx.call('PATCH', `/users/${u.id}`, {
      token: fx.writeToken,
      headers: { prefer: 'return=representation' },
      body: { jobTitle: 'Represented' },
    });
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
  });
});
