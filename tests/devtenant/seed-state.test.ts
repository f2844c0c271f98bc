// The seeder is deterministic and realistic; the state lives in SQLite under DATA_DIR so the
// CLI (another process) and the server see the same tenant, and it survives restarts.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliDeps } from '../../src/cli/cli-deps.ts';
import { registerDevTenantCommands } from '../../src/devtenant/cli.ts';
import { openDevTenantDb } from '../../src/devtenant/dev-db.ts';
import { startDevTenant } from '../../src/devtenant/dev-tenant.ts';
import { seedTenant, tenantIdForSeed } from '../../src/devtenant/seed.ts';
import { GLOBAL_ADMIN_TEMPLATE, PRIVILEGED_ROLE_ADMIN_TEMPLATE } from '../../src/devtenant/seed-data.ts';
import { TenantOps } from '../../src/devtenant/tenant-ops.ts';
import { type Fixture, items, startFixture } from './fixture.ts';

const run = promisify(execFile);
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'devtenant-seed-'));
});
afterAll(async () => rm(tmp, { recursive: true, force: true }));

describe('seeder', () => {
  it('gives the same tenant for the same seed, and another for another seed', () => {
    const a = openDevTenantDb(path.join(tmp, 'a'));
    const b = openDevTenantDb(path.join(tmp, 'b'));
    const ra = seedTenant(a, { seed: 'contoso', users: 80, now: new Date('2026-01-01T00:00:00Z') });
    const rb = seedTenant(b, { seed: 'contoso', users: 80, now: new Date('2026-01-01T00:00:00Z') });
    expect(ra.tenantId).toBe(tenantIdForSeed('contoso'));
    expect(rb.tenantId).toBe(ra.tenantId);
    const dump = (db: typeof a) =>
      db
        .prepare(
          "SELECT type, id, data FROM objects WHERE type IN ('user','group','roleAssignment') ORDER BY type, id",
        )
        .all();
    expect(dump(b)).toEqual(dump(a));
    const links = (db: typeof a) =>
      db.prepare('SELECT kind, source_id, target_id FROM links ORDER BY 1, 2, 3').all();
    expect(links(b)).toEqual(links(a));
    const other = seedTenant(b, { seed: 'fabrikam', users: 10 });
    expect(other.tenantId).not.toBe(ra.tenantId);
    a.close();
    b.close();
  });

  it('bulk-loads (rollback journal, indexes rebuilt) to the same tenant, back in WAL, and stays in WAL beside another connection', () => {
    const when = new Date('2026-01-01T00:00:00Z');
    const plain = openDevTenantDb(path.join(tmp, 'plain'));
    const bulk = openDevTenantDb(path.join(tmp, 'bulk'));
    seedTenant(plain, { seed: 'contoso', users: 120, now: when, bulk: false });
    seedTenant(bulk, { seed: 'contoso', users: 120, now: when, bulk: true });
    const dump = (db: typeof plain) => ({
      objects: db.prepare('SELECT type, id, seq, ukey, name, data FROM objects ORDER BY type, id').all(),
      links: db.prepare('SELECT kind, source_id, target_id, seq FROM links ORDER BY 1, 2, 3').all(),
      indexes: db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name").all(),
    });
    expect(dump(bulk)).toEqual(dump(plain));
    expect(bulk.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(bulk.pragma('page_size', { simple: true })).toBe(8192);
    // The org chart: every member but a department's head has a manager.
    expect(
      (bulk.prepare("SELECT COUNT(*) AS n FROM links WHERE kind = 'manager'").get() as { n: number }).n,
    ).toBeGreaterThan(80);
    // Another connection on the file: the load stays in WAL and is still correct.
    const reader = openDevTenantDb(path.join(tmp, 'bulk'));
    seedTenant(bulk, { seed: 'contoso', users: 120, now: when, bulk: true });
    expect(dump(reader).objects).toEqual(dump(plain).objects);
    expect(bulk.pragma('journal_mode', { simple: true })).toBe('wal');
    reader.close();
    plain.close();
    bulk.close();
  });

  it('seeds any seed name and size without a collision: unique ids, UPNs and mail nicknames', () => {
    const db = openDevTenantDb(path.join(tmp, 'many'));
    const names = [
      'backup-engine',
      'backup-workers',
      'backup-sign-ins',
      'restore',
      'bot',
      'tab',
      'chaos',
      'security',
      'bench',
      'contoso',
      'fabrikam',
      'x',
      'seed with spaces',
      'Ünïcode',
      '42',
      'seed-1',
      'seed-2',
      'seed-14',
      'a-2',
      'a',
    ];
    const duplicates = (tenantId: string, type: string, expr: string) =>
      db
        .prepare(
          `SELECT ${expr} AS k FROM objects WHERE tenant_id = ? AND type = ? GROUP BY k HAVING COUNT(*) > 1`,
        )
        .all(tenantId, type);
    let seeded = 0;
    for (const seed of names)
      for (const users of [1, 2, 5, 13, 40]) {
        // Two tenants from the same seed (seed and seed-2) in one file, as `tenants: 2` plans them.
        for (const s of [seed, `${seed}-2`]) {
          const r = seedTenant(db, { seed: s, users, signIns: 3, directoryAudits: 2 });
          seeded++;
          expect(r.counts.user).toBe(users);
          expect(duplicates(r.tenantId, 'user', "lower(json_extract(data, '$.userPrincipalName'))")).toEqual(
            [],
          );
          expect(duplicates(r.tenantId, 'user', "lower(json_extract(data, '$.mailNickname'))")).toEqual([]);
          expect(duplicates(r.tenantId, 'group', "lower(json_extract(data, '$.mailNickname'))")).toEqual([]);
        }
      }
    // Larger tenants drew namesake guests from one domain (seed-1, seed-2, seed-14 at 2,000 users).
    for (const seed of ['seed-1', 'seed-2', 'seed-14']) {
      const r = seedTenant(db, { seed, users: 2000, signIns: 0, devices: 0 });
      expect(duplicates(r.tenantId, 'user', "lower(json_extract(data, '$.userPrincipalName'))")).toEqual([]);
      expect(duplicates(r.tenantId, 'user', "lower(json_extract(data, '$.mailNickname'))")).toEqual([]);
    }
    // Object ids are unique across types within each tenant (directoryObjects/{id} resolves one).
    const crossType = db
      .prepare('SELECT tenant_id, id FROM objects GROUP BY tenant_id, id HAVING COUNT(*) > 1')
      .all();
    expect(crossType).toEqual([]);
    expect(seeded).toBe(names.length * 5 * 2);
    db.close();
  });

  it('seeds a realistic tenant: guests, disabled users, group kinds, nested groups, privileged roles', () => {
    const db = openDevTenantDb(path.join(tmp, 'c'));
    const r = seedTenant(db, { seed: 'realistic', users: 300 });
    const ops = new TenantOps(db, r.tenantId);
    const users = ops.list('user', { limit: 1000 });
    expect(
      users.some((u) => u.data.userType === 'Guest' && String(u.data.userPrincipalName).includes('#EXT#')),
    ).toBe(true);
    expect(users.some((u) => u.data.accountEnabled === false)).toBe(true);
    expect(new Set(users.map((u) => u.data.department)).size).toBeGreaterThan(5);
    const groups = ops.list('group', { limit: 1000 });
    const kind = (g: (typeof groups)[number]) =>
      `${(g.data.groupTypes as string[]).includes('Unified')}|${g.data.mailEnabled}|${g.data.securityEnabled}`;
    const kinds = new Set(groups.map(kind));
    expect(kinds.has('false|false|true')).toBe(true);
    expect([...kinds].some((k) => k.startsWith('true|'))).toBe(true);
    expect(kinds.has('false|true|true') || kinds.has('false|true|false')).toBe(true);
    const nested = db
      .prepare("SELECT COUNT(*) AS n FROM links WHERE kind = 'members' AND target_type = 'group'")
      .get() as { n: number };
    expect(nested.n).toBeGreaterThan(0);
    const holders = (tpl: string) =>
      ops
        .list('roleAssignment')
        .filter((a) => a.data.roleDefinitionId === tpl && a.data.directoryScopeId === '/');
    expect(holders(GLOBAL_ADMIN_TEMPLATE).length).toBeGreaterThanOrEqual(1);
    expect(holders(PRIVILEGED_ROLE_ADMIN_TEMPLATE).length).toBeGreaterThanOrEqual(1);
    expect(
      ops
        .list('roleAssignment')
        .some((a) => String(a.data.directoryScopeId).startsWith('/administrativeUnits/')),
    ).toBe(true);
    expect(ops.count('conditionalAccessPolicy')).toBe(5);
    db.close();
  });

  it.skipIf(!process.env.DEVTENANT_BIG)(
    'seeds 100,000 users in under a minute',
    () => {
      const db = openDevTenantDb(path.join(tmp, 'big'));
      const r = seedTenant(db, { seed: 'big', users: 100_000 });
      expect(r.counts.user).toBe(100_000);
      expect(r.ms).toBeLessThan(60_000);
      db.close();
    },
    180_000,
  );
});

describe('shared state', () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await startFixture({ users: 30 });
  }, 60_000);
  afterAll(async () => fx?.close());

  it('lets the CLI (another process) change what the running server answers', async () => {
    const user = fx.dev.ops().get('user', 'MeganBowen@contoso.onmicrosoft.com');
    const cli = path.resolve('bin/entra-backup.js');
    const env = { ...process.env, DATA_DIR: fx.dir };
    const set = await run(
      process.execPath,
      [
        cli,
        'devtenant',
        'mutate',
        'set',
        'user',
        user.id,
        'jobTitle=Set by CLI',
        'accountEnabled=false',
        '--json',
      ],
      { env },
    );
    expect(JSON.parse(set.stdout).data.jobTitle).toBe('Set by CLI');
    const r = await fx.get(`/users/${user.id}?$select=jobTitle,accountEnabled`);
    expect(r.json.jobTitle).toBe('Set by CLI');
    expect(r.json.accountEnabled).toBe(false);
  }, 60_000);

  it('runs the verbs in-process with --json: delete to the recycle bin, incident, clear errors', async () => {
    const outputs: unknown[] = [];
    const errors: { code: string; message: string }[] = [];
    const deps: CliDeps = {
      openRuntime: () => Promise.reject(new Error('not used')),
      output: (_json, data) => {
        outputs.push(data);
      },
      fail: (_json, code, message) => {
        errors.push({ code, message });
      },
    };
    const previous = process.env.DATA_DIR;
    process.env.DATA_DIR = fx.dir;
    try {
      const program = new Command().exitOverride();
      registerDevTenantCommands(program, deps);
      await program.parseAsync(['devtenant', 'mutate', 'delete', 'group', 'All Company', '--json'], {
        from: 'user',
      });
      expect(outputs.pop()).toMatchObject({ deleted: 'soft' });
      const bin = await fx.get('/directory/deletedItems/microsoft.graph.group');
      expect(items(bin).map((g) => g.displayName)).toContain('All Company');
      await program.parseAsync(['devtenant', 'mutate', 'incident', '--delete-users', '2', '--json'], {
        from: 'user',
      });
      expect((outputs.pop() as { deleted: string[] }).deleted).toHaveLength(2);
      await program.parseAsync(['devtenant', 'get', 'user', 'nobody@nowhere', '--json'], { from: 'user' });
      expect(errors.pop()?.code).toBe('Request_ResourceNotFound');
      await program.parseAsync(
        ['devtenant', 'mutate', 'set', 'user', 'AdeleVance@contoso.onmicrosoft.com', 'noequals', '--json'],
        { from: 'user' },
      );
      expect(errors.pop()?.message).toMatch(/property=value/);
    } finally {
      process.env.DATA_DIR = previous;
    }
  });

  it('keeps the tenant, its changes and delta tokens across a restart', async () => {
    const dir = path.join(tmp, 'restart');
    const first = await startDevTenant({ dataDir: dir, seed: { seed: 'restart', users: 20 } });
    const tenantId = first.tenants[0].tenantId;
    const ops = first.ops();
    const victim = ops.list('user')[4];
    ops.delete('user', victim.id);
    const secret = first.apps.backup.clientSecret;
    await first.stop();
    const second = await startDevTenant({ dataDir: dir, seed: { seed: 'restart', users: 999 } });
    try {
      expect(second.tenants[0].tenantId).toBe(tenantId);
      expect(second.ops().count('user')).toBe(19);
      expect(second.ops().get('user', victim.id).state).toBe('deleted');
      expect(second.apps.backup.clientSecret).toBe(secret);
    } finally {
      await second.stop();
    }
  }, 60_000);
});
