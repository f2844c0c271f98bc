// Kill test: a 200-user restore (recycle-bin restores, patches, memberships) run by worker
// processes that are SIGKILLed at random steps, each next worker resuming after the lease of the
// killed one expired. It must end exactly where an uninterrupted restore ends: the tenant as it was
// at T, every step done once in the record, no duplicated membership, no error from re-adding.
// RESTORE_KILLS sets the number of kills (default 3; 20 for the long run).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app-context.ts';
import type { GraphClient } from '../../src/graph/gateway.ts';
import { planRestore } from '../../src/restore/planner.ts';
import type { RestorePlan, RestoreResult } from '../../src/restore/restore-types.ts';
import { bundleChild } from '../helpers/child-bundle.ts';
import { createTestWorld, type TestWorld } from '../helpers/test-world.ts';
import {
  approvedRecord,
  backup,
  createSecurityGroup,
  domainOf,
  expectPlanEqualsExecution,
  type Json,
  memberIds,
} from './restore-harness.ts';

const USERS = 200;
const KILLS = Number(process.env.RESTORE_KILLS ?? 3);

let world: TestWorld;
let ctx: AppContext;
let A: string;
let w: GraphClient;
let T: string;
let users: { id: string; upn: string }[] = [];
let g1: string;
let g2: string;
let childScript: string;

/** Deterministic random (mulberry32) so a failing kill schedule can be replayed with RESTORE_KILL_SEED. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function batchAll(
  items: { method: 'POST' | 'PATCH' | 'DELETE'; url: string; body?: unknown }[],
): Promise<Json[]> {
  const answers = await w.batch(
    items.map((it, i) => ({
      id: String(i),
      ...it,
      ...(it.body ? { headers: { 'Content-Type': 'application/json' } } : {}),
    })),
  );
  const bad = answers.filter((a) => a.status >= 300);
  expect(bad, JSON.stringify(bad.slice(0, 3))).toEqual([]);
  return answers.map((a) => (a.body ?? {}) as Json);
}

const ref = (id: string) => ({ '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${id}` });

beforeAll(async () => {
  world = await createTestWorld({ users: 12 });
  // One bundle for the worker processes: each starts in plain node, without transpiling again
  // (shared helper; the bundle is cached in the repository so its bare imports resolve).
  childScript = await bundleChild(path.join(import.meta.dirname, 'kill-child.ts'));
  ctx = world.ctx;
  A = world.tenantId;
  w = ctx.graph.forRestore(A);
  const domain = await domainOf(w);
  const created = await batchAll(
    Array.from({ length: USERS }, (_, i) => ({
      method: 'POST' as const,
      url: '/users',
      body: {
        accountEnabled: true,
        displayName: `Kill Test ${i}`,
        mailNickname: `kt${i}`,
        userPrincipalName: `kt${i}@${domain}`,
        jobTitle: `Title ${i}`,
        passwordProfile: { password: `Pw-${randomUUID()}`, forceChangePasswordNextSignIn: true },
      },
    })),
  );
  users = created.map((u) => ({ id: String(u.id), upn: String(u.userPrincipalName) }));
  g1 = String((await createSecurityGroup(w, 'kt-g1')).id);
  g2 = String((await createSecurityGroup(w, 'kt-g2')).id);
  await batchAll(
    users.map((u) => ({ method: 'POST' as const, url: `/groups/${g1}/members/$ref`, body: ref(u.id) })),
  );
  await batchAll(
    users
      .slice(0, 100)
      .map((u) => ({ method: 'POST' as const, url: `/groups/${g2}/members/$ref`, body: ref(u.id) })),
  );
  await backup(ctx, A, 'full');
  T = ctx.now().toISOString();
  await new Promise((r) => setTimeout(r, 20));
  // Damage: memberships removed, titles overwritten, 20 users deleted into the recycle bin.
  await batchAll(
    users.map((u) => ({ method: 'DELETE' as const, url: `/groups/${g1}/members/${u.id}/$ref` })),
  );
  await batchAll(
    users.map((u) => ({ method: 'PATCH' as const, url: `/users/${u.id}`, body: { jobTitle: 'Damaged' } })),
  );
  await batchAll(users.slice(90, 110).map((u) => ({ method: 'DELETE' as const, url: `/users/${u.id}` })));
  await backup(ctx, A, 'incremental');
}, 180_000);

afterAll(async () => {
  await world?.close();
});

function runChild(
  offsetMs: number,
  killAfterSteps: number | undefined,
): Promise<{ steps: string[]; killed: boolean }> {
  const url = new URL(world.devTenant.graphUrl);
  const login = new URL(world.devTenant.authorityUrl);
  const child: ChildProcess = spawn(
    process.execPath,
    [childScript, world.dataDir, url.port, login.port, String(offsetMs), `kill-worker-${offsetMs}`],
    { cwd: path.resolve(import.meta.dirname, '../..'), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const steps: string[] = [];
  let stderr = '';
  let killed = false;
  let buffer = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      if (process.env.RESTORE_TEST_DEBUG && !line.startsWith('STEP s')) console.log(line);
      if (process.env.RESTORE_TEST_DEBUG && line.startsWith('STEP s') && steps.length % 20 === 0)
        console.log(line);
      if (!line.startsWith('STEP ')) continue;
      steps.push(line);
      if (killAfterSteps !== undefined && steps.length >= killAfterSteps && !killed) {
        killed = true;
        child.kill('SIGKILL');
      }
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL' || code === 0) resolve({ steps, killed: signal === 'SIGKILL' });
      else reject(new Error(`worker exited ${code}: ${stderr.slice(-2000)}`));
    });
  });
}

describe('restore kill test', () => {
  it(`a ${USERS}-user restore killed ${KILLS} times at random steps ends identical to an uninterrupted one`, async () => {
    const t0 = Date.now();
    const plan: RestorePlan = await planRestore(ctx, {
      tenantId: A,
      objects: users.map((u) => ({ objectType: 'user' as const, objectId: u.id })),
      at: T,
    });
    if (process.env.RESTORE_TEST_DEBUG) console.log('plan ms', Date.now() - t0);
    const count = (k: string) => plan.steps.filter((s) => s.kind === k).length;
    expect(count('restoreFromRecycleBin')).toBe(20);
    expect(count('patch')).toBe(USERS);
    // Every live user back into g1; the 20 deleted users' memberships at their deletion (g1 for
    // all, g2 for 10) are read back after the restore and only the missing ones added.
    expect(count('addMember')).toBe(USERS - 20);
    expect(count('verifyReturned')).toBe(20);
    const stored = await approvedRecord(ctx, plan);

    const random = rng(Number(process.env.RESTORE_KILL_SEED ?? 42));
    let offset = 0;
    let kills = 0;
    for (let k = 0; k < KILLS; k++) {
      const done = Object.keys((await ctx.store.getRestore(A, stored.restoreId))?.stepResults ?? {}).length;
      const left = plan.steps.length - done;
      if (left <= 1) break;
      offset += 10 * 60_000;
      const t1 = Date.now();
      const { killed, steps } = await runChild(offset, 1 + Math.floor(random() * Math.min(left - 1, 120)));
      if (process.env.RESTORE_TEST_DEBUG) console.log('child ms', Date.now() - t1, 'steps', steps.length);
      if (killed) kills++;
    }
    expect(kills).toBeGreaterThan(0);
    offset += 10 * 60_000;
    const t2 = Date.now();
    const last = await runChild(offset, undefined);
    if (process.env.RESTORE_TEST_DEBUG)
      console.log('last child ms', Date.now() - t2, 'steps', last.steps.length);
    expect(last.killed).toBe(false);

    const record = await ctx.store.getRestore(A, stored.restoreId);
    if (!record) throw new Error('restore record missing');
    expect(record.status).toBe('succeeded');
    await expectPlanEqualsExecution(ctx, plan, record);
    const result = record.result as unknown as RestoreResult;
    expect(result.totals).toEqual({ done: plan.steps.length, skipped: 0, failed: 0, pending: 0 });

    // The tenant is as it was at T: same ids, titles back, memberships back, none duplicated.
    const g1Members = await memberIds(w, g1);
    expect(g1Members).toEqual(users.map((u) => u.id).sort());
    expect(new Set(g1Members).size).toBe(g1Members.length);
    expect(await memberIds(w, g2)).toEqual(
      users
        .slice(0, 100)
        .map((u) => u.id)
        .sort(),
    );
    const titles = await w.batch(
      users.map((u, i) => ({
        id: String(i),
        method: 'GET' as const,
        url: `/users/${u.id}?$select=id,jobTitle`,
      })),
    );
    expect(titles.map((t) => [t.status, (t.body as Json).jobTitle])).toEqual(
      users.map((_, i) => [200, `Title ${i}`]),
    );
  }, 240_000);
});
