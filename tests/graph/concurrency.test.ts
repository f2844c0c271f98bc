import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Semaphore } from '../../src/graph/concurrency-limiter.ts';
import { type GatewayEnv, startGatewayEnv, TENANT_A, TENANT_B } from './graph-test-env.ts';

let env: GatewayEnv;
beforeAll(async () => {
  env = await startGatewayEnv();
  env.fx.registry.grantConsent(TENANT_B, env.fx.backup.clientId);
});
afterAll(() => env.stop());
beforeEach(() => {
  env.graph.requests.length = 0;
  env.graph.maxInFlight = 0;
});

describe('per-tenant concurrency limit', () => {
  it('never has more requests in flight for a tenant than the limit, across backup and restore clients', async () => {
    env.graph.handler = () => ({ status: 200, body: { value: [] }, delayMs: 40 });
    const factory = env.factory({ concurrency: 3 });
    const backup = factory.forBackup(TENANT_A);
    const restore = factory.forRestore(TENANT_A);
    await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? backup : restore).get(`/users/${i}`)));
    expect(env.graph.requests).toHaveLength(12);
    expect(env.graph.maxInFlight).toBe(3);
  });

  it('limits each tenant separately', async () => {
    env.graph.handler = () => ({ status: 200, body: {}, delayMs: 40 });
    const factory = env.factory({ concurrency: 2 });
    const a = factory.forBackup(TENANT_A);
    const b = factory.forBackup(TENANT_B);
    await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).get('/organization')));
    expect(env.graph.maxInFlight).toBe(4);
    const tenants = new Set(env.graph.requests.map((r) => r.claims.tid));
    expect(tenants).toEqual(new Set([TENANT_A, TENANT_B]));
  });

  it('does not hold a slot while a retry waits out Retry-After', async () => {
    const semaphore = new Semaphore(1);
    await semaphore.acquire();
    expect(semaphore.inFlight).toBe(1);
    let second = false;
    const waiting = semaphore.acquire().then(() => {
      second = true;
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(second).toBe(false);
    semaphore.release();
    await waiting;
    expect(second).toBe(true);
    expect(semaphore.inFlight).toBe(1);
    expect(() => new Semaphore(0)).toThrow(/positive integer/);
  });
});
