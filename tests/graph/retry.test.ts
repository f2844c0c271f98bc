import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GraphError } from '../../src/graph/gateway.ts';
import { backoffDelayMs } from '../../src/graph/retry-middleware.ts';
import { type GatewayEnv, graphErrorBody, type Reply, startGatewayEnv, TENANT_A } from './graph-test-env.ts';

let env: GatewayEnv;
beforeAll(async () => {
  env = await startGatewayEnv();
});
afterAll(() => env.stop());
beforeEach(() => {
  env.graph.requests.length = 0;
  env.sleeps.length = 0;
});

const throttled = (retryAfter?: string): Reply => ({
  status: 429,
  headers: retryAfter === undefined ? {} : { 'retry-after': retryAfter },
  body: graphErrorBody('TooManyRequests', 'Too many requests'),
});

describe('retry middleware', () => {
  it('waits at least Retry-After on 429 and then succeeds, counting the throttling', async () => {
    let calls = 0;
    env.graph.handler = () => (++calls <= 2 ? throttled('7') : { status: 200, body: { id: 'u1' } });
    const client = env.factory().forBackup(TENANT_A);
    await expect(client.get('/users/u1')).resolves.toEqual({ id: 'u1' });
    expect(env.sleeps).toEqual([7000, 7000]);
    expect(client.stats).toEqual({ requests: 3, throttled: 2, retries: 2 });
  });

  it('really sleeps Retry-After with the default clock', async () => {
    let calls = 0;
    env.graph.handler = () => (++calls === 1 ? throttled('1') : { status: 200, body: { ok: true } });
    const client = env.factory({ sleep: undefined }).forBackup(TENANT_A);
    const started = Date.now();
    await client.get('/organization');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it('honours Retry-After given as an HTTP date', async () => {
    let calls = 0;
    const at = new Date(Date.now() + 5000).toUTCString();
    env.graph.handler = () => (++calls === 1 ? throttled(at) : { status: 200, body: {} });
    await env.factory().forBackup(TENANT_A).get('/users');
    expect(env.sleeps).toHaveLength(1);
    expect(env.sleeps[0]).toBeGreaterThan(3000);
    expect(env.sleeps[0]).toBeLessThanOrEqual(5000);
  });

  it('gives up after the attempt cap with a GraphError that says so and carries Graph’s fields', async () => {
    env.graph.handler = () => throttled('2');
    const client = env.factory({ maxAttempts: 4 }).forBackup(TENANT_A);
    const err = await client.get('/users?$top=999').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphError);
    const graphError = err as GraphError;
    expect(graphError.status).toBe(429);
    expect(graphError.code).toBe('TooManyRequests');
    expect(graphError.requestId).toBe('7b1a2c3d-0000-4000-8000-000000000001');
    expect(graphError.retryAfterSeconds).toBe(2);
    expect(graphError.message).toMatch(
      /^Gave up after 4 attempts \(retry limit\): Graph answered 429 TooManyRequests to GET \/v1.0\/users\?\$top: Too many requests$/,
    );
    expect(env.graph.requests).toHaveLength(4);
    expect(env.sleeps).toEqual([2000, 2000, 2000]);
  });

  it('a per-request maxAttempts overrides the default cap', async () => {
    env.graph.handler = () => throttled('1');
    const err = (await env
      .factory()
      .forBackup(TENANT_A)
      .get('/users', { maxAttempts: 1 })
      .catch((e: unknown) => e)) as GraphError;
    expect(err.message).toMatch(/^Gave up after 1 attempt \(retry limit\)/);
    expect(env.graph.requests).toHaveLength(1);
  });

  it('backs off exponentially with jitter on 503/504 without Retry-After', async () => {
    const statuses = [503, 504, 503];
    let calls = 0;
    env.graph.handler = () => {
      const status = statuses[calls++];
      return status
        ? { status, body: graphErrorBody('ServiceUnavailable', 'busy') }
        : { status: 200, body: { ok: 1 } };
    };
    const client = env.factory({ maxAttempts: 5, baseRetryDelayMs: 100 }).forBackup(TENANT_A);
    await client.get('/groups');
    // random() = 0.5 → three quarters of 100, 200, 400 ms.
    expect(env.sleeps).toEqual([75, 150, 300]);
    expect(client.stats).toMatchObject({ requests: 4, throttled: 0, retries: 3 });
  });

  it('keeps jittered backoff within [ceiling/2, ceiling] and under the cap', () => {
    const policy = { baseDelayMs: 1000, maxDelayMs: 8000 };
    expect(backoffDelayMs(1, { ...policy, random: () => 0 })).toBe(500);
    expect(backoffDelayMs(1, { ...policy, random: () => 0.999 })).toBeLessThanOrEqual(1000);
    expect(backoffDelayMs(10, { ...policy, random: () => 0.999 })).toBeLessThanOrEqual(8000);
    expect(backoffDelayMs(10, { ...policy, random: () => 0 })).toBe(4000);
  });

  it('retries a GET after a connection reset, and gives up clearly when resets persist', async () => {
    let calls = 0;
    env.graph.handler = () => (++calls === 1 ? 'reset' : { status: 200, body: { value: [] } });
    const client = env.factory().forBackup(TENANT_A);
    await expect(client.get('/devices')).resolves.toEqual({ value: [] });
    expect(client.stats.retries).toBe(1);

    env.graph.handler = () => 'reset';
    const err = (await client.get('/devices').catch((e: unknown) => e)) as GraphError;
    expect(err).toBeInstanceOf(GraphError);
    expect(err.code).toBe('ConnectionFailed');
    expect(err.message).toMatch(
      /^Gave up after 3 attempts \(retry limit\): GET \/v1.0\/devices failed: ECONNRESET/,
    );
  });

  it('does not resend a POST after a connection reset (it may have been applied)', async () => {
    env.graph.handler = () => 'reset';
    const err = (await env
      .factory()
      .forRestore(TENANT_A)
      .post('/users', { displayName: 'x' })
      .catch((e: unknown) => e)) as GraphError;
    expect(err.code).toBe('ConnectionFailed');
    expect(err.message).toMatch(/POST is not retried/);
    expect(env.graph.requests).toHaveLength(1);
  });

  it('does not retry other errors: 404 comes back at once as a typed GraphError', async () => {
    env.graph.handler = () => ({
      status: 404,
      body: graphErrorBody(
        'Request_ResourceNotFound',
        "Resource 'x' does not exist or one of its queried reference-property objects are not present.",
        'req-404',
      ),
    });
    const err = (await env
      .factory()
      .forBackup(TENANT_A)
      .get('/users/x')
      .catch((e: unknown) => e)) as GraphError;
    expect(err).toMatchObject({ status: 404, code: 'Request_ResourceNotFound', requestId: 'req-404' });
    expect(err.message).toContain("Resource 'x' does not exist");
    expect(env.graph.requests).toHaveLength(1);
  });
});
