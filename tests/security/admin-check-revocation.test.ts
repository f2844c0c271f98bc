// Admin rights taken away while an admin check is still waiting for Graph: a check asked for
// after the change (clearTenantAdminCache) answers from the new settings; it never joins the
// slow check begun before the change, which would answer from the old ones.
import { describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app-context.ts';
import { clearTenantAdminCache, isTenantAdmin } from '../../src/auth/tenant-admin.ts';
import { createLogger } from '../../src/log.ts';
import { DEFAULT_ADMIN_ROLE_TEMPLATE_IDS, defaultSettings } from '../../src/settings/tenant-settings.ts';
import type { TenantSettings } from '../../src/store/store.ts';

const TENANT = '0badc0de-2222-4333-8444-555566667777';
const USER = '1badc0de-2222-4333-8444-555566667777';

function world() {
  let settings: TenantSettings = defaultSettings(TENANT, new Date());
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let reads = 0;
  const graph = {
    // The user holds Global Administrator; the first read waits until released (Graph is slow).
    async *pages() {
      if (reads++ === 0) await gate;
      yield { value: [{ roleDefinitionId: DEFAULT_ADMIN_ROLE_TEMPLATE_IDS[0] }] };
    },
  };
  const ctx = {
    now: () => new Date(),
    log: createLogger('silent'),
    store: { getSettings: async () => settings },
    graph: { forBackup: () => graph },
  } as unknown as AppContext;
  return {
    ctx,
    release,
    reads: () => reads,
    setSettings(next: TenantSettings) {
      settings = next;
    },
  };
}

describe('admin check after a change of the tenant admins', () => {
  it('does not join a check begun before the change', async () => {
    const w = world();
    const before = isTenantAdmin(w.ctx, TENANT, USER, { waitMs: 10_000 });
    await new Promise((r) => setTimeout(r, 20)); // the first check is waiting for Graph
    // The tenant now names no admin role and no admin group: nobody is an admin.
    w.setSettings({ ...defaultSettings(TENANT, new Date()), admins: { roleTemplateIds: [] } });
    clearTenantAdminCache(w.ctx, TENANT);
    const after = isTenantAdmin(w.ctx, TENANT, USER, { waitMs: 10_000 });
    w.release();
    expect(await after).toBe(false);
    expect(await before).toBe(true); // asked before the change
    expect(await isTenantAdmin(w.ctx, TENANT, USER)).toBe(false);
  });

  it('a second click while Graph is slow still joins the first check', async () => {
    const w = world();
    const first = isTenantAdmin(w.ctx, TENANT, USER, { waitMs: 10_000 });
    const second = isTenantAdmin(w.ctx, TENANT, USER, { waitMs: 10_000 });
    w.release();
    expect(await Promise.all([first, second])).toEqual([true, true]);
    expect(w.reads()).toBe(1);
  });
});
