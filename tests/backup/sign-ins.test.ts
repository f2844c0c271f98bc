// Sign-in logs are read above a createdDateTime watermark with Graph's server-side filter
// (`$filter=createdDateTime ge <watermark>`), not by scanning every page newest first: a second
// run asks only for what is new, is answered 200 (no fallback after a 400) and stores exactly
// the new records.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app-context.ts';
import { runBackupNow } from '../../src/backup/run-now.ts';
import { TenantDirectory } from '../../src/devtenant/directory.ts';
import type { GraphClient, GraphClientFactory } from '../../src/graph/gateway.ts';
import { createTestWorld, type TestWorld } from '../helpers/test-world.ts';

let world: TestWorld;
beforeAll(async () => {
  world = await createTestWorld({ users: 6, seed: 'backup-sign-ins' });
});
afterAll(async () => {
  await world?.close();
});

interface Call {
  url: string;
  status: number;
  items: number;
}

/** The world's context with a Graph client that records every sign-in page request and its answer. */
function recording(ctx: AppContext, calls: Call[]): AppContext {
  const wrap = (client: GraphClient): GraphClient =>
    new Proxy(client, {
      get(target, prop, receiver) {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (prop !== 'getPage' || typeof value !== 'function') return value;
        return async (url: string, options?: unknown) => {
          const isSignIns = url.includes('/auditLogs/signIns');
          try {
            const page = await (value as GraphClient['getPage']).call(target, url, options as never);
            if (isSignIns) calls.push({ url, status: 200, items: page.value.length });
            return page;
          } catch (err) {
            if (isSignIns) calls.push({ url, status: (err as { status?: number }).status ?? 0, items: 0 });
            throw err;
          }
        };
      },
    });
  const graph: GraphClientFactory = {
    forBackup: (t) => wrap(ctx.graph.forBackup(t)),
    forRestore: (t) => ctx.graph.forRestore(t),
  };
  return { ...ctx, graph };
}

describe('sign-in logs', () => {
  it('reads only records at or after the watermark through Graph’s createdDateTime filter', async () => {
    const first: Call[] = [];
    const full = await runBackupNow(
      recording(world.ctx, first),
      world.tenantId,
      { kind: 'full', trigger: 'manual', types: ['signIn'] },
      { leaseMs: 30_000 },
    );
    expect(full.status).toBe('succeeded');
    const seeded = full.counts.signIn?.created ?? 0;
    expect(seeded).toBeGreaterThan(10);
    expect(first.every((c) => c.status === 200 && !decodeURIComponent(c.url).includes('$filter'))).toBe(true);

    // Three sign-ins happen after the run: only they (and the boundary record) are read next time.
    const dir = new TenantDirectory(world.devTenant.db, world.tenantId);
    const newest = dir.db
      .prepare(
        "SELECT MAX(json_extract(data, '$.createdDateTime')) AS t FROM objects WHERE tenant_id = ? AND type = 'signIn'",
      )
      .get(world.tenantId) as { t: string };
    const added = [1, 2, 3].map((n) => {
      const created = new Date(Date.parse(newest.t) + n * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      const id = `5e1f0000-0000-4000-8000-00000000000${n}`;
      dir.transaction(() =>
        dir.insert('signIn', {
          id,
          createdDateTime: created,
          userDisplayName: 'Megan Bowen',
          userPrincipalName: 'meganbowen@backupsignins.onmicrosoft.com',
          appDisplayName: 'Graph Explorer',
          status: { errorCode: 0, failureReason: 'Other.', additionalDetails: null },
        }),
      );
      return id;
    });

    const second: Call[] = [];
    const incremental = await runBackupNow(
      recording(world.ctx, second),
      world.tenantId,
      { kind: 'incremental', trigger: 'manual', types: ['signIn'] },
      { leaseMs: 30_000 },
    );
    expect(incremental.status).toBe('succeeded');
    expect(second.length).toBeGreaterThan(0);
    // Every sign-in request carried the watermark filter and Graph accepted it (no 400, no scan).
    for (const call of second) {
      expect(call.status).toBe(200);
      expect(decodeURIComponent(call.url)).toContain(`$filter=createdDateTime ge ${newest.t}`);
    }
    // Only the boundary record (already stored, unchanged) and the three new ones were read.
    expect(second.reduce((n, c) => n + c.items, 0)).toBe(4);
    expect(incremental.counts.signIn).toMatchObject({ created: 3, changed: 0, seen: 4 });
    for (const id of added)
      expect(await world.ctx.store.getObject(world.tenantId, 'signIn', id)).toBeTruthy();
  }, 60_000);
});
