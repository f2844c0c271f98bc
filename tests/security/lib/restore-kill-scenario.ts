// kill -9 of the worker role at random instants of restores. The tenant is built (users in a
// group), backed up at T, damaged (memberships removed, titles overwritten, some users deleted
// to the recycle bin) and restored to T: once without interruption (the reference), then in
// rounds whose worker processes are killed at random points until the restore ends. After each
// round the tenant must be exactly as at T; every step recorded and audited once; no member or
// user twice.
import { randomUUID } from 'node:crypto';
import type { GraphClient } from '../../../src/graph/gateway.ts';
import { planRestore } from '../../../src/restore/planner.ts';
import type { RestoreRecord } from '../../../src/store/store.ts';
import { seededRandom } from '../../helpers/fault-proxy.ts';
import type { TestWorld } from '../../helpers/test-world.ts';
import {
  approvedRecord,
  backup,
  createSecurityGroup,
  domainOf,
  memberIds,
} from '../../restore/restore-harness.ts';
import type { Tally } from './tally.ts';
import { killWorkersUntil, sleep, worldEnv } from './worker-process.ts';

type Json = Record<string, unknown>;
const TERMINAL = new Set(['succeeded', 'partial', 'failed']);
const t0 = Date.now();
const debug = (msg: string) => {
  if (process.env.CHAOS_DEBUG) process.stderr.write(`[restore-kill +${Date.now() - t0} ms] ${msg}\n`);
};

export interface RestoreKillResult extends Tally {
  kills: number;
  rounds: number;
  problems: string[];
  referenceMs: number;
}

async function batchAll(
  w: GraphClient,
  items: { method: 'POST' | 'PATCH' | 'DELETE'; url: string; body?: unknown }[],
) {
  const out: Json[] = [];
  for (let i = 0; i < items.length; i += 20) {
    const answers = await w.batch(
      items.slice(i, i + 20).map((it, k) => ({
        id: String(k),
        ...it,
        ...(it.body ? { headers: { 'Content-Type': 'application/json' } } : {}),
      })),
    );
    const bad = answers.filter((a) => a.status >= 300);
    if (bad.length) throw new Error(`fixture write failed: ${JSON.stringify(bad.slice(0, 2))}`);
    out.push(...answers.sort((a, b) => Number(a.id) - Number(b.id)).map((a) => (a.body ?? {}) as Json));
  }
  return out;
}

const ref = (id: string) => ({ '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${id}` });

async function auditCounts(world: TestWorld, restoreId: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const who = new Map<string, string[]>();
  let continuation: string | undefined;
  do {
    const page = await world.ctx.store.listAudit(world.tenantId, {
      action: 'restore.step',
      limit: 500,
      continuation,
    });
    for (const e of page.items) {
      if (e.details?.restoreId !== restoreId) continue;
      const id = String(e.details.stepId);
      counts.set(id, (counts.get(id) ?? 0) + 1);
      who.set(id, [...(who.get(id) ?? []), `${e.actor.objectId}@${e.at}:${String(e.details.status)}`]);
    }
    continuation = page.continuation;
  } while (continuation);
  auditActors = who;
  return counts;
}

/** Who audited each step (worker id, time, status): names the workers behind a double audit. */
let auditActors = new Map<string, string[]>();

export async function restoreKillScenario(
  world: TestWorld,
  options: { kills: number; users: number; seed?: number; maxRounds?: number },
): Promise<RestoreKillResult> {
  const random = seededRandom(options.seed ?? 5);
  const ctx = world.ctx;
  const tenantId = world.tenantId;
  const w = ctx.graph.forRestore(tenantId);
  const domain = await domainOf(w);
  const tag = randomUUID().slice(0, 6);
  const created = await batchAll(
    w,
    Array.from({ length: options.users }, (_, i) => ({
      method: 'POST' as const,
      url: '/users',
      body: {
        accountEnabled: true,
        displayName: `Chaos ${tag} ${i}`,
        mailNickname: `ch${tag}${i}`,
        userPrincipalName: `ch${tag}${i}@${domain}`,
        jobTitle: `Title ${i}`,
        passwordProfile: { password: `Pw-${randomUUID()}`, forceChangePasswordNextSignIn: true },
      },
    })),
  );
  const users = created.map((u) => String(u.id));
  const group = String((await createSecurityGroup(w, `ch${tag}g`)).id);
  await batchAll(
    w,
    users.map((u) => ({ method: 'POST' as const, url: `/groups/${group}/members/$ref`, body: ref(u) })),
  );
  await backup(ctx, tenantId, 'full');
  const T = ctx.now().toISOString();
  debug('fixtures built and backed up');
  await sleep(20);

  const problems: string[] = [];
  let lost = 0;
  let duplicated = 0;
  let repeated = 0;
  let kills = 0;
  let runs = 0;
  let rounds = 0;
  let referenceMs = 0;

  const checkTenant = async (round: number) => {
    const members = await memberIds(w, group);
    const distinct = new Set(members);
    duplicated += members.length - distinct.size;
    const missing = users.filter((u) => !distinct.has(u));
    lost += missing.length;
    if (missing.length) problems.push(`round ${round}: ${missing.length} members missing`);
    const titles = await w.batch(
      users.map((u, i) => ({
        id: String(i),
        method: 'GET' as const,
        url: `/users/${u}?$select=id,jobTitle`,
      })),
    );
    for (const t of titles) {
      const i = Number(t.id);
      if (t.status !== 200 || (t.body as Json).jobTitle !== `Title ${i}`) {
        lost++;
        problems.push(`round ${round}: user ${i} is ${t.status} ${(t.body as Json)?.jobTitle}`);
      }
    }
    // No user created twice (a re-run create would leave a second user with a suffixed UPN).
    const page = await w.getPage<Json>(
      `/users?$filter=startswith(displayName,'Chaos ${tag}')&$select=id&$top=999`,
    );
    if (page.value.length !== users.length) {
      duplicated += Math.max(0, page.value.length - users.length);
      problems.push(
        `round ${round}: ${page.value.length} users named like the fixtures, expected ${users.length}`,
      );
    }
  };

  const maxRounds = options.maxRounds ?? 12;
  while ((rounds === 0 || kills < options.kills) && rounds < maxRounds) {
    // Damage, then back up the damage (the live state the planner compares with).
    await batchAll(
      w,
      users.map((u) => ({ method: 'DELETE' as const, url: `/groups/${group}/members/${u}/$ref` })),
    );
    await batchAll(
      w,
      users.map((u) => ({
        method: 'PATCH' as const,
        url: `/users/${u}`,
        body: { jobTitle: `Damaged ${rounds}` },
      })),
    );
    const deleted = users.filter(() => random() < 0.1);
    if (deleted.length)
      await batchAll(
        w,
        deleted.map((u) => ({ method: 'DELETE' as const, url: `/users/${u}` })),
      );
    await backup(ctx, tenantId, 'incremental');
    debug(`round ${rounds}: damaged and backed up`);

    const plan = await planRestore(ctx, {
      tenantId,
      objects: users.map((u) => ({ objectType: 'user' as const, objectId: u })),
      at: T,
    });
    const stored = await approvedRecord(ctx, plan);
    const current = () => ctx.store.getRestore(tenantId, stored.restoreId);
    let claimedAt = 0;
    const loop = await killWorkersUntil<RestoreRecord>({
      env: (id) => worldEnv(world, { WORKER_ID: id }),
      workerPrefix: `chaos-restore-${rounds}`,
      finished: async () => {
        const r = await current();
        return r && TERMINAL.has(r.status) ? r : undefined;
      },
      holder: async () => {
        const r = await current();
        const owner = r?.status === 'running' ? r.lease?.owner : undefined;
        if (owner && !claimedAt) claimedAt = Date.now();
        return owner;
      },
      kills: rounds === 0 ? 0 : options.kills - kills,
      delay: () => 10 + random() * Math.max(100, referenceMs * 0.8),
    });
    kills += loop.kills;
    const final = loop.result;
    const started = claimedAt || Date.now();
    if (rounds === 0) referenceMs = Date.now() - started;
    debug(`round ${rounds}: restore ${final.status} after ${Date.now() - started} ms, ${kills} kills so far`);
    runs++;
    if (final.status !== 'succeeded') problems.push(`round ${rounds}: restore ended ${final.status}`);
    const recorded = Object.keys(final.stepResults);
    const missingSteps = plan.steps.filter((s) => !final?.stepResults[s.stepId]);
    lost += missingSteps.length;
    if (recorded.length !== plan.steps.length)
      problems.push(`round ${rounds}: ${recorded.length} of ${plan.steps.length} steps recorded`);
    const failed = Object.values(final.stepResults).filter((r) => r.status === 'failed');
    if (failed.length) problems.push(`round ${rounds}: ${failed.length} steps failed: ${failed[0].reason}`);
    const audited = await auditCounts(world, stored.restoreId);
    for (const step of plan.steps) {
      const n = audited.get(step.stepId) ?? 0;
      if (n === 0) {
        lost++;
        problems.push(`round ${rounds}: step ${step.stepId} (${step.kind}) not in the audit log`);
      }
      if (n > 1) {
        repeated += n - 1;
        problems.push(
          `round ${rounds}: step ${step.stepId} (${step.kind}) audited ${n} times by ${(auditActors.get(step.stepId) ?? []).join(', ')}`,
        );
      }
    }
    await checkTenant(rounds);
    rounds++;
  }
  return {
    faults: kills,
    runs,
    lost,
    duplicated,
    repeated,
    kills,
    rounds,
    problems: problems.slice(0, 20),
    referenceMs,
  };
}
