// The parent side of bench/dev-tenant-child.ts: starts the dev tenant in a child process on two
// free loopback ports, sets its injected faults (persisted in its SQLite file, read by the
// server on every request) and counts what it holds, for the lower bounds.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { openDevTenantDb } from '../../src/devtenant/dev-db.ts';
import { type FaultSettings, faultController } from '../../src/devtenant/faults.ts';
import type { SeedOptions } from '../../src/devtenant/seed.ts';
import { GLOBAL_ADMIN_TEMPLATE } from '../../src/devtenant/seed-data.ts';
import { REPO_ROOT } from './parts.ts';
import type { TenantCounts } from './tenant-streams.ts';

export interface DevTenantProcess {
  graphUrl: string;
  authorityUrl: string;
  tenantId: string;
  graphPort: number;
  loginPort: number;
  /** Seconds the child took to start and seed. */
  startSeconds: number;
  setFaults(patch: FaultSettings): void;
  resetFaults(): void;
  counts(): TenantCounts;
  /** Active objects of a type (ids), in a stable order. */
  ids(type: string, limit: number): string[];
  /** Active users who are members of at least one group, in a stable order. */
  usersWithMemberships(limit: number, exclude: string[]): string[];
  /** Holders of the Global Administrator role (the bot's default admins). */
  globalAdmins(): string[];
  stop(): Promise<void>;
}

/** A free TCP port on loopback (the child binds it right after: the window is tiny). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Which relationship kinds each type's delta returns inline (src/backup/type-specs.ts). */
const DELTA_LINK_KINDS: Record<string, string[]> = {
  group: ['members', 'owners'],
  directoryRole: ['members'],
  application: ['owners'],
  servicePrincipal: ['owners'],
  device: ['registeredOwners'],
  administrativeUnit: ['members'],
};

export async function startDevTenantProcess(options: {
  dataDir: string;
  seed: SeedOptions;
  onLog?: (line: string) => void;
}): Promise<DevTenantProcess> {
  const graphPort = await freePort();
  const loginPort = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(REPO_ROOT, 'bench', 'dev-tenant-child.ts'),
      JSON.stringify({
        dataDir: join(options.dataDir, 'devtenant'),
        graphPort,
        loginPort,
        seed: options.seed,
      }),
    ],
    { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const ready = await new Promise<{
    graphUrl: string;
    authorityUrl: string;
    tenantIds: string[];
    startMs: number;
  }>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line));
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      options.onLog?.(chunk.toString().trimEnd());
    });
    child.once('exit', (code) => {
      // The error line itself (e.g. "SqliteError: …"), not the stack's first frame.
      const lines = err.split('\n').map((l) => l.trim());
      const why = lines.find((l) => /^[A-Za-z]*Error\b/.test(l)) ?? lines.filter(Boolean).pop() ?? '';
      reject(new Error(`dev tenant process exited (${code}) before serving: ${why}`));
    });
  });
  const tenantId = ready.tenantIds[0];
  if (!tenantId) throw new Error('dev tenant process reported no tenant');
  const db = openDevTenantDb(join(options.dataDir, 'devtenant'));
  const faults = faultController(db);
  return {
    graphUrl: ready.graphUrl,
    authorityUrl: ready.authorityUrl,
    tenantId,
    graphPort,
    loginPort,
    startSeconds: Math.round(ready.startMs / 100) / 10,
    setFaults: (patch) => {
      faults.set(tenantId, patch);
    },
    resetFaults: () => faults.reset(tenantId),
    counts() {
      const objects: Record<string, number> = {};
      for (const row of db
        .prepare('SELECT type, COUNT(*) AS n FROM objects WHERE tenant_id = ? AND state = 1 GROUP BY type')
        .all(tenantId) as { type: string; n: number }[]) {
        objects[row.type] = row.n;
      }
      const deltaLinks: Record<string, number> = {};
      // Aggregate links per source first, then join: joining row by row is minutes on 400,000 links.
      for (const row of db
        .prepare(
          `SELECT o.type AS type, x.kind AS kind, SUM(x.n) AS n
           FROM (SELECT source_id, kind, COUNT(*) AS n FROM links
                 WHERE tenant_id = ? AND state = 1 GROUP BY source_id, kind) x
           JOIN objects o INDEXED BY objects_id ON o.tenant_id = ? AND o.id = x.source_id
           WHERE o.state = 1 GROUP BY o.type, x.kind`,
        )
        .all(tenantId, tenantId) as { type: string; kind: string; n: number }[]) {
        if (DELTA_LINK_KINDS[row.type]?.includes(row.kind))
          deltaLinks[row.type] = (deltaLinks[row.type] ?? 0) + row.n;
      }
      return { objects, deltaLinks, appRoleAssignments: objects.appRoleAssignment ?? 0 };
    },
    ids(type, limit) {
      return (
        db
          .prepare(
            'SELECT id FROM objects WHERE tenant_id = ? AND type = ? AND state = 1 ORDER BY id LIMIT ?',
          )
          .all(tenantId, type, limit) as { id: string }[]
      ).map((r) => r.id);
    },
    usersWithMemberships(limit, exclude) {
      const skip = new Set(exclude);
      const rows = db
        .prepare(
          `SELECT DISTINCT l.target_id AS id FROM links l
           JOIN objects g ON g.tenant_id = l.tenant_id AND g.id = l.source_id AND g.type = 'group'
           JOIN objects u ON u.tenant_id = l.tenant_id AND u.id = l.target_id AND u.type = 'user' AND u.state = 1
           WHERE l.tenant_id = ? AND l.kind = 'members' AND l.state = 1
           ORDER BY l.target_id LIMIT ?`,
        )
        .all(tenantId, limit + skip.size) as { id: string }[];
      return rows
        .map((r) => r.id)
        .filter((id) => !skip.has(id))
        .slice(0, limit);
    },
    globalAdmins() {
      return (
        db
          .prepare(
            `SELECT l.target_id AS id FROM links l
             JOIN objects r ON r.tenant_id = l.tenant_id AND r.id = l.source_id AND r.type = 'directoryRole'
             WHERE l.tenant_id = ? AND l.kind = 'members' AND l.state = 1
               AND json_extract(r.data, '$.roleTemplateId') = ?`,
          )
          .all(tenantId, GLOBAL_ADMIN_TEMPLATE) as { id: string }[]
      ).map((r) => r.id);
    },
    async stop() {
      db.close();
      if (child.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.stdin?.end();
        setTimeout(() => child.kill('SIGTERM'), 5000).unref();
      });
    },
  };
}
