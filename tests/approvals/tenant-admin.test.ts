// Who counts as a tenant admin, resolved through Graph against the dev tenant: holders of the
// configured directory roles (default: Global Administrator, Privileged Role Administrator) or
// members of the configured admin group; fail closed when Graph refuses the backup app.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  AdminCheckUnavailableError,
  clearTenantAdminCache,
  isTenantAdmin,
} from '../../src/auth/tenant-admin.ts';
import { ensureTenant } from '../../src/settings/tenant-settings.ts';
import { createTestWorld, type TestWorld } from '../helpers/test-world.ts';

let w: TestWorld;
let globalAdmin: string;
let plainMember: string;
let groupId: string;
let offset = 0;

beforeAll(async () => {
  w = await createTestWorld({ users: 20, now: () => new Date(Date.now() + offset) });
  const graph = w.ctx.graph.forBackup(w.tenantId);
  const ga = await graph.get<{ value: { principalId: string }[] }>(
    `/roleManagement/directory/roleAssignments?$filter=${encodeURIComponent("roleDefinitionId eq '62e90394-69f5-4237-9190-012177145e10'")}`,
  );
  globalAdmin = ga.value[0].principalId;
  const ops = w.devTenant.ops(w.tenantId);
  const admins = new Set(
    (
      await graph.get<{ value: { principalId: string }[] }>('/roleManagement/directory/roleAssignments')
    ).value.map((a) => a.principalId),
  );
  for (const g of ops.list('group', { limit: 50 })) {
    const member = ops.members('group', g.id).find((m) => !admins.has(m));
    if (member) {
      groupId = g.id;
      plainMember = member;
      break;
    }
  }
}, 120_000);
afterAll(async () => w?.close());

describe('isTenantAdmin', () => {
  it('holders of the default admin roles are admins; others are not', async () => {
    expect(await isTenantAdmin(w.ctx, w.tenantId, globalAdmin)).toBe(true);
    expect(await isTenantAdmin(w.ctx, w.tenantId, plainMember)).toBe(false);
    expect(await isTenantAdmin(w.ctx, w.tenantId, '00000000-0000-4000-8000-000000000000')).toBe(false);
    expect(await isTenantAdmin(w.ctx, w.tenantId, "x' or '1'='1")).toBe(false);
  });

  it("the tenant's own admin group and roles replace the defaults", async () => {
    const s = await ensureTenant(w.ctx.store, w.tenantId, w.ctx.now());
    await w.ctx.store.putSettings({ ...s, admins: { groupId, roleTemplateIds: [] } }, s.etag);
    clearTenantAdminCache(w.ctx, w.tenantId);
    expect(await isTenantAdmin(w.ctx, w.tenantId, plainMember)).toBe(true);
    expect(await isTenantAdmin(w.ctx, w.tenantId, globalAdmin)).toBe(false);
  });

  it('fails closed when the backup app lost consent, and answers again once consent is back', async () => {
    clearTenantAdminCache(w.ctx);
    w.devTenant.revokeConsent(w.tenantId, 'backup');
    expect(await isTenantAdmin(w.ctx, w.tenantId, plainMember)).toBe(false);
    w.devTenant.grantConsent(w.tenantId, 'backup');
    expect(await isTenantAdmin(w.ctx, w.tenantId, plainMember)).toBe(true);
  });

  it("an unknown tenant is nobody's, and the check leaves no settings behind", async () => {
    const unknown = '11111111-2222-4333-8444-555555555555';
    expect(await isTenantAdmin(w.ctx, unknown, globalAdmin)).toBe(false);
    expect(await w.ctx.store.getSettings(unknown)).toBeUndefined();
  });

  it('an answer is never used past 60 s; after 30 s it is refreshed in the background', async () => {
    clearTenantAdminCache(w.ctx);
    expect(await isTenantAdmin(w.ctx, w.tenantId, plainMember)).toBe(true); // the admin group
    const s = await ensureTenant(w.ctx.store, w.tenantId, w.ctx.now());
    await w.ctx.store.putSettings({ ...s, admins: { roleTemplateIds: [] } }, s.etag);
    offset = 20_000; // fresh: the cached answer, no Graph call
    expect(await isTenantAdmin(w.ctx, w.tenantId, plainMember)).toBe(true);
    offset = 35_000; // still valid, so answered from the cache, but refreshed behind it
    expect(await isTenantAdmin(w.ctx, w.tenantId, plainMember)).toBe(true);
    await vi.waitFor(async () => expect(await isTenantAdmin(w.ctx, w.tenantId, plainMember)).toBe(false));
    // Back in the admin group: the cached "no" is not used once it is 60 s old.
    const t = await ensureTenant(w.ctx.store, w.tenantId, w.ctx.now());
    await w.ctx.store.putSettings({ ...t, admins: { groupId, roleTemplateIds: [] } }, t.etag);
    offset = 35_000 + 61_000; // past its life: asked again before answering
    expect(await isTenantAdmin(w.ctx, w.tenantId, plainMember)).toBe(true);
    offset = 0;
  });

  // The tenant's admins are the admin group since the tests above: plainMember is one.
  it('a slow or failing Graph gets a clear "try again" within the wait, not a "no"; the answer is cached for the retry', async () => {
    clearTenantAdminCache(w.ctx);
    w.devTenant.setFaults(w.tenantId, { latencyMs: 2000 });
    try {
      const started = Date.now();
      const err = await isTenantAdmin(w.ctx, w.tenantId, plainMember, { waitMs: 300 }).catch((e) => e);
      expect(err).toBeInstanceOf(AdminCheckUnavailableError);
      expect(err.status).toBe(503);
      expect(err.message).toMatch(/answering slowly.*nothing was changed/);
      expect(Date.now() - started).toBeLessThan(1500);
      // The check went on behind the refusal: the next try is answered from its result.
      await vi.waitFor(
        async () => expect(await isTenantAdmin(w.ctx, w.tenantId, plainMember, { waitMs: 300 })).toBe(true),
        { timeout: 15_000, interval: 200 },
      );
    } finally {
      w.devTenant.setFaults(w.tenantId, { latencyMs: 0 });
    }
    clearTenantAdminCache(w.ctx);
    w.devTenant.setFaults(w.tenantId, {
      forced: [{ pattern: '*', status: 503, code: 'serviceNotAvailable' }],
    });
    try {
      const err = await isTenantAdmin(w.ctx, w.tenantId, plainMember, { waitMs: 300 }).catch((e) => e);
      expect(err).toBeInstanceOf(AdminCheckUnavailableError);
    } finally {
      w.devTenant.setFaults(w.tenantId, { forced: [] });
    }
    expect(await isTenantAdmin(w.ctx, w.tenantId, plainMember)).toBe(true);
  }, 30_000);
});
