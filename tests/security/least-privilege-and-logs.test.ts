// Least privilege and secret hygiene, observed on the wire and in the logs of a full run:
// - every backup request carries the backup app's token, whose roles are read-only, and only
//   reads (GET, or $batch of GETs); every write of a restore carries the restore app's token;
//   the backup app's token cannot write (Graph answers 403);
// - the pino output of a full backup and of a restore that re-creates a user with a temporary
//   password holds no JWT, no dev secret and not that password;
// - secrets come only from the environment (config.ts) or, in Azure, Key Vault references.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBackupNow } from '../../src/backup/run-now.ts';
import { OBJECT_TYPES } from '../../src/domain.ts';
import { GraphError } from '../../src/graph/gateway.ts';
import { createLogger } from '../../src/log.ts';
import { executeRestore } from '../../src/restore/executor.ts';
import { planRestore } from '../../src/restore/planner.ts';
import { ensureTenant } from '../../src/settings/tenant-settings.ts';
import type { FaultProxy } from '../helpers/fault-proxy.ts';
import { createTestWorld, type TestWorld } from '../helpers/test-world.ts';
import { approvedRecord, createUser, domainOf, hardDelete } from '../restore/restore-harness.ts';
import { graphProxy } from './lib/graph-fault-scenarios.ts';
import { productContext } from './lib/product-context.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
let world: TestWorld;
let proxy: FaultProxy;
let logs = '';
let password: string | undefined;
let ctx: ReturnType<typeof productContext>;

interface BatchBody {
  requests?: { method?: string; url?: string }[];
}

const methodsOf = (r: { method: string; path: string; body?: string }): string[] => {
  if (r.method === 'POST' && /\/\$batch(\?|$)/.test(r.path) && r.body) {
    return ((JSON.parse(r.body) as BatchBody).requests ?? []).map((q) =>
      String(q.method ?? 'GET').toUpperCase(),
    );
  }
  return [r.method];
};

beforeAll(async () => {
  world = await createTestWorld({ users: 15, seed: 'sec-least-privilege' });
  proxy = await graphProxy(world, 1);
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs += chunk.toString();
      done();
    },
  });
  ctx = productContext(world, {
    graphUrl: proxy.url,
    graphCaPem: proxy.caPem,
    logger: createLogger('trace', sink),
  });
  const { tenantId } = world;
  // A user that exists at T and is then deleted for good: restoring it re-creates it with a
  // temporary password, which the tenant's policy lets the approver see once.
  const writer = ctx.graph.forRestore(tenantId);
  const victim = await createUser(writer, await domainOf(writer), 'lp-victim', { jobTitle: 'Victim' });
  const types = OBJECT_TYPES.filter((t) => t !== 'signIn');
  const full = await runBackupNow(ctx, tenantId, { kind: 'full', trigger: 'manual', types }, { pollMs: 50 });
  if (full.status !== 'succeeded') throw new Error(`backup ${full.status}: ${JSON.stringify(full.errors)}`);
  const at = ctx.now().toISOString();
  await new Promise((r) => setTimeout(r, 20));
  await hardDelete(writer, '/users', String(victim.id));
  await runBackupNow(ctx, tenantId, { kind: 'incremental', trigger: 'manual', types }, { pollMs: 50 });
  const settings = await ensureTenant(ctx.store, tenantId, ctx.now());
  await ctx.store.putSettings({ ...settings, restore: { revealTemporaryPasswords: true } });
  const plan = await planRestore(ctx, {
    tenantId,
    objects: [{ objectType: 'user', objectId: String(victim.id) }],
    at,
  });
  const record = await executeRestore(ctx, await approvedRecord(ctx, plan), {
    workerId: 'sec-lp',
    onTemporaryPassword: (info) => {
      password = info.password;
    },
  });
  if (record.status !== 'succeeded')
    throw new Error(`restore ${record.status}: ${JSON.stringify(record.stepResults)}`);
}, 180_000);

afterAll(async () => {
  ctx?.close();
  await proxy?.stop();
  await world?.close();
});

describe('least privilege', () => {
  it('the backup path reads only, with a read-only token', () => {
    const backupApp = world.devTenant.apps.backup.clientId;
    const backupCalls = proxy.requests.filter((r) => r.claims?.appid === backupApp);
    expect(backupCalls.length).toBeGreaterThan(20);
    const writes = backupCalls.flatMap((r) =>
      methodsOf(r)
        .filter((m) => m !== 'GET')
        .map((m) => `${m} ${r.path}`),
    );
    expect(writes).toEqual([]);
    const roles = new Set(backupCalls.flatMap((r) => (r.claims?.roles as string[] | undefined) ?? []));
    expect(roles.size).toBeGreaterThan(0);
    expect(
      [...roles].filter((role) => !/\.Read(\.All)?$|\.Read\./.test(role) || /ReadWrite/.test(role)),
    ).toEqual([]);
  });

  it('every write of the restore carries the restore app’s token', () => {
    const restoreApp = world.devTenant.apps.restore.clientId;
    const writes = proxy.requests.filter((r) => methodsOf(r).some((m) => m !== 'GET'));
    expect(writes.length).toBeGreaterThan(0);
    expect(writes.filter((r) => r.claims?.appid !== restoreApp).map((r) => `${r.method} ${r.path}`)).toEqual(
      [],
    );
    expect(password, 'the re-created user got a temporary password').toBeTruthy();
  });

  it('the backup app cannot write even if asked to', async () => {
    const victim = world.devTenant.ops(world.tenantId).list('user')[2];
    const err = await ctx.graph
      .forBackup(world.tenantId)
      .patch(`/users/${victim.id}`, { jobTitle: 'written by the backup app' })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(GraphError);
    expect((err as GraphError).status).toBe(403);
    expect(world.devTenant.ops(world.tenantId).get('user', victim.id).data.jobTitle).not.toBe(
      'written by the backup app',
    );
  });
});

describe('secrets', () => {
  it('the logs of a full backup and a restore with a temporary password hold no token, secret or password', () => {
    expect(logs.length).toBeGreaterThan(1000);
    const apps = world.devTenant.apps;
    const secrets = [apps.backup, apps.restore, apps.bot, apps.tab]
      .map((a) => a.clientSecret)
      .filter((s): s is string => !!s);
    expect(secrets.length).toBeGreaterThan(0);
    const jwts = logs.match(/eyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]+/g) ?? [];
    expect(jwts).toEqual([]);
    for (const secret of secrets)
      expect(logs.includes(secret), 'a dev app secret is in the logs').toBe(false);
    expect(logs.includes(String(password)), 'the temporary password is in the logs').toBe(false);
    expect(/Bearer\s+[\w-]{20,}/i.test(logs)).toBe(false);
  });

  it('the stored restore record and audit log do not hold the temporary password either', async () => {
    const dump: string[] = [];
    for (const r of await world.ctx.store.listRestores(world.tenantId, { limit: 50 }))
      dump.push(JSON.stringify(r));
    for (const e of (await world.ctx.store.listAudit(world.tenantId, { limit: 1000 })).items)
      dump.push(JSON.stringify(e));
    expect(dump.join('\n').includes(String(password))).toBe(false);
  });

  it('product code reads secrets only from the validated environment (config.ts); Azure passes Key Vault references', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const full = path.join(dir, name);
        if (statSync(full).isDirectory()) walk(full);
        else if (full.endsWith('.ts')) files.push(full);
      }
    };
    walk(path.join(ROOT, 'src'));
    walk(path.join(ROOT, 'bot'));
    const offenders: string[] = [];
    for (const file of files) {
      const rel = path.relative(ROOT, file);
      const text = readFileSync(file, 'utf8');
      // Secret-bearing variables are read through loadConfig only.
      if (rel !== 'src/config.ts' && /process\.env\.?\[?['"]?\w*(SECRET|PASSWORD|_KEY)\b/.test(text))
        offenders.push(`${rel}: reads a secret from process.env`);
      // No credential literal in product code (the dev tenant generates its own at start).
      if (
        !rel.startsWith('src/devtenant/') &&
        /(clientSecret|password|BOT_APP_PASSWORD|COSMOS_KEY)\s*[:=]\s*['"][^'"]{8,}['"]/.test(text)
      )
        offenders.push(`${rel}: a credential literal`);
    }
    expect(offenders).toEqual([]);
    const bicep = readFileSync(path.join(ROOT, 'infra/main.bicep'), 'utf8');
    for (const name of ['BACKUP_CLIENT_SECRET', 'RESTORE_CLIENT_SECRET', 'BOT_APP_PASSWORD']) {
      const line = bicep.split('\n').find((l) => l.includes(`${name}:`));
      expect(line, `${name} in infra/main.bicep`).toMatch(/@Microsoft\.KeyVault\(/);
    }
  });
});
