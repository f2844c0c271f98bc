import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BatchInputError } from '../../src/graph/batch.ts';
import type { BatchRequestItem, BatchResponseItem } from '../../src/graph/gateway.ts';
import { type GatewayEnv, type RecordedRequest, startGatewayEnv, TENANT_A } from './graph-test-env.ts';

let env: GatewayEnv;
beforeAll(async () => {
  env = await startGatewayEnv();
});
afterAll(() => env.stop());
beforeEach(() => {
  env.graph.requests.length = 0;
  env.sleeps.length = 0;
});

type Sent = { requests: BatchRequestItem[] };
const sent = (req: RecordedRequest) => JSON.parse(req.body) as Sent;

describe('$batch', () => {
  it('sends chunks of 20 and answers in input order even when Graph answers out of order', async () => {
    env.graph.handler = (req) => {
      const { requests } = sent(req);
      const responses: BatchResponseItem[] = requests
        .map((r) => ({ id: r.id, status: 200, body: { url: r.url } }))
        .reverse();
      return { status: 200, body: { responses } };
    };
    const items: BatchRequestItem[] = Array.from({ length: 45 }, (_, i) => ({
      id: `r${i}`,
      method: 'GET',
      url: `/users/${i}`,
    }));
    const answers = await env.factory().forBackup(TENANT_A).batch(items);
    expect(env.graph.requests.map((r) => sent(r).requests.length).sort((a, b) => a - b)).toEqual([5, 20, 20]);
    expect(env.graph.requests.every((r) => r.method === 'POST' && r.url === '/v1.0/$batch')).toBe(true);
    expect(answers.map((a) => a.id)).toEqual(items.map((i) => i.id));
    expect(answers[44].body).toEqual({ url: '/users/44' });
  });

  it('retries only the throttled items after their Retry-After, with their 424 dependents', async () => {
    let round = 0;
    env.graph.handler = (req) => {
      round++;
      const { requests } = sent(req);
      const responses = requests.map((r): BatchResponseItem => {
        if (round === 1 && r.id === '2')
          return { id: r.id, status: 429, headers: { 'Retry-After': '9' }, body: {} };
        if (round === 1 && r.id === '3') return { id: r.id, status: 424, body: {} };
        if (round === 1 && r.id === '4')
          return { id: r.id, status: 429, headers: { 'Retry-After': '3' }, body: {} };
        return { id: r.id, status: r.method === 'POST' ? 201 : 200, body: { round } };
      });
      return { status: 200, body: { responses } };
    };
    const items: BatchRequestItem[] = [
      { id: '1', method: 'GET', url: '/users/a' },
      { id: '2', method: 'POST', url: '/groups/g/members/$ref', body: { '@odata.id': 'x' } },
      { id: '3', method: 'GET', url: '/groups/g/members', dependsOn: ['2'] },
      { id: '4', method: 'GET', url: '/users/b' },
    ];
    const client = env.factory().forRestore(TENANT_A);
    const answers = await client.batch(items);
    expect(answers.map((a) => [a.id, a.status, (a.body as { round: number }).round])).toEqual([
      ['1', 200, 1],
      ['2', 201, 2],
      ['3', 200, 2],
      ['4', 200, 2],
    ]);
    // Waited the longest Retry-After of the throttled items.
    expect(env.sleeps).toEqual([9000]);
    const second = sent(env.graph.requests[1]).requests;
    expect(second.map((r) => r.id)).toEqual(['2', '3', '4']);
    expect(second[1].dependsOn).toEqual(['2']);
    // A body without Content-Type gets one (Graph rejects it otherwise).
    expect(second[0].headers).toEqual({ 'Content-Type': 'application/json' });
    expect(client.stats.throttled).toBe(2);
  });

  it('returns an item still throttled after the cap with its 429 instead of looping', async () => {
    env.graph.handler = (req) => ({
      status: 200,
      body: {
        responses: sent(req).requests.map((r) => ({
          id: r.id,
          status: 429,
          headers: { 'retry-after': '1' },
          body: {},
        })),
      },
    });
    const answers = await env
      .factory({ maxAttempts: 2 })
      .forBackup(TENANT_A)
      .batch([{ id: 'a', method: 'GET', url: '/users' }]);
    expect(answers).toEqual([{ id: 'a', status: 429, headers: { 'retry-after': '1' }, body: {} }]);
    expect(env.graph.requests).toHaveLength(2);
  });

  it('runs chunks in order when items depend on earlier chunks: 424 without sending if the dependency failed', async () => {
    env.graph.handler = (req) => ({
      status: 200,
      body: {
        responses: sent(req).requests.map((r) => ({
          id: r.id,
          status: r.url === '/fail' ? 404 : 200,
          body: {},
        })),
      },
    });
    const items: BatchRequestItem[] = Array.from({ length: 20 }, (_, i) => ({
      id: `i${i}`,
      method: 'GET',
      url: i === 19 ? '/fail' : '/ok',
    }));
    items.push({ id: 'dep-ok', method: 'GET', url: '/ok', dependsOn: ['i0'] });
    items.push({ id: 'dep-fail', method: 'GET', url: '/ok', dependsOn: ['i19'] });
    const answers = await env.factory().forBackup(TENANT_A).batch(items);
    expect(answers.at(-2)?.status).toBe(200);
    expect(answers.at(-1)?.status).toBe(424);
    const secondChunk = sent(env.graph.requests[1]).requests;
    expect(secondChunk.map((r) => r.id)).toEqual(['dep-ok']);
    expect(secondChunk[0].dependsOn).toBeUndefined();
  });

  it('rejects bad input with a clear error before sending anything', async () => {
    const client = env.factory().forBackup(TENANT_A);
    await expect(
      client.batch([
        { id: 'A', method: 'GET', url: '/x' },
        { id: 'a', method: 'GET', url: '/y' },
      ]),
    ).rejects.toThrow(BatchInputError);
    await expect(
      client.batch([{ id: '1', method: 'GET', url: 'https://graph.microsoft.com/v1.0/users' }]),
    ).rejects.toThrow(/relative/);
    await expect(
      client.batch([
        { id: '1', method: 'GET', url: '/x', dependsOn: ['2'] },
        { id: '2', method: 'GET', url: '/y' },
      ]),
    ).rejects.toThrow(/earlier item/);
    expect(env.graph.requests).toHaveLength(0);
  });
});
