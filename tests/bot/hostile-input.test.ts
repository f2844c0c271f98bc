// Hostile input to the bot: forged identity fields, oversized commands, injection attempts, and
// a property-based run of arbitrary card actions through HTTP: every input gets a valid answer
// and none changes a restore request it may not change.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestRestore } from '../../src/approvals/approval-service.ts';
import type { RestoreRecord } from '../../src/store/store.ts';
import { type BotWorld, cardText, startBotWorld } from './bot-world.ts';

let w: BotWorld;
let pending: RestoreRecord;

beforeAll(async () => {
  w = await startBotWorld({ users: 12 });
  await w.backup();
  const [target] = (await w.ctx.store.listObjects(w.tenantId, { type: 'user', deleted: 'live', limit: 1 }))
    .items;
  pending = await requestRestore(
    w.ctx,
    { tenantId: w.tenantId, objectId: w.users.admin1.aadObjectId, kind: 'user' },
    {
      objects: [{ objectType: 'user', objectId: target.objectId }],
      at: new Date().toISOString(),
      options: {},
    },
  );
}, 120_000);
afterAll(async () => w?.close());

async function replyTo(activity: Record<string, unknown>): Promise<string> {
  const before = w.connector.calls.length;
  const response = await w.post(activity);
  expect(response.status).toBe(200);
  const reply = w.connector.calls.slice(before)[0];
  return cardText(
    (reply?.activity.attachments as { content: Record<string, unknown> }[] | undefined)?.[0]?.content,
  );
}

describe('forged or missing identity', () => {
  it('a tenant in channelData that differs from the conversation tenant is refused', async () => {
    const activity = w.message(w.users.admin1, 'status', 'channel');
    (activity.channelData as { tenant: { id: string } }).tenant.id = '11111111-2222-4333-8444-555555555555';
    expect(await replyTo(activity)).toMatch(/no valid tenant/);
  });

  it('a message without an Entra user is refused', async () => {
    const activity = w.message(w.users.admin1, 'status');
    delete (activity.from as { aadObjectId?: string }).aadObjectId;
    expect(await replyTo(activity)).toMatch(/no Entra user/);
  });

  it("a non-admin claiming an admin's name is still a non-admin", async () => {
    const activity = w.message(w.users.nonAdmin, 'status');
    (activity.from as { name: string }).name = w.users.admin1.name;
    expect(await replyTo(activity)).toMatch(/Only tenant admins/);
  });

  it('an invoke without identity is answered 401 in the invoke body', async () => {
    const activity = w.invoke(w.users.admin2, 'approval.approve', {
      tenantId: w.tenantId,
      restoreId: pending.restoreId,
    });
    delete (activity.from as { aadObjectId?: string }).aadObjectId;
    const response = await w.post(activity);
    expect(response.body).toMatchObject({ statusCode: 401, type: 'application/vnd.microsoft.error' });
    expect((await w.ctx.store.getRestore(w.tenantId, pending.restoreId))?.status).toBe('pending');
  });
});

describe('hostile commands', () => {
  it('a 100 KB command is refused politely', async () => {
    expect(await replyTo(w.message(w.users.admin1, `find ${'x'.repeat(100 * 1024)}`))).toMatch(/too long/);
  });

  it('injection attempts in search text are just text', async () => {
    for (const text of [
      "' OR 1=1 --",
      '"; DROP TABLE objects; --',
      '%',
      '_',
      "startswith(displayName,'a')",
      '$filter=id ne null',
    ]) {
      const answer = await replyTo(w.message(w.users.admin1, `find ${text}`));
      expect(answer).toMatch(/Nothing found|Found for/);
    }
    expect(
      (await w.ctx.store.listObjects(w.tenantId, { type: 'user', limit: 5 })).items.length,
    ).toBeGreaterThan(0);
  });

  it('control characters and bidi overrides never reach a card', async () => {
    const answer = await replyTo(w.message(w.users.admin1, 'restore user \u202eevil\u0007name\u200b'));
    expect([...answer].some((c) => c === '\u202e' || c === '\u200b' || c.charCodeAt(0) < 0x09)).toBe(false);
    expect(answer).toMatch(/No user matches "evil name"/);
  });
});

describe('slow Graph', () => {
  it("a card action answers within Teams' 5 s even when Graph is slow, and posts the result when ready", async () => {
    const [target] = (await w.ctx.store.listObjects(w.tenantId, { type: 'user', deleted: 'live', limit: 1 }))
      .items;
    const data = { tenantId: w.tenantId, objectType: 'user', objectId: target.objectId };
    await w.click(w.users.admin1, 'restore.open', data); // admin check cached, as in a real session
    w.world.devTenant.setFaults(w.tenantId, { latencyMs: 1500 });
    try {
      const started = Date.now();
      const card = await w.click(w.users.admin1, 'restore.preview', data);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(cardText(card)).toMatch(/Still working/);
      const posted = await w.connector.waitFor(
        (c) => c.method === 'POST' && !c.replyToId && /Preview/.test(JSON.stringify(c.activity)),
        30_000,
      );
      expect(posted.conversationId).toBe(w.personalConversationId(w.users.admin1));
    } finally {
      w.world.devTenant.setFaults(w.tenantId, { latencyMs: 0 });
    }
  }, 60_000);
});

describe('property: arbitrary card actions', () => {
  const verbs = [
    'approval.approve',
    'approval.reject',
    'approval.cancel',
    'approval.refresh',
    'approval.show',
    'restore.open',
    'restore.preview',
    'restore.undo',
    'history.open',
    'find.more',
    'changes.more',
    'settings.show',
    'backup.now',
    'nonsense',
  ];
  const users = () => [w.users.admin1, w.users.admin2, w.users.nonAdmin];

  it('every action gets a well-formed answer; foreign tenants and non-admins change nothing', async () => {
    const data = fc.record(
      {
        tenantId: fc.oneof(fc.constant('__self__'), fc.uuid(), fc.string({ maxLength: 40 }), fc.integer()),
        restoreId: fc.oneof(fc.constant('__pending__'), fc.uuid(), fc.string({ maxLength: 300 })),
        objectType: fc.oneof(
          fc.constantFrom('user', 'group', 'restore', 'nope'),
          fc.string({ maxLength: 20 }),
        ),
        objectId: fc.oneof(fc.uuid(), fc.string({ maxLength: 50 })),
        query: fc.oneof(fc.string({ maxLength: 50 }), fc.constant('86400000|24h')),
        page: fc.string({ maxLength: 50 }),
        types: fc.oneof(
          fc.string({ maxLength: 30 }),
          fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }),
        ),
      },
      { requiredKeys: [] },
    );
    const value = fc.oneof(
      fc.record({
        action: fc.record({ type: fc.constant('Action.Execute'), verb: fc.constantFrom(...verbs), data }),
      }),
      fc.anything(),
    );
    await fc.assert(
      fc.asyncProperty(value, fc.nat(2), async (v, who) => {
        const actor = users()[who];
        const raw = JSON.parse(
          JSON.stringify(v ?? null)
            .replaceAll('"__self__"', JSON.stringify(w.tenantId))
            .replaceAll('"__pending__"', JSON.stringify(pending.restoreId)),
        );
        const activity = { ...w.invoke(actor, 'x', {}), value: raw };
        const before = await w.ctx.store.getRestore(w.tenantId, pending.restoreId);
        const response = await w.post(activity);
        expect(response.status).toBe(200);
        const body = response.body as { statusCode: number; type: string; value: unknown };
        expect([200, 400, 401, 500]).toContain(body.statusCode);
        expect(['application/vnd.microsoft.card.adaptive', 'application/vnd.microsoft.error']).toContain(
          body.type,
        );
        if (body.type === 'application/vnd.microsoft.card.adaptive') {
          expect((body.value as { version: string }).version).toBe('1.5');
        }
        const after = await w.ctx.store.getRestore(w.tenantId, pending.restoreId);
        const foreign = raw?.action?.data?.tenantId !== undefined && raw.action.data.tenantId !== w.tenantId;
        // The pending request moves only for an admin acting on it in their own tenant.
        if (
          foreign ||
          actor === w.users.nonAdmin ||
          !String(raw?.action?.verb ?? '').startsWith('approval.')
        ) {
          expect(after?.status).toBe(before?.status);
          expect(after?.decisions).toEqual(before?.decisions);
        }
      }),
      { numRuns: 60 },
    );
  });
});
