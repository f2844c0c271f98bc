// The audit log is append-only and hash-chained: `entra-backup audit verify` (the real CLI
// binary, in its own process, as an operator runs it) passes an intact chain and names the
// first altered or removed entry, including a removed newest entry.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTenant } from '../../src/settings/tenant-settings.ts';
import { openStore } from '../../src/store/open-store.ts';
import { SQLITE_FILE_NAME } from '../../src/store/sqlite-store.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const TENANT = '11111111-2222-4333-8444-555555555555';
let dataDir: string;
let dbFile: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'sec-audit-'));
  dbFile = path.join(dataDir, SQLITE_FILE_NAME);
  const store = await openStore({ dataDir });
  await ensureTenant(store, TENANT, new Date());
  const actor = { tenantId: TENANT, objectId: 'aaaaaaaa-0000-4000-8000-000000000001', kind: 'user' as const };
  for (const action of [
    'restore.requested',
    'restore.approved',
    'restore.step',
    'restore.step',
    'settings.changed',
  ]) {
    await store.appendAudit({
      tenantId: TENANT,
      actor,
      action,
      target: 'user:x',
      details: { n: action.length },
    });
  }
  await store.close();
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

interface Verdict {
  code: number | null;
  json: {
    ok: boolean;
    tenants: {
      tenantId: string;
      ok: boolean;
      entries: number;
      firstProblem?: { seq: number; problem: string };
    }[];
  };
}

function verify(): Promise<Verdict> {
  // An operator's environment on the server: a real tenant configured (no dev tenant needed),
  // the store under DATA_DIR.
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    NODE_ENV: 'production',
    DATA_DIR: dataDir,
    BACKUP_CLIENT_ID: '00000000-0000-4000-8000-0000000000b1',
    BACKUP_CLIENT_SECRET: 'not-used-by-audit-verify',
  };
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'bin/entra-backup.js'), 'audit', 'verify', '--json'],
    {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((resolve, reject) =>
    child.on('exit', (code) => {
      try {
        resolve({ code, json: JSON.parse(out) });
      } catch {
        reject(new Error(`audit verify printed no JSON (exit ${code}): ${out} ${err}`));
      }
    }),
  );
}

/** Runs `edit` on the SQLite file, verifies, then puts the original rows back. */
async function tampered(edit: (db: Database.Database) => void): Promise<Verdict> {
  const db = new Database(dbFile);
  const rows = db.prepare('SELECT * FROM audit WHERE tenant_id = ?').all(TENANT) as Record<string, unknown>[];
  const head = db.prepare('SELECT * FROM audit_head WHERE tenant_id = ?').get(TENANT) as Record<
    string,
    unknown
  >;
  edit(db);
  db.close();
  try {
    return await verify();
  } finally {
    const back = new Database(dbFile);
    back.transaction(() => {
      back.prepare('DELETE FROM audit WHERE tenant_id = ?').run(TENANT);
      const insert = back.prepare(
        'INSERT INTO audit (tenant_id, seq, actor_id, action, doc) VALUES (@tenant_id, @seq, @actor_id, @action, @doc)',
      );
      for (const r of rows) insert.run(r);
      back.prepare('UPDATE audit_head SET seq = @seq, hash = @hash WHERE tenant_id = @tenant_id').run(head);
    })();
    back.close();
  }
}

function editDoc(db: Database.Database, seq: number, change: (doc: Record<string, unknown>) => void) {
  const row = db.prepare('SELECT doc FROM audit WHERE tenant_id = ? AND seq = ?').get(TENANT, seq) as {
    doc: string;
  };
  const doc = JSON.parse(row.doc) as Record<string, unknown>;
  change(doc);
  db.prepare('UPDATE audit SET doc = ? WHERE tenant_id = ? AND seq = ?').run(
    JSON.stringify(doc),
    TENANT,
    seq,
  );
}

describe('entra-backup audit verify', () => {
  it('passes the intact chain', async () => {
    const v = await verify();
    expect(v.code).toBe(0);
    expect(v.json.ok).toBe(true);
    expect(v.json.tenants).toEqual([expect.objectContaining({ tenantId: TENANT, ok: true, entries: 5 })]);
  }, 30_000);

  it('names an altered entry (an approval turned into something else)', async () => {
    const v = await tampered((db) => editDoc(db, 2, (d) => (d.action = 'restore.rejected')));
    expect(v.code).toBe(1);
    expect(v.json.tenants[0].firstProblem).toMatchObject({ seq: 2, problem: 'altered' });
  }, 30_000);

  it('names an entry altered and re-hashed to hide it (the next link breaks)', async () => {
    const { auditHash } = await import('../../src/store/audit-chain.ts');
    const v = await tampered((db) =>
      editDoc(db, 3, (d) => {
        d.details = { n: 999 };
        d.hash = auditHash(d as unknown as Parameters<typeof auditHash>[0]);
      }),
    );
    expect(v.code).toBe(1);
    expect(v.json.tenants[0].firstProblem?.seq).toBeGreaterThanOrEqual(3);
    expect(v.json.tenants[0].ok).toBe(false);
  }, 30_000);

  it('names a removed entry in the middle and a removed newest entry', async () => {
    const middle = await tampered((db) =>
      db.prepare('DELETE FROM audit WHERE tenant_id = ? AND seq = 3').run(TENANT),
    );
    expect(middle.code).toBe(1);
    expect(middle.json.tenants[0].firstProblem).toMatchObject({ seq: 3, problem: 'removed' });
    const newest = await tampered((db) =>
      db.prepare('DELETE FROM audit WHERE tenant_id = ? AND seq = 5').run(TENANT),
    );
    expect(newest.code).toBe(1);
    expect(newest.json.tenants[0].firstProblem).toMatchObject({ problem: 'removed' });
    // And the restored file verifies again: the check is about content, not about the file.
    expect((await verify()).code).toBe(0);
  }, 60_000);
});
