// Tab API: another tenant's ids in paths and bodies. A restore request and a backed-up user of
// tenant B sit in the same store; tenant A's admins, with valid tokens, name them in every
// route that takes an id: each answer is 404 (or a refusal) that reveals nothing of B, and B's
// records are unchanged afterwards.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RestoreRecord } from '../../src/store/store.ts';
import { createTabWorld, type TabWorld } from '../tab/tab-world.ts';

const B = '0badc0de-1111-4222-8333-444455556666';
const B_USER = randomUUID();
let world: TabWorld;
let tokenA: string;
let tokenA2: string;
let foreign: RestoreRecord;

async function call(method: string, route: string, token: string, body?: unknown) {
  const res = await world.fetch(`${world.baseUrl}${route}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

beforeAll(async () => {
  world = await createTabWorld();
  [tokenA, tokenA2] = await Promise.all([world.signIn(world.adminA.upn), world.signIn(world.adminB.upn)]);
  const now = new Date().toISOString();
  const store = world.ctx.store;
  // Tenant B's data, written as its own backup and approval flow would.
  await store.commitPage(B, {
    versions: [
      {
        tenantId: B,
        objectType: 'user',
        objectId: B_USER,
        versionId: `${now}~b`,
        hash: 'b'.repeat(64),
        content: {
          id: B_USER,
          displayName: 'Tenant B secret user',
          userPrincipalName: 'secret@tenantb.example',
        },
        deleted: false,
        capturedAt: now,
        runId: 'run-b',
        source: 'backup',
      },
    ],
    objects: [
      {
        tenantId: B,
        objectType: 'user',
        objectId: B_USER,
        displayName: 'Tenant B secret user',
        searchKeys: ['tenant b secret user', 'secret@tenantb.example', B_USER],
        summary: { userPrincipalName: 'secret@tenantb.example' },
        deleted: false,
        latestVersionId: `${now}~b`,
        latestHash: 'b'.repeat(64),
        firstSeenAt: now,
        lastChangedAt: now,
      },
    ],
    edgesAdded: [],
    edgesRemoved: [],
  });
  const requester = { tenantId: B, objectId: randomUUID(), kind: 'user' as const };
  foreign = await store.putRestore({
    tenantId: B,
    restoreId: randomUUID(),
    status: 'pending',
    requestedBy: requester,
    requestedAt: now,
    expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    requiredApprovals: 1,
    decisions: [],
    request: { tenantId: B, objects: [{ objectType: 'user', objectId: B_USER }], at: now },
    plan: { steps: [] },
    stepResults: {},
    updatedAt: now,
  });
}, 180_000);

afterAll(async () => {
  await world?.close();
});

describe("tab API: another tenant's ids", () => {
  it("another tenant's restore id in a path: 404 everywhere, nothing decided", async () => {
    const id = foreign.restoreId;
    const answers = [
      await call('GET', `/api/tab/restores/${id}`, tokenA),
      await call('GET', `/api/tab/restores/${id}/result`, tokenA),
      await call('POST', `/api/tab/restores/${id}/decision`, tokenA, { decision: 'approve' }),
      await call('POST', `/api/tab/restores/${id}/decision`, tokenA2, { decision: 'reject' }),
      await call('POST', `/api/tab/restores/${id}/undo`, tokenA, {}),
    ];
    for (const a of answers) {
      expect(a.status, a.text).toBeGreaterThanOrEqual(400);
      expect(a.status).toBeLessThan(500);
      expect(a.text).not.toContain('Tenant B secret user');
    }
    const after = await world.ctx.store.getRestore(B, id);
    expect(after?.status).toBe('pending');
    expect(after?.decisions).toEqual([]);
  });

  it("another tenant's object id in a path or a body reveals nothing and restores nothing", async () => {
    const reads = [
      await call('GET', `/api/tab/objects/user/${B_USER}`, tokenA),
      await call('GET', `/api/tab/objects/user/${B_USER}/versions/${encodeURIComponent('x')}`, tokenA),
      await call('GET', `/api/tab/objects?type=user&search=secret`, tokenA),
    ];
    for (const r of reads) expect(r.text).not.toContain('Tenant B secret user');
    expect(reads[0].status).toBe(404);
    const before = (await world.ctx.store.listRestores(world.tenantId, { limit: 500 })).length;
    const requested = await call('POST', '/api/tab/restores', tokenA, {
      tenantId: B,
      objects: [{ objectType: 'user', objectId: B_USER }],
    });
    expect(requested.status).toBeGreaterThanOrEqual(400);
    expect(requested.text).not.toContain('Tenant B secret user');
    expect((await world.ctx.store.listRestores(world.tenantId, { limit: 500 })).length).toBe(before);
    expect((await world.ctx.store.listRestores(B, { limit: 50 })).map((r) => r.restoreId)).toEqual([
      foreign.restoreId,
    ]);
  });
});
