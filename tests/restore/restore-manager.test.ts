// Users' managers in restores, each checked by reading the dev tenant back: a restored user (from
// the recycle bin or re-created) has the manager it had at the restore point; a live user whose
// manager changed is rolled back (and the undo puts the change back); a manager that no longer
// exists is skipped with the reason; restoring a manager leaves its direct reports alone; an
// as-new copy gets the manager too. Every restore asserts plan = execution (planAndExecute).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app-context.ts';
import type { GraphClient } from '../../src/graph/gateway.ts';
import { GraphError } from '../../src/graph/gateway.ts';
import { planRestore } from '../../src/restore/planner.ts';
import { buildUndoRequest } from '../../src/restore/undo.ts';
import { createTestWorld, type TestWorld } from '../helpers/test-world.ts';
import {
  backup,
  createUser,
  domainOf,
  hardDelete,
  type Json,
  planAndExecute,
  request,
} from './restore-harness.ts';

let world: TestWorld;
let ctx: AppContext;
let A: string;
let w: GraphClient;
let T: string;
const f: Record<string, Json> = {};
const id = (name: string) => String(f[name].id);
const ref = (uid: string) => ({ '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${uid}` });

/** The user's live manager id, or null. */
async function managerOf(uid: string): Promise<string | null> {
  try {
    return String((await w.get<Json>(`/users/${uid}/manager?$select=id`)).id);
  } catch (error) {
    if (error instanceof GraphError && error.status === 404) return null;
    throw error;
  }
}

const user = (name: string) => ({ objectType: 'user' as const, objectId: id(name) });
const steps = (
  plan: { steps: { kind: string; target: { objectId: string }; details: Json }[] },
  kind: string,
) => plan.steps.filter((s) => s.kind === kind);

beforeAll(async () => {
  world = await createTestWorld({ users: 8 });
  ctx = world.ctx;
  A = world.tenantId;
  w = ctx.graph.forRestore(A);
  const domain = await domainOf(w);
  for (const nick of ['boss', 'boss2', 'boss3', 'gone', 'soft', 'hard', 'live', 'orphan', 'report', 'copy'])
    f[nick] = await createUser(w, domain, `rm-${nick}`);
  await w.put(`/users/${id('soft')}/manager/$ref`, ref(id('boss')));
  await w.put(`/users/${id('hard')}/manager/$ref`, ref(id('boss')));
  await w.put(`/users/${id('live')}/manager/$ref`, ref(id('boss')));
  await w.put(`/users/${id('orphan')}/manager/$ref`, ref(id('gone')));
  await w.put(`/users/${id('report')}/manager/$ref`, ref(id('boss3')));
  await w.put(`/users/${id('copy')}/manager/$ref`, ref(id('boss2')));
  await backup(ctx, A, 'full', ['user', 'group']);
  T = ctx.now().toISOString();
  await new Promise((r) => setTimeout(r, 5));
  // Damage after T.
  await w.delete(`/users/${id('soft')}`);
  await hardDelete(w, '/users', id('hard'));
  await w.put(`/users/${id('live')}/manager/$ref`, ref(id('boss2')));
  await hardDelete(w, '/users', id('gone'));
  await w.delete(`/users/${id('boss3')}`);
  await backup(ctx, A, 'incremental', ['user', 'group']);
}, 120_000);

afterAll(async () => {
  await world?.close();
});

describe("restoring users' managers", () => {
  it('a user back from the recycle bin has its manager: checked after the restore', async () => {
    const { plan, outcome } = await planAndExecute(ctx, request(A, [user('soft')], T));
    const returning = steps(plan, 'restoreFromRecycleBin')[0].details.returnsWithObject as Json[];
    expect(returning).toContainEqual(
      expect.objectContaining({ perspective: 'manager', objectId: id('boss') }),
    );
    expect(plan.notes?.join(' ')).toMatch(/manager Restore Test rm-boss/);
    expect(outcome('verifyReturned').map((o) => o.status)).toEqual(['done']);
    expect(await managerOf(id('soft'))).toBe(id('boss'));
  });

  it('a re-created user gets its manager set on its new id', async () => {
    const { plan, result, outcome } = await planAndExecute(ctx, request(A, [user('hard')], T));
    const set = steps(plan, 'setManager');
    expect(set).toHaveLength(1);
    expect(set[0].details).toMatchObject({ memberId: id('boss'), memberName: 'Restore Test rm-boss' });
    expect(outcome('setManager').map((o) => o.status)).toEqual(['done']);
    const newId = result.createdIds[id('hard')];
    expect(newId).toBeTruthy();
    expect(await managerOf(newId)).toBe(id('boss'));
  });

  it('rolls a changed manager back, and the undo puts the change back', async () => {
    const dry = await planRestore(ctx, request(A, [user('live')], T));
    // The preview lists it; nothing is written by planning.
    expect(steps(dry, 'setManager').map((s) => s.details.memberId)).toEqual([id('boss')]);
    expect(steps(dry, 'removeManager')).toEqual([]);
    expect(await managerOf(id('live'))).toBe(id('boss2'));

    const restored = await planAndExecute(ctx, request(A, [user('live')], T));
    expect(restored.outcome('setManager').map((o) => o.status)).toEqual(['done']);
    expect(await managerOf(id('live'))).toBe(id('boss'));

    const undone = await planAndExecute(ctx, buildUndoRequest(restored.record, ctx.now()));
    expect(steps(undone.plan, 'setManager').map((s) => s.details.memberId)).toEqual([id('boss2')]);
    expect(undone.record.status).toBe('succeeded');
    expect(await managerOf(id('live'))).toBe(id('boss2'));
  });

  it('skips a manager that no longer exists, with the reason', async () => {
    const { plan, outcome } = await planAndExecute(ctx, request(A, [user('orphan')], T));
    const skip = plan.steps.find((s) => s.kind === 'skip' && s.details.wouldBe === 'setManager');
    expect(skip?.skipReason).toMatch(/rm-gone was deleted: add it to this restore to re-create it/);
    expect(steps(plan, 'setManager')).toEqual([]);
    expect(outcome('skip').map((o) => o.status)).toEqual(['skipped']);
    expect(await managerOf(id('orphan'))).toBeNull();
  });

  it('restores a manager without touching its direct reports', async () => {
    expect(await managerOf(id('report'))).toBeNull();
    const { plan } = await planAndExecute(ctx, request(A, [user('boss3')], T));
    expect(plan.steps.every((s) => s.target.objectId === id('boss3'))).toBe(true);
    expect(steps(plan, 'setManager')).toEqual([]);
    // Graph brings the reports' links back with the manager (they were suspended, not removed).
    expect(await managerOf(id('report'))).toBe(id('boss3'));
  });

  it('an as-new copy of a user gets its manager', async () => {
    const domain = await domainOf(w);
    const { result, outcome } = await planAndExecute(
      ctx,
      request(A, [user('copy')], T, {
        asNew: { displayName: 'RM Copy Two', userPrincipalName: `rm-copy-two@${domain}` },
      }),
    );
    expect(outcome('setManager').map((o) => o.status)).toEqual(['done']);
    const newId = result.createdIds[id('copy')];
    expect(newId).toBeTruthy();
    expect(await managerOf(newId)).toBe(id('boss2'));
    expect(await managerOf(id('copy'))).toBe(id('boss2'));
  });
});
