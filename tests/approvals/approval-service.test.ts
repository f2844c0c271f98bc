// The approval service the bot and the tab share: the two-person rule, policies, expiry, and
// compare-and-swap under racing decisions — against the real store and dev tenant.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApprovalError,
  decideRestore,
  expireRestores,
  requestRestore,
} from '../../src/approvals/approval-service.ts';
import type { Principal } from '../../src/domain.ts';
import { ensureTenant } from '../../src/settings/tenant-settings.ts';
import { type BotWorld, startBotWorld, type TeamsUser } from '../bot/bot-world.ts';

let w: BotWorld;
let offset = 0;
let target: string;

const principal = (u: TeamsUser): Principal => ({
  tenantId: w.tenantId,
  objectId: u.aadObjectId,
  displayName: u.name,
  kind: 'user',
});

async function setPolicy(approversNeeded: number, expiryHours = 24) {
  const s = await ensureTenant(w.ctx.store, w.tenantId, w.ctx.now());
  await w.ctx.store.putSettings({ ...s, approval: { approversNeeded, expiryHours } }, s.etag);
}

const request = () => ({
  objects: [{ objectType: 'user', objectId: target }],
  at: w.ctx.now().toISOString(),
  options: {},
});

beforeAll(async () => {
  w = await startBotWorld({ now: () => new Date(Date.now() + offset) });
  await w.backup();
  target = (await w.ctx.store.listObjects(w.tenantId, { type: 'user', deleted: 'live', limit: 1 })).items[0]
    .objectId;
}, 120_000);
afterAll(async () => w?.close());

describe('requestRestore', () => {
  it('plans the restore, stores it pending with the policy, and audits it', async () => {
    await setPolicy(2, 6);
    const r = await requestRestore(w.ctx, principal(w.users.admin1), {
      ...request(),
      tenantId: 'someone-elses-tenant',
    });
    expect(r).toMatchObject({ status: 'pending', requiredApprovals: 2, tenantId: w.tenantId });
    expect(r.request.tenantId).toBe(w.tenantId);
    expect(Array.isArray((r.plan as { steps?: unknown[] }).steps)).toBe(true);
    expect(new Date(r.expiresAt).getTime() - new Date(r.requestedAt).getTime()).toBe(6 * 3_600_000);
    const audit = await w.ctx.store.listAudit(w.tenantId, { action: 'restore.requested', limit: 1 });
    expect(audit.items[0]).toMatchObject({
      target: r.restoreId,
      actor: { objectId: w.users.admin1.aadObjectId },
    });
    await setPolicy(1);
  });

  it('refuses a non-admin, and audits the refusal', async () => {
    await expect(requestRestore(w.ctx, principal(w.users.nonAdmin), request())).rejects.toMatchObject({
      code: 'not-admin',
    });
    const audit = await w.ctx.store.listAudit(w.tenantId, { action: 'restore.request-refused', limit: 1 });
    expect(audit.items[0]?.actor.objectId).toBe(w.users.nonAdmin.aadObjectId);
  });

  it('refuses a restore into a tenant the product does not manage, leaving no trace of it', async () => {
    const other = '11111111-2222-4333-8444-555555555555';
    await expect(
      requestRestore(w.ctx, principal(w.users.admin1), { ...request(), options: { targetTenantId: other } }),
    ).rejects.toBeInstanceOf(ApprovalError);
    expect(await w.ctx.store.getSettings(other)).toBeUndefined();
  });

  it('a bad request is refused with the reason', async () => {
    await expect(
      requestRestore(w.ctx, principal(w.users.admin1), { objects: [], at: 'now' }),
    ).rejects.toThrow(/could not be planned.*at least one object/);
  });
});

describe('decideRestore', () => {
  it('decisions naming another tenant are refused without reading it', async () => {
    const r = await requestRestore(w.ctx, principal(w.users.admin1), request());
    await expect(
      decideRestore(
        w.ctx,
        principal(w.users.admin2),
        '11111111-2222-4333-8444-555555555555',
        r.restoreId,
        'approve',
      ),
    ).rejects.toMatchObject({ code: 'wrong-tenant' });
    expect((await w.ctx.store.getRestore(w.tenantId, r.restoreId))?.status).toBe('pending');
  });

  it('with a policy of two approvers, one approval keeps it pending and the second queues it', async () => {
    await setPolicy(2);
    const r = await requestRestore(w.ctx, principal(w.users.admin1), request());
    const first = await decideRestore(w.ctx, principal(w.users.admin2), w.tenantId, r.restoreId, 'approve');
    expect(first).toMatchObject({ outcome: 'applied', record: { status: 'pending' } });
    expect(first.message).toMatch(/1 of 2/);
    const again = await decideRestore(w.ctx, principal(w.users.admin2), w.tenantId, r.restoreId, 'approve');
    expect(again).toMatchObject({ outcome: 'refused', reason: 'already-decided-by-you' });
    const second = await decideRestore(w.ctx, principal(w.users.admin3), w.tenantId, r.restoreId, 'approve');
    expect(second).toMatchObject({ outcome: 'applied', record: { status: 'approved' } });
    expect(second.record.decisions).toHaveLength(2);
    await setPolicy(1);
  });

  it('two approvals racing: exactly one wins, the other is told, nothing is counted twice', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await requestRestore(w.ctx, principal(w.users.admin1), request());
      const results = await Promise.all([
        decideRestore(w.ctx, principal(w.users.admin2), w.tenantId, r.restoreId, 'approve'),
        decideRestore(w.ctx, principal(w.users.admin3), w.tenantId, r.restoreId, 'approve'),
      ]);
      expect(results.map((x) => x.outcome).sort()).toEqual(['applied', 'refused']);
      const stored = await w.ctx.store.getRestore(w.tenantId, r.restoreId);
      expect(stored?.status).toBe('approved');
      expect(stored?.decisions).toHaveLength(1);
    }
  });

  it('approve racing cancel: exactly one wins and the record says which', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await requestRestore(w.ctx, principal(w.users.admin1), request());
      const [approve, cancel] = await Promise.all([
        decideRestore(w.ctx, principal(w.users.admin2), w.tenantId, r.restoreId, 'approve'),
        decideRestore(w.ctx, principal(w.users.admin1), w.tenantId, r.restoreId, 'cancel'),
      ]);
      expect([approve.outcome, cancel.outcome].sort()).toEqual(['applied', 'refused']);
      const stored = await w.ctx.store.getRestore(w.tenantId, r.restoreId);
      expect(stored?.status).toBe(approve.outcome === 'applied' ? 'approved' : 'cancelled');
      expect(stored?.decisions).toHaveLength(1);
    }
  });

  it('two approvals racing under a two-approver policy: both count, once each', async () => {
    await setPolicy(2);
    const r = await requestRestore(w.ctx, principal(w.users.admin1), request());
    const results = await Promise.all([
      decideRestore(w.ctx, principal(w.users.admin2), w.tenantId, r.restoreId, 'approve'),
      decideRestore(w.ctx, principal(w.users.admin3), w.tenantId, r.restoreId, 'approve'),
    ]);
    expect(results.map((x) => x.outcome)).toEqual(['applied', 'applied']);
    const stored = await w.ctx.store.getRestore(w.tenantId, r.restoreId);
    expect(stored?.status).toBe('approved');
    expect(stored?.decisions.map((d) => d.by.objectId).sort()).toEqual(
      [w.users.admin2.aadObjectId, w.users.admin3.aadObjectId].sort(),
    );
    await setPolicy(1);
  });

  it('only the requester cancels; others reject', async () => {
    const r = await requestRestore(w.ctx, principal(w.users.admin1), request());
    expect(
      await decideRestore(w.ctx, principal(w.users.admin2), w.tenantId, r.restoreId, 'cancel'),
    ).toMatchObject({ outcome: 'refused', reason: 'not-requester' });
    expect(
      await decideRestore(w.ctx, principal(w.users.admin1), w.tenantId, r.restoreId, 'reject'),
    ).toMatchObject({ outcome: 'refused', reason: 'self-approval' });
    expect(
      await decideRestore(w.ctx, principal(w.users.admin2), w.tenantId, r.restoreId, 'reject'),
    ).toMatchObject({ outcome: 'applied', record: { status: 'rejected' } });
    const c = await requestRestore(w.ctx, principal(w.users.admin1), request());
    expect(
      await decideRestore(w.ctx, principal(w.users.admin1), w.tenantId, c.restoreId, 'cancel'),
    ).toMatchObject({ outcome: 'applied', record: { status: 'cancelled' } });
  });

  it('every decision, refused ones included, is in the audit log', async () => {
    const actions = (await w.ctx.store.listAudit(w.tenantId, { action: 'restore.*', limit: 500 })).items.map(
      (e) => e.action,
    );
    for (const a of [
      'restore.requested',
      'restore.approved',
      'restore.rejected',
      'restore.cancelled',
      'restore.decision-refused',
    ]) {
      expect(actions).toContain(a);
    }
  });
});

describe('expireRestores', () => {
  it('expires pending requests past their expiry, once, and audits it', async () => {
    const r = await requestRestore(w.ctx, principal(w.users.admin1), request());
    offset = 25 * 3_600_000;
    try {
      expect(await expireRestores(w.ctx)).toBeGreaterThanOrEqual(1);
      expect((await w.ctx.store.getRestore(w.tenantId, r.restoreId))?.status).toBe('expired');
      expect(await expireRestores(w.ctx)).toBe(0);
      const decided = await decideRestore(
        w.ctx,
        principal(w.users.admin2),
        w.tenantId,
        r.restoreId,
        'approve',
      );
      expect(decided).toMatchObject({ outcome: 'refused', reason: 'expired' });
      const audit = await w.ctx.store.listAudit(w.tenantId, { action: 'restore.expired', limit: 50 });
      expect(audit.items.filter((e) => e.target === r.restoreId)).toHaveLength(1);
    } finally {
      offset = 0;
    }
  });
});
