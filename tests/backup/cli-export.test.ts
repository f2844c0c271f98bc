// The backup CLI verbs (with --json) and the ZIP export, against the dev tenant and SQLite.
import { createHash } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { registerBackupCommands } from '../../src/backup/cli.ts';
import type { CliDeps } from '../../src/cli/cli-deps.ts';
import { createTestWorld, type TestWorld } from '../helpers/test-world.ts';
import { opsFor } from './world.ts';

let world: TestWorld;
let outputs: unknown[] = [];
let failures: { code: string; message: string }[] = [];

async function cli(...args: string[]): Promise<unknown> {
  outputs = [];
  failures = [];
  const deps: CliDeps = {
    openRuntime: async () => ({ ...world.ctx, close: async () => {} }),
    output: (_json, data) => {
      outputs.push(JSON.parse(JSON.stringify(data)));
    },
    fail: (_json, code, message) => {
      failures.push({ code, message });
    },
  };
  const program = new Command().exitOverride();
  registerBackupCommands(program, deps);
  await program.parseAsync(['node', 'entra-backup', ...args, '--json', '--tenant', world.tenantId]);
  return outputs[0];
}

function readZip(file: string): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    const files = new Map<string, Buffer>();
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err);
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            files.set(entry.fileName, Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.on('end', () => resolve(files));
      zip.readEntry();
    });
  });
}

beforeAll(async () => {
  world = await createTestWorld({ users: 20, seed: 'backup-cli' });
});
afterAll(async () => {
  await world?.close();
});

describe('backup CLI', () => {
  let firstRunAt = '';
  let upn = '';
  it('backup --json prints the run result with per-type counts', async () => {
    const out = (await cli('backup', '--full')) as Record<string, unknown> & {
      types: Record<string, Record<string, number>>;
    };
    expect(failures).toEqual([]);
    expect(out).toMatchObject({
      status: 'succeeded',
      throttled: expect.any(Number),
      graphRequests: expect.any(Number),
    });
    expect(typeof out.runId).toBe('string');
    expect(out.types.user).toMatchObject({
      seen: expect.any(Number),
      created: expect.any(Number),
      changed: 0,
      deleted: 0,
      unchanged: 0,
      failed: 0,
    });
    expect(out.types.user.created).toBeGreaterThan(0);
    firstRunAt = new Date().toISOString();
    const ops = opsFor(world, world.tenantId);
    const user = ops.list('user')[4];
    upn = String(user.data.userPrincipalName);
    ops.set('user', user.id, { jobTitle: 'CLI Tester' });
    ops.delete('user', user.id);
    ops.restore('user', user.id);
    const second = (await cli('backup')) as { status: string; types: Record<string, Record<string, number>> };
    expect(second.status).toBe('succeeded');
    expect(second.types.user.changed).toBe(1);
  });

  it('find, history, show, diff and changes resolve a partial UPN', async () => {
    const prefix = upn.slice(0, upn.indexOf('@'));
    const found = (await cli('find', prefix)) as { objectId: string; objectType: string }[];
    expect(found.some((o) => o.objectType === 'user')).toBe(true);
    const history = (await cli('history', 'user', prefix)) as {
      versions: { kind: string; changes: { path: string }[] }[];
    };
    expect(failures).toEqual([]);
    expect(history.versions[0].kind).toBe('changed');
    expect(history.versions[0].changes.map((c) => c.path)).toContain('jobTitle');
    const shown = (await cli('show', 'user', prefix, '--at', firstRunAt)) as {
      content: { jobTitle?: string };
    };
    expect(shown.content.jobTitle).not.toBe('CLI Tester');
    const diff = (await cli('diff', 'user', prefix, '--from', firstRunAt)) as {
      changes: { path: string; after: unknown }[];
    };
    expect(diff.changes).toContainEqual(expect.objectContaining({ path: 'jobTitle', after: 'CLI Tester' }));
    const changes = (await cli('changes', '--since', firstRunAt)) as { changes: { displayName: string }[] };
    expect(changes.changes).toHaveLength(1);
  });

  it('names what it rejects: unknown type, no match, bad time', async () => {
    await cli('history', 'gizmo', 'x');
    expect(failures[0]).toMatchObject({ code: 'BAD_TYPE' });
    await cli('show', 'user', 'no-such-person-anywhere');
    expect(failures[0]).toMatchObject({ code: 'NOT_FOUND' });
    await cli('changes', '--since', 'last tuesday-ish');
    expect(failures[0].message).toMatch(/neither a time/);
  });

  it('export writes a ZIP of Graph JSON whose manifest counts and hashes match its files', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'backup-export-'));
    const out = path.join(dir, 'tenant.zip');
    const summary = (await cli('export', '--out', out)) as { counts: Record<string, number> };
    expect(failures).toEqual([]);
    const files = await readZip(out);
    const manifest = JSON.parse(String(files.get('manifest.json'))) as {
      level: string;
      counts: Record<string, number>;
      files: { path: string; sha256: string }[];
    };
    expect(manifest.level).toBe('tenant');
    const counts = await world.ctx.store.countObjects(world.tenantId);
    expect(manifest.counts.user).toBe(counts.user?.live);
    expect(summary.counts).toEqual(manifest.counts);
    expect(manifest.files.length).toBe(files.size - 1);
    for (const f of manifest.files) {
      const body = files.get(f.path);
      expect(body, f.path).toBeDefined();
      expect(
        createHash('sha256')
          .update(body as Buffer)
          .digest('hex'),
      ).toBe(f.sha256);
    }
    const someUser = manifest.files.find((f) => f.path.startsWith('user/'));
    expect(JSON.parse(String(files.get(someUser!.path)))).toHaveProperty('userPrincipalName');

    const one = path.join(dir, 'one.zip');
    await cli('export', '--out', one, '--type', 'user', '--object', upn);
    const oneFiles = await readZip(one);
    expect(JSON.parse(String(oneFiles.get('manifest.json'))).level).toBe('object');
    expect([...oneFiles.keys()].filter((k) => k.startsWith('user/'))).toHaveLength(1);
  });
});
