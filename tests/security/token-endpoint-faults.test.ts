// The identity endpoint failing (not Graph): token requests that get no answer, time out, fail
// TLS or get 5xx are retried with backoff; if that persists the run fails with
// IDENTITY_UNREACHABLE naming the authority, never with CONSENT_REVOKED. A real refusal from
// the issuer (consent revoked) stays CONSENT_REVOKED, at once, without retries.
// The fault proxy sits in front of the dev tenant's token issuer (it rewrites the discovery
// document so msal sends its token requests through the proxy too).
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBackupNow } from '../../src/backup/run-now.ts';
import { loadOrCreateLoopbackCert } from '../../src/devtenant/tls.ts';
import type { RunRecord } from '../../src/store/store.ts';
import { type FaultProxy, type ProxyFaults, startFaultProxy } from '../helpers/fault-proxy.ts';
import { createTestWorld, type TestWorld } from '../helpers/test-world.ts';
import { productContext } from './lib/product-context.ts';
import { compareSnapshots, snapshotStore } from './lib/store-snapshot.ts';
import { recordTally } from './lib/tally.ts';

let world: TestWorld;
beforeAll(async () => {
  world = await createTestWorld({ users: 8, seed: 'sec-token-faults' });
  const first = await runBackupNow(
    world.ctx,
    world.tenantId,
    { kind: 'full', trigger: 'manual', types: ['user'] },
    { pollMs: 50 },
  );
  if (first.status !== 'succeeded') throw new Error(`reference backup ${first.status}`);
}, 120_000);
afterAll(async () => {
  await world?.close();
});

const isTokenRequest = (r: { method: string; path: string }) =>
  r.method === 'POST' && /\/oauth2\/v2\.0\/token(\?|$)/.test(r.path);

/** A proxy in front of the issuer; `trusted: false` serves a certificate the product does not trust. */
async function issuerProxy(trusted = true): Promise<FaultProxy> {
  const tls = await loadOrCreateLoopbackCert(path.join(world.dataDir, 'devtenant'));
  return startFaultProxy({
    target: world.devTenant.authorityUrl,
    targetCaPem: world.devTenant.caPem,
    seed: 5,
    ...(trusted ? { tls } : {}),
  });
}

/** An incremental backup of users whose tokens come through `proxy`. */
async function backupThrough(proxy: FaultProxy, faults: ProxyFaults): Promise<RunRecord> {
  proxy.setFaults(faults);
  const ctx = productContext(world, { authorityUrl: proxy.url, requestTimeoutMs: 400, maxAttempts: 10 });
  try {
    return await runBackupNow(
      ctx,
      world.tenantId,
      { kind: 'incremental', trigger: 'manual', types: ['user'] },
      { pollMs: 50, leaseMs: 60_000 },
    );
  } finally {
    proxy.setFaults({});
    ctx.close();
  }
}

describe('token endpoint faults', () => {
  it('503s and a dropped connection from the token endpoint are retried: the run succeeds', async () => {
    const proxy = await issuerProxy();
    try {
      let tokenRequests = 0;
      // The first two token requests fail (503, then a drop); the third passes.
      const run = await backupThrough(proxy, {
        rate503: 0.5,
        rateDrop: 0.5,
        match: (r) => isTokenRequest(r) && ++tokenRequests <= 2,
      });
      const failed = proxy.injected.unavailable + proxy.injected.dropped;
      recordTally('security/token-transient', { faults: failed, runs: 1 });
      expect(failed).toBe(2);
      expect(run.status, JSON.stringify(run.errors)).toBe('succeeded');
      expect(proxy.requests.filter(isTokenRequest).length).toBe(3);
    } finally {
      await proxy.stop();
    }
  }, 60_000);

  it.each([
    ['no answer (connection dropped)', { rateDrop: 1 }, /ECONNRESET|socket hang up|closed|reset/i],
    ['a timeout', { rateSlow: 1, slowMs: 1500 }, /timed out|ETIMEDOUT/i],
    ['5xx answers', { rate503: 1 }, /HTTP 503/],
  ] as const)(
    'a token endpoint giving %s fails the run as IDENTITY_UNREACHABLE naming the authority, after retries',
    async (_what, faults, detail) => {
      const proxy = await issuerProxy();
      try {
        const before = await snapshotStore(world.ctx.store, world.tenantId, ['user']);
        const run = await backupThrough(proxy, { ...faults, match: isTokenRequest });
        const tokenRequests = proxy.requests.filter(isTokenRequest).length + proxy.injected.slowed;
        recordTally('security/token-unreachable', { faults: tokenRequests, runs: 1 });
        expect(run.status).toBe('failed');
        expect(run.errors.map((e) => e.code)).toEqual(['IDENTITY_UNREACHABLE']);
        const [error] = run.errors;
        expect(error.message).toContain(`${proxy.url}/${world.tenantId}`);
        expect(error.message).toMatch(detail);
        expect(error.message).not.toMatch(/revoked/i);
        // Retried with backoff (5 attempts at most per token), not given up at the first failure.
        expect(
          proxy.injected.dropped + proxy.injected.slowed + proxy.injected.unavailable,
        ).toBeGreaterThanOrEqual(5);
        // Nothing stored was lost or changed.
        const after = await snapshotStore(world.ctx.store, world.tenantId, ['user']);
        expect(compareSnapshots(before, after)).toMatchObject({ lost: 0, duplicated: 0 });
      } finally {
        await proxy.stop();
      }
    },
    60_000,
  );

  it('an identity endpoint whose TLS certificate is not trusted is unreachable, not revoked consent', async () => {
    const proxy = await issuerProxy(false);
    try {
      const run = await backupThrough(proxy, {});
      expect(run.status).toBe('failed');
      expect(run.errors.map((e) => e.code)).toEqual(['IDENTITY_UNREACHABLE']);
      expect(run.errors[0].message).toMatch(/certificate|self[- ]signed|UNABLE_TO_VERIFY/i);
      expect(run.errors[0].message).toContain(proxy.url);
    } finally {
      await proxy.stop();
    }
  }, 60_000);

  it('consent revoked at the issuer stays CONSENT_REVOKED, without retrying the refusal', async () => {
    const proxy = await issuerProxy();
    world.devTenant.revokeConsent(world.tenantId, 'backup');
    try {
      const run = await backupThrough(proxy, {});
      expect(run.status).toBe('failed');
      expect(run.errors.map((e) => e.code)).toEqual(['CONSENT_REVOKED']);
      expect(run.errors[0].message).toMatch(/consent/i);
      expect(proxy.requests.filter(isTokenRequest).length).toBe(1);
    } finally {
      world.devTenant.grantConsent(world.tenantId, 'backup');
      await proxy.stop();
    }
  }, 60_000);
});
