// The bot's restore preview into another tenant: the plan reads the target tenant through
// Graph (what exists there, under which ids), so it is shown only to an admin of that tenant,
// as the tab's preview and every restore request already require. Card data names the target;
// the server decides whether the clicker may see it, and audits a refusal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTenant } from '../../src/settings/tenant-settings.ts';
import { type BotWorld, cardText, startBotWorld } from '../bot/bot-world.ts';

let w: BotWorld;
let other: string;
let userId: string;

beforeAll(async () => {
  w = await startBotWorld({ users: 20, tenants: 2 });
  await w.backup();
  const found = w.world.devTenant.tenants.find((t) => t.tenantId !== w.tenantId);
  if (!found) throw new Error('the world has no second tenant');
  other = found.tenantId;
  // Managed by the product (an MSP's other customer); admin1 of the first tenant is no admin there.
  await ensureTenant(w.ctx.store, other, w.ctx.now());
  const users = await w.ctx.store.listObjects(w.tenantId, { type: 'user', deleted: 'live', limit: 50 });
  const admins = new Set(Object.values(w.users).map((u) => u.aadObjectId));
  const user = users.items.find((u) => !admins.has(u.objectId));
  if (!user) throw new Error('no user to preview');
  userId = user.objectId;
}, 180_000);
afterAll(async () => {
  await w?.close();
});

describe('bot restore preview into another tenant', () => {
  it('is refused, with the reason and an audit entry, to an admin who is none of the target', async () => {
    const card = await w.click(w.users.admin1, 'restore.preview', {
      tenantId: w.tenantId,
      objectType: 'user',
      objectId: userId,
      targetTenantId: other,
    });
    expect(cardText(card)).toMatch(/only into tenants where you are an admin too/);
    const refused = await w.ctx.store.listAudit(w.tenantId, { action: 'restore.preview-refused', limit: 5 });
    expect(refused.items[0]).toMatchObject({
      actor: { objectId: w.users.admin1.aadObjectId },
      details: { reason: 'target-not-allowed', target: other },
    });
    const previewed = await w.ctx.store.listAudit(w.tenantId, { action: 'restore.previewed', limit: 5 });
    expect(previewed.items.filter((a) => a.target === userId)).toHaveLength(0);
  });

  it('into its own tenant still previews', async () => {
    const card = await w.click(w.users.admin1, 'restore.preview', {
      tenantId: w.tenantId,
      objectType: 'user',
      objectId: userId,
    });
    expect(cardText(card)).not.toMatch(/where you are an admin too/);
    const previewed = await w.ctx.store.listAudit(w.tenantId, { action: 'restore.previewed', limit: 5 });
    expect(previewed.items.some((a) => a.target === userId)).toBe(true);
  });

  it('a domain map with the own tenant as target is refused: it would rewrite UPNs in place', async () => {
    const before = (await w.ctx.store.listRestores(w.tenantId, { limit: 100 })).length;
    const card = await w.click(w.users.admin1, 'restore.request', {
      tenantId: w.tenantId,
      objectType: 'user',
      objectId: userId,
      targetTenantId: w.tenantId,
      domainMap: 'contoso.com=fabrikam.com',
    });
    expect(cardText(card)).toMatch(/applies only to a restore into another tenant/);
    expect(await w.ctx.store.listRestores(w.tenantId, { limit: 100 })).toHaveLength(before);
  });
});
