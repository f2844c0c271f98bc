// Bad input ends a run with a clear, specific error and loses nothing stored: a corrupt store
// file, an unreachable Cosmos endpoint, a full disk mid-run, revoked consent (403 from Graph).
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBackupNow } from '../../src/backup/run-now.ts';
import { openStore } from '../../src/store/open-store.ts';
import { SqliteStore } from '../../src/store/sqlite-store.ts';
import { StoreUnavailableError } from '../../src/store/store.ts';
import { createTestWorld, type TestWorld } from '../helpers/test-world.ts';
import { storeFingerprint } from './store-fingerprint.ts';

let world: TestWorld;
beforeAll(async () => {
  world = await createTestWorld({ users: 15, seed: 'backup-bad-input' });
});
afterAll(async () => {
  await world?.close();
});

describe('bad input', () => {
  it('a corrupt store file is refused with an error naming the file', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'backup-corrupt-'));
    await writeFile(
      path.join(dir, 'entra-backup.db'),
      Buffer.from('this is not a database, just garbage '.repeat(200)),
    );
    const err = await openStore({ dataDir: dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect(String((err as Error).message)).toContain('entra-backup.db');
  });

  it('an unreachable Cosmos endpoint is refused with an error naming the endpoint', async () => {
    const err = await openStore({
      dataDir: world.dataDir,
      cosmos: { endpoint: 'https://127.0.0.1:9', key: 'a2V5', database: 'x', requestTimeoutMs: 2000 },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect(String((err as Error).message)).toMatch(/127\.0\.0\.1:9.*unreachable/);
  }, 30_000);

  it('a store that fails mid-run (full disk) ends the run failed with the store error; resumed later, nothing lost', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'backup-full-disk-'));
    const file = path.join(dir, 'entra-backup.db');
    const small = new SqliteStore({ file, maxPageCount: 60 });
    await small.init();
    const ctx = { ...world.ctx, store: small };
    const run = await runBackupNow(
      ctx,
      world.tenantId,
      { kind: 'full', trigger: 'manual' },
      { leaseMs: 2000 },
    );
    expect(run.status).toBe('failed');
    expect(run.errors.at(-1)?.code).toBe('STORE_UNAVAILABLE');
    const before = await storeFingerprint(small, world.tenantId);
    await small.close();
    // Room again: the same run resumes from its checkpoint and completes.
    const roomy = new SqliteStore({ file });
    await roomy.init();
    const after = await storeFingerprint(roomy, world.tenantId);
    expect(after.versions).toEqual(before.versions);
    const resumed = await runBackupNow(
      { ...world.ctx, store: roomy },
      world.tenantId,
      { kind: 'full', trigger: 'manual' },
      { leaseMs: 2000 },
    );
    expect(resumed.status).toBe('succeeded');
    const final = await storeFingerprint(roomy, world.tenantId);
    for (const v of before.versions) expect(final.versions).toContain(v);
    await roomy.close();
  }, 60_000);

  it('revoked consent ends the run with CONSENT_REVOKED and changes nothing stored', async () => {
    const first = await runBackupNow(
      world.ctx,
      world.tenantId,
      { kind: 'full', trigger: 'manual' },
      { leaseMs: 30_000 },
    );
    expect(first.status).toBe('succeeded');
    const before = await storeFingerprint(world.ctx.store, world.tenantId);
    world.devTenant.revokeConsent(world.tenantId, 'backup');
    try {
      const run = await runBackupNow(
        world.ctx,
        world.tenantId,
        { kind: 'incremental', trigger: 'manual' },
        { leaseMs: 30_000 },
      );
      expect(run.status).toBe('failed');
      const last = run.errors.at(-1);
      expect(last?.code).toBe('CONSENT_REVOKED');
      expect(last?.message).toMatch(/consent/i);
      expect(await storeFingerprint(world.ctx.store, world.tenantId)).toEqual(before);
    } finally {
      world.devTenant.grantConsent(world.tenantId, 'backup');
    }
  }, 60_000);
});
