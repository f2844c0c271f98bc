// Restore into another tenant through the tab API (MSP admins): the server decides which tenants
// the caller may write to; a target where the caller is not an admin (or that the product does
// not manage) is refused with one clear message and leaves nothing behind; the domain map is
// checked against the target's verified domains; the request goes through the same approvals.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestRestore } from '../../src/approvals/approval-service.ts';
import { createTabWorld, type TabWorld } from './tab-world.ts';

let world: TabWorld;
let other: { tenantId: string; domain: string };
let sourceDomain: string;
let adminA: string;
let adminB: string;
let reader: string;
let userId: string;
let userUpn: string;

beforeAll(async () => {
  world = await createTabWorld({ tenants: 2 });
  if (!world.otherTenant) throw new Error('the world has no second tenant');
  other = world.otherTenant;
  sourceDomain = world.adminA.upn.split('@')[1];
  [adminA, adminB, reader] = await Promise.all([
    world.signIn(world.adminA.upn),
    world.signIn(world.adminB.upn),
    world.signIn(world.reader.upn),
  ]);
  const users = await world.ctx.store.listObjects(world.tenantId, {
    type: 'user',
    deleted: 'live',
    limit: 50,
  });
  const target = users.items.find(
    (u) =>
      ![world.adminA.objectId, world.adminB.objectId].includes(u.objectId) &&
      String(u.summary.userPrincipalName).endsWith(`@${sourceDomain}`),
  );
  if (!target) throw new Error('no user to restore');
  userId = target.objectId;
  userUpn = String(target.summary.userPrincipalName);
}, 120_000);

afterAll(async () => {
  await world?.close();
});

async function call(method: string, route: string, token: string, body?: unknown) {
  const res = await world.fetch(`${world.baseUrl}${route}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const restoreBody = (options: Record<string, unknown>) => ({
  objects: [{ objectType: 'user', objectId: userId }],
  options,
});

describe('restore into another tenant: targets', () => {
  it('lists only the tenants where the caller is an admin, with their verified domains', async () => {
    const a = await call('GET', '/api/tab/restores/targets', adminA);
    expect(a.status).toBe(200);
    expect(a.json.source).toMatchObject({ tenantId: world.tenantId, domains: [sourceDomain] });
    expect(a.json.targets).toEqual([
      expect.objectContaining({ tenantId: other.tenantId, domains: [other.domain] }),
    ]);
    const b = await call('GET', '/api/tab/restores/targets', adminB);
    expect(b.json.targets).toEqual([]);
    const r = await call('GET', '/api/tab/restores/targets', reader);
    expect(r.json.targets).toEqual([]);
  });

  it('previews a cross-tenant restore with the domain mapped', async () => {
    const res = await call(
      'POST',
      '/api/tab/restores/preview',
      adminA,
      restoreBody({ targetTenantId: other.tenantId, domainMap: { [sourceDomain]: other.domain } }),
    );
    expect(res.status).toBe(200);
    const plan = res.json.plan as {
      writeTenantId: string;
      steps: { kind: string }[];
      diff: Record<string, { changes: { property: string; after: unknown }[] }>;
    };
    expect(plan.writeTenantId).toBe(other.tenantId);
    expect(plan.steps[0]?.kind).toBe('create');
    const upn = plan.diff[userId]?.changes.find((c) => c.property === 'userPrincipalName');
    expect(upn?.after).toBe(userUpn.replace(`@${sourceDomain}`, `@${other.domain}`));
  });
});

describe('restore into another tenant: authorization', () => {
  it('refuses a target tenant the caller is not an admin of, clearly, and stores nothing', async () => {
    const before = await world.ctx.store.listRestores(world.tenantId, { limit: 200 });
    for (const route of ['/api/tab/restores/preview', '/api/tab/restores']) {
      const res = await call('POST', route, adminB, restoreBody({ targetTenantId: other.tenantId }));
      expect(res.status).toBe(403);
      expect(res.json.error).toEqual({
        code: 'target_not_allowed',
        message: `You can restore only into tenants where you are an admin too; ${other.tenantId} is not one of them`,
      });
    }
    const after = await world.ctx.store.listRestores(world.tenantId, { limit: 200 });
    expect(after.length).toBe(before.length);
  });

  it('answers a tenant the product does not manage exactly as one where the caller is no admin', async () => {
    const unknown = '11111111-2222-4333-8444-555555555555';
    const res = await call(
      'POST',
      '/api/tab/restores/preview',
      adminA,
      restoreBody({ targetTenantId: unknown }),
    );
    expect(res.status).toBe(403);
    expect((res.json.error as { code: string }).code).toBe('target_not_allowed');
    expect(await world.ctx.store.getSettings(unknown)).toBeUndefined();
  });

  it('refuses a non-admin of the source tenant before looking at the target', async () => {
    const res = await call(
      'POST',
      '/api/tab/restores/preview',
      reader,
      restoreBody({ targetTenantId: other.tenantId }),
    );
    expect(res.status).toBe(403);
    expect((res.json.error as { code: string }).code).toBe('not_admin');
  });

  it('refuses a domain map onto a domain the target has not verified, or without a target', async () => {
    const wrong = await call(
      'POST',
      '/api/tab/restores/preview',
      adminA,
      restoreBody({ targetTenantId: other.tenantId, domainMap: { [sourceDomain]: 'evil.example' } }),
    );
    expect(wrong.status).toBe(400);
    expect((wrong.json.error as { message: string }).message).toContain(
      `${sourceDomain} → evil.example: not a verified domain of the target tenant (${other.domain})`,
    );
    const noTarget = await call(
      'POST',
      '/api/tab/restores/preview',
      adminA,
      restoreBody({ domainMap: { [sourceDomain]: other.domain } }),
    );
    expect(noTarget.status).toBe(400);
    expect((noTarget.json.error as { message: string }).message).toMatch(
      /only to a restore into another tenant/,
    );
  });

  it("the approval service (the bot's path to a request) refuses the same domain map, and audits it", async () => {
    const actor = {
      tenantId: world.tenantId,
      objectId: world.adminA.objectId,
      displayName: 'Admin A',
      kind: 'user' as const,
    };
    await expect(
      requestRestore(world.ctx, actor, {
        ...restoreBody({ targetTenantId: other.tenantId, domainMap: { [sourceDomain]: 'evil.example' } }),
        at: new Date().toISOString(),
      }),
    ).rejects.toMatchObject({
      code: 'invalid-request',
      message: expect.stringContaining(`${sourceDomain} → evil.example: not a verified domain`),
    });
    const audit = await world.ctx.store.listAudit(world.tenantId, {
      action: 'restore.request-refused',
      limit: 1,
    });
    expect(audit.items[0]?.details).toMatchObject({ reason: 'domain-map', target: other.tenantId });
  });

  it('sends an allowed cross-tenant request through the same approval flow', async () => {
    const created = await call(
      'POST',
      '/api/tab/restores',
      adminA,
      restoreBody({ targetTenantId: other.tenantId, domainMap: { [sourceDomain]: other.domain } }),
    );
    expect(created.status).toBe(200);
    expect(created.json.status).toBe('pending');
    const id = String(created.json.restoreId);
    const stored = await world.ctx.store.getRestore(world.tenantId, id);
    expect(stored?.request.options).toMatchObject({ targetTenantId: other.tenantId });
    // Not in the target tenant's list: the request belongs to the source tenant's admins.
    expect(await world.ctx.store.getRestore(other.tenantId, id)).toBeUndefined();
    const self = await call('POST', `/api/tab/restores/${id}/decision`, adminA, { decision: 'approve' });
    expect(self.status).toBe(409);
    const approved = await call('POST', `/api/tab/restores/${id}/decision`, adminB, { decision: 'approve' });
    expect(approved.status).toBe(200);
    expect(approved.json.status).toBe('approved');
  });
});
