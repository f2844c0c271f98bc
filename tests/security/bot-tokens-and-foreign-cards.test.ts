// Bot trust cases tests/bot does not cover: an expired channel token, an unsigned one
// (alg "none"), one signed for another channel; and card data naming another tenant's request
// or another user as the requester. Each is refused and changes nothing.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOT_FRAMEWORK_ISSUER } from '../../src/devtenant/token-issuer.ts';
import type { RestoreRecord } from '../../src/store/store.ts';
import { type BotWorld, cardText, startBotWorld } from '../bot/bot-world.ts';

let w: BotWorld;
let foreign: RestoreRecord;
const B = '0badc0de-2222-4333-8444-555566667777';

beforeAll(async () => {
  w = await startBotWorld({ users: 20 });
  const now = new Date().toISOString();
  foreign = await w.ctx.store.putRestore({
    tenantId: B,
    restoreId: randomUUID(),
    status: 'pending',
    requestedBy: { tenantId: B, objectId: randomUUID(), kind: 'user' },
    requestedAt: now,
    expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    requiredApprovals: 1,
    decisions: [],
    request: {},
    plan: { steps: [] },
    stepResults: {},
    updatedAt: now,
  });
}, 180_000);
afterAll(async () => {
  await w?.close();
});

const sign = (opts: { issuedAt?: number; expiresInSeconds?: number; channel?: string }) =>
  w.world.devTenant.issuer.sign(
    {
      serviceurl: w.connector.serviceUrl,
      ...(opts.channel ? { 'http://schemas.microsoft.com/2018/channel': opts.channel } : {}),
    },
    {
      issuer: BOT_FRAMEWORK_ISSUER,
      audience: w.botAppId,
      issuedAt: opts.issuedAt,
      expiresInSeconds: opts.expiresInSeconds ?? 3600,
    },
  );

describe('bot tokens', () => {
  it.each([
    [
      'expired an hour ago',
      async () => sign({ issuedAt: Math.floor(Date.now() / 1000) - 7200, expiresInSeconds: 3600 }),
    ],
    [
      'unsigned (alg none)',
      async () => {
        const [, payload] = (await sign({})).split('.');
        return `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
      },
    ],
    [
      'with its signature from another token',
      async () => {
        const [h, p] = (await sign({})).split('.');
        const [, , s] = (await sign({ expiresInSeconds: 60 })).split('.');
        return `${h}.${p}.${s}`;
      },
    ],
  ])('an activity with a token %s is answered 401 and runs nothing', async (_name, token) => {
    const before = w.connector.calls.length;
    const audit = (await w.ctx.store.listAudit(w.tenantId, { limit: 1000 })).items.length;
    const res = await w.post(w.message(w.users.admin1, 'backup now'), await token());
    expect(res.status).toBe(401);
    expect(w.connector.calls.length).toBe(before);
    expect((await w.ctx.store.listAudit(w.tenantId, { limit: 1000 })).items.length).toBe(audit);
  });
});

describe('card data naming what is not the clicker’s', () => {
  it("another tenant's restore id: refused as not found, the request untouched", async () => {
    for (const verb of ['approval.approve', 'approval.reject', 'approval.cancel', 'approval.show']) {
      const card = await w.click(w.users.admin2, verb, { restoreId: foreign.restoreId });
      expect(cardText(card)).toMatch(/no longer exists|not found|not possible/i);
    }
    const after = await w.ctx.store.getRestore(B, foreign.restoreId);
    expect(after?.status).toBe('pending');
    expect(after?.decisions).toEqual([]);
  });

  it('card data naming another user as requester or approver changes nothing about who acts', async () => {
    // An admin asks for a restore while the card data claims the request is someone else's.
    const target = w.world.devTenant.ops(w.tenantId).list('user')[5];
    await w.backup();
    await w.click(w.users.admin1, 'restore.request', {
      objectType: 'user',
      objectId: target.id,
      requestedBy: w.users.admin2.aadObjectId,
      from: w.users.admin2.aadObjectId,
      tenantId: w.tenantId,
    });
    const [mine] = await w.ctx.store.listRestores(w.tenantId, { status: ['pending'], limit: 1 });
    expect(mine.requestedBy.objectId).toBe(w.users.admin1.aadObjectId.toLowerCase());
    // The requester's approval, dressed up as admin2's in the card data, is still self-approval.
    const card = await w.click(w.users.admin1, 'approval.approve', {
      restoreId: mine.restoreId,
      by: w.users.admin2.aadObjectId,
      approver: w.users.admin2.aadObjectId,
    });
    expect(cardText(card)).toMatch(/cannot approve your own/i);
    expect((await w.ctx.store.getRestore(w.tenantId, mine.restoreId))?.status).toBe('pending');
  });
});
