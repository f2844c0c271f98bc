// Restore planning reads only what the restore is about: the store reads of a plan stay the same
// when the tenant grows (no scan of the tenant's versions or edges), and every SQLite query
// planning issues walks an index by object id, never the tenant (at 100,000 users a read that
// walked versions by time took 24 ms: planning 200 users took 114 s).
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { countingStore } from '../../bench/scenarios/restore-store-stats.ts';
import type { AppContext } from '../../src/app-context.ts';
import type { GraphClient } from '../../src/graph/gateway.ts';
import { planRestore } from '../../src/restore/planner.ts';
import { SqliteStore } from '../../src/store/sqlite-store.ts';
import { createTestWorld, type TestWorld } from '../helpers/test-world.ts';
import {
  addMember,
  backup,
  createSecurityGroup,
  createUser,
  domainOf,
  type Json,
  request,
} from './restore-harness.ts';

let world: TestWorld;
let ctx: AppContext;
let A: string;
let w: GraphClient;
let domain: string;
let restoreAt: string;
const restored: string[] = [];

/** Store reads of planning the restore of the deleted users (per method: calls and records). */
async function planReads(store = ctx.store) {
  const counting = countingStore(store);
  const plan = await planRestore(
    { ...ctx, store: counting.store },
    request(
      A,
      restored.map((objectId) => ({ objectType: 'user' as const, objectId })),
      restoreAt,
      { withMemberships: true, withOwners: true, withRoleAssignments: true },
    ),
  );
  const reads = Object.fromEntries(
    Object.entries(counting.totals()).map(([method, s]) => [method, { calls: s.calls, records: s.records }]),
  );
  return { plan, reads };
}

/** Adds `n` users in `groups` new groups, and a few versions of existing users, then backs up. */
async function grow(tag: string, n: number, groups: number): Promise<void> {
  const users: Json[] = [];
  for (let i = 0; i < n; i++) users.push(await createUser(w, domain, `grow-${tag}-${i}`));
  for (let g = 0; g < groups; g++) {
    const group = await createSecurityGroup(w, `grow-${tag}-g${g}`);
    for (let i = g; i < users.length; i += groups) await addMember(w, String(group.id), String(users[i].id));
  }
  await backup(ctx, A);
  for (const round of [1, 2]) {
    for (const u of users.slice(0, 10))
      await w.patch(`/users/${String(u.id)}`, { jobTitle: `Title ${tag} ${round}` });
    await backup(ctx, A);
  }
}

beforeAll(async () => {
  world = await createTestWorld({ users: 20 });
  ctx = world.ctx;
  A = world.tenantId;
  w = ctx.graph.forRestore(A);
  domain = await domainOf(w);
  const g1 = await createSecurityGroup(w, 'psr-g1');
  const g2 = await createSecurityGroup(w, 'psr-g2');
  for (let i = 0; i < 4; i++) {
    const u = await createUser(w, domain, `psr-u${i}`);
    restored.push(String(u.id));
    await addMember(w, String(g1.id), String(u.id));
    if (i % 2 === 0) await addMember(w, String(g2.id), String(u.id));
  }
  await backup(ctx, A, 'full');
  restoreAt = ctx.now().toISOString();
  await new Promise((r) => setTimeout(r, 5));
  for (const id of restored) await w.delete(`/users/${id}`);
  await backup(ctx, A);
}, 120_000);

afterAll(async () => {
  await world?.close();
});

describe('restore planning reads', () => {
  it('does not read more from the store when the tenant doubles', async () => {
    const before = await planReads();
    expect(before.plan.steps.filter((s) => s.kind === 'restoreFromRecycleBin')).toHaveLength(4);
    // The tenant grows (users, groups, memberships, versions) around the restored users.
    await grow('a', 24, 4);
    const after = await planReads();
    expect(after.plan.steps.map((s) => [s.kind, s.target.objectId])).toEqual(
      before.plan.steps.map((s) => [s.kind, s.target.objectId]),
    );
    expect(after.reads).toEqual(before.reads);
  }, 120_000);

  it('issues only SQLite queries that walk an index by object id', async () => {
    // A fresh connection prepares every statement planning runs (none cached by the backups).
    // (The dev tenant runs in this process too: only the store's file counts.)
    const file = (ctx.store as SqliteStore).file;
    const prepared: string[] = [];
    const original = Database.prototype.prepare;
    const spy = vi.spyOn(Database.prototype, 'prepare').mockImplementation(function (
      this: Database.Database,
      sql: string,
    ) {
      if (this.name === file) prepared.push(sql);
      return original.call(this, sql);
    });
    const store = new SqliteStore({ file, commitThread: 'never' });
    try {
      await store.init();
      await planReads(store);
    } finally {
      spy.mockRestore();
      await store.close();
    }
    const reads = [...new Set(prepared.filter((sql) => /^\s*SELECT/i.test(sql)))];
    expect(reads.length).toBeGreaterThan(2);
    // No table statistics (as after a backup): the plan SQLite picks from the query alone.
    const db = new Database(file, { readonly: true });
    try {
      for (const sql of reads) {
        const names = [...new Set([...sql.matchAll(/@(\w+)/g)].map((m) => m[1]))];
        const plan = (
          db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(Object.fromEntries(names.map((n) => [n, null]))) as {
            detail: string;
          }[]
        ).map((r) => r.detail);
        for (const step of plan) {
          expect(step, `${sql}\n→ ${plan.join(' | ')}`).not.toMatch(/^SCAN (versions|edges|objects)\b/);
          if (/^SEARCH (versions|edges|objects)\b/.test(step))
            expect(step, `${sql}\n→ ${plan.join(' | ')}`).toMatch(/\b(object_id|source_id|target_id)=\?/);
        }
      }
    } finally {
      db.close();
    }
  }, 60_000);
});
