// The gateway against the real dev tenant (Graph simulator + token issuer over HTTPS):
// tokens through msal-node, paging through a seeded tenant's users, throttling, $batch and
// permission enforcement. GATEWAY_BIG=1 pages through 100,000 users.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevTenant, startDevTenant } from '../../src/devtenant/dev-tenant.ts';
import { GraphError } from '../../src/graph/gateway.ts';
import {
  createGraphClientFactory,
  type GatewayGraphClientFactory,
} from '../../src/graph/graph-client-factory.ts';
import type { GraphGatewayOptions } from '../../src/graph/graph-gateway-options.ts';
import { createLogger } from '../../src/log.ts';

const BIG = process.env.GATEWAY_BIG === '1';
const USERS = BIG ? 100_000 : 3_000;

let dir: string;
let dev: DevTenant;
let tenantId: string;
const factories: GatewayGraphClientFactory[] = [];

function gateway(overrides: Partial<GraphGatewayOptions> = {}): GatewayGraphClientFactory {
  const factory = createGraphClientFactory({
    graphBaseUrl: `${dev.graphUrl}/v1.0`,
    authorityHost: dev.authorityUrl,
    backup: dev.apps.backup,
    restore: dev.apps.restore,
    caPem: dev.caPem,
    maxAttempts: 6,
    concurrency: 8,
    logger: createLogger('silent'),
    ...overrides,
  });
  factories.push(factory);
  return factory;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'gateway-devtenant-'));
  dev = await startDevTenant({
    dataDir: dir,
    seed: { seed: 'gateway', users: USERS, groups: 20, devices: 5, applications: 3, signIns: 10 },
    logger: createLogger('silent'),
  });
  tenantId = dev.tenants[0].tenantId;
}, 180_000);

afterAll(async () => {
  for (const f of factories) f.close();
  await dev?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('gateway against the dev tenant', () => {
  it(
    `pages through all ${USERS.toLocaleString('en-US')} users with tokens from msal-node`,
    async () => {
      const client = gateway().forBackup(tenantId);
      expect(await client.grantedRoles()).toContain('User.Read.All');
      const ids = new Set<string>();
      let pages = 0;
      for await (const page of client.pages<{ id: string }>('/users?$select=id,userPrincipalName&$top=999')) {
        pages++;
        for (const user of page.value) ids.add(user.id);
      }
      expect(ids.size).toBe(USERS);
      expect(pages).toBe(Math.ceil(USERS / 999));
      expect(client.stats.requests).toBeGreaterThanOrEqual(pages);
    },
    BIG ? 600_000 : 60_000,
  );

  it('gets through injected throttling and resets by retrying', async () => {
    dev.setFaults(tenantId, { rate429: 0.5, rateReset: 0.1, retryAfterSeconds: 0 });
    try {
      const client = gateway({ maxAttempts: 30, baseRetryDelayMs: 1, maxRetryDelayMs: 5 }).forBackup(
        tenantId,
      );
      let count = 0;
      // 20+ pages: a run without any fault is practically impossible (0.45^20).
      for await (const page of client.pages('/groups?$top=1')) count += page.value.length;
      expect(count).toBeGreaterThanOrEqual(20);
      expect(client.stats.retries).toBeGreaterThan(0);
    } finally {
      dev.setFaults(tenantId, { rate429: 0, rateReset: 0 });
    }
  });

  it('runs $batch against the simulator and answers in input order', async () => {
    const client = gateway().forBackup(tenantId);
    const first = await client.getPage<{ id: string }>('/users?$select=id&$top=30');
    const answers = await client.batch(
      first.value.map((u, i) => ({
        id: String(i),
        method: 'GET' as const,
        url: `/users/${u.id}?$select=id`,
      })),
    );
    expect(answers.map((a) => a.status)).toEqual(first.value.map(() => 200));
    expect(answers.map((a) => (a.body as { id: string }).id)).toEqual(first.value.map((u) => u.id));
  });

  it('the read-only backup app is refused writes with 403 Authorization_RequestDenied', async () => {
    const client = gateway().forBackup(tenantId);
    const user = (await client.getPage<{ id: string }>('/users?$select=id&$top=1')).value[0];
    const err = (await client
      .patch(`/users/${user.id}`, { jobTitle: 'x' })
      .catch((e: unknown) => e)) as GraphError;
    expect(err).toBeInstanceOf(GraphError);
    expect(err).toMatchObject({ status: 403, code: 'Authorization_RequestDenied' });
    expect(err.requestId).toBeTruthy();
  });

  it('after consent is revoked, a new token has no roles and Graph answers 403', async () => {
    dev.revokeConsent(tenantId, 'restore');
    try {
      const client = gateway().forRestore(tenantId);
      expect(await client.grantedRoles()).toEqual([]);
      const err = (await client.get('/users?$top=1').catch((e: unknown) => e)) as GraphError;
      expect(err).toMatchObject({ status: 403, code: 'Authorization_RequestDenied' });
    } finally {
      dev.grantConsent(tenantId, 'restore');
    }
  });
});
