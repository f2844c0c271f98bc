// `entra-backup audit list` as the README shows it (no --tenant): with one stored tenant it lists
// that tenant's entries, like every other verb; with several it names them and asks for --tenant.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTenant } from '../../src/settings/tenant-settings.ts';
import { openStore } from '../../src/store/open-store.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const FIRST = '11111111-2222-4333-8444-555555555555';
const SECOND = '22222222-3333-4444-8555-666666666666';
let dataDir: string;

async function seed(tenantId: string, actions: string[]): Promise<void> {
  const store = await openStore({ dataDir });
  try {
    await ensureTenant(store, tenantId, new Date());
    const actor = { tenantId, objectId: 'aaaaaaaa-0000-4000-8000-000000000001', kind: 'user' as const };
    for (const action of actions) await store.appendAudit({ tenantId, actor, action, target: 'user:x' });
  } finally {
    await store.close();
  }
}

function auditList(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  // An operator's shell on the server: a real tenant configured, the store under DATA_DIR.
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    NODE_ENV: 'production',
    DATA_DIR: dataDir,
    BACKUP_CLIENT_ID: '00000000-0000-4000-8000-0000000000b1',
    BACKUP_CLIENT_SECRET: 'not-used-by-audit-list',
  };
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/entra-backup.js'), 'audit', 'list', ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out, err })));
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'audit-list-cli-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('entra-backup audit list', () => {
  it('lists the only stored tenant without --tenant', async () => {
    await seed(FIRST, ['restore.requested', 'restore.approved']);
    const r = await auditList('--json');
    expect(r.code).toBe(0);
    const entries = JSON.parse(r.out) as { tenantId: string; action: string }[];
    expect(entries.map((e) => e.action)).toEqual(['restore.approved', 'restore.requested']);
    expect(entries.every((e) => e.tenantId === FIRST)).toBe(true);
  }, 30_000);

  it('with several tenants names them and asks for --tenant; --tenant picks one', async () => {
    await seed(SECOND, ['settings.changed']);
    const r = await auditList();
    expect(r.code).toBe(2);
    expect(r.err).toContain('pass --tenant <id>');
    expect(r.err).toContain(FIRST);
    expect(r.err).toContain(SECOND);
    const picked = await auditList('--tenant', SECOND, '--json');
    expect(picked.code).toBe(0);
    expect((JSON.parse(picked.out) as { action: string }[]).map((e) => e.action)).toEqual([
      'settings.changed',
    ]);
  }, 30_000);
});
