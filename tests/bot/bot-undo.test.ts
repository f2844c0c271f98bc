// Undo on the bot's restore result card, over HTTP as Teams drives it: the button appears on a
// finished restore's card, pressing it creates an ordinary restore request (the pre-restore
// versions) that needs a second admin's approval, and the worker then puts the tenant back.
// Forged clicks (another tenant's data or restore, a non-admin, a restore that is not finished,
// a repeat) get a clear answer and create nothing.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Notifier, startNotifier } from '../../src/notify/notifier.ts';
import { runRestoreWorkerOnce } from '../../src/restore/executor.ts';
import type { RestoreRecord } from '../../src/store/store.ts';
import { type BotWorld, cardText, cardVerbs, startBotWorld } from './bot-world.ts';

let w: BotWorld;
let notifier: Notifier;
let victim: string;
let original: RestoreRecord;
let postedId: string;

const cardOf = (activity: Record<string, unknown> | undefined) =>
  ((activity?.attachments ?? []) as { content: Record<string, unknown> }[])[0]?.content;
const undoRequests = async (of: string) =>
  (await w.ctx.store.listRestores(w.tenantId, { limit: 200 })).filter((r) => r.request.undoOf === of);
const undoData = () => ({ tenantId: w.tenantId, restoreId: original.restoreId });

beforeAll(async () => {
  w = await startBotWorld({ users: 20 });
  notifier = startNotifier(w.ctx, w.bot.connector, { pollSeconds: 0 });
  await w.post(w.install(w.users.admin1, 'channel'));
  const ops = w.world.devTenant.ops(w.tenantId);
  const admins = new Set(Object.values(w.users).map((u) => u.aadObjectId));
  const pick = ops
    .list('user', { limit: 100 })
    .map((o) => o.data as { id: string; userPrincipalName: string })
    .find((u) => !admins.has(u.id) && !u.userPrincipalName.includes('#EXT#'));
  if (!pick) throw new Error('no user to delete');
  victim = pick.id;
  await w.backup();
  ops.delete('user', victim);
  await w.backup();
  // A finished restore: requested by admin1, approved by admin2, run by the worker.
  await w.click(w.users.admin1, 'restore.request', {
    tenantId: w.tenantId,
    objectType: 'user',
    objectId: victim,
  });
  const [pending] = await w.ctx.store.listRestores(w.tenantId, { status: ['pending'] });
  await w.click(
    w.users.admin2,
    'approval.approve',
    { tenantId: w.tenantId, restoreId: pending.restoreId },
    'channel',
  );
  await runRestoreWorkerOnce(w.ctx, 'undo-test-worker');
  await notifier.tick();
  const done = await w.ctx.store.getRestore(w.tenantId, pending.restoreId);
  if (!done?.card || !['succeeded', 'partial'].includes(done.status))
    throw new Error(`restore did not finish: ${done?.status}`);
  original = done;
  postedId = done.card.activityId;
  expect(ops.get('user', victim).state).toBe('active');
}, 180_000);
afterAll(async () => {
  await notifier?.stop();
  await w?.close();
});

describe('the Undo button', () => {
  it('is on the finished restore card for admins, not for read-only viewers', async () => {
    const posted = cardOf(w.connector.current(postedId));
    expect(cardText(posted)).toMatch(/Result: \d+ done/);
    expect(cardVerbs(posted)).toContain('restore.undo');
    const action = ((posted?.actions ?? []) as { verb?: string; type: string; data?: unknown }[]).find(
      (a) => a.verb === 'restore.undo',
    );
    expect(action).toMatchObject({ type: 'Action.Execute', data: undoData() });
    expect(cardVerbs(await w.click(w.users.admin3, 'approval.refresh', undoData(), 'channel'))).toEqual([
      'restore.undo',
    ]);
    expect(cardVerbs(await w.click(w.users.nonAdmin, 'approval.refresh', undoData(), 'channel'))).toEqual([]);
  });
});

describe('forged or foreign undo clicks change nothing', () => {
  it('a non-admin is refused politely, and the refusal is audited', async () => {
    const card = await w.click(w.users.nonAdmin, 'restore.undo', undoData(), 'channel');
    expect(cardText(card)).toMatch(/Only tenant admins can do this/);
    expect(await undoRequests(original.restoreId)).toHaveLength(0);
    const audit = await w.ctx.store.listAudit(w.tenantId, { action: 'bot.refused', limit: 5 });
    expect(audit.items[0]).toMatchObject({
      actor: { objectId: w.users.nonAdmin.aadObjectId },
      details: { verb: 'restore.undo', reason: 'not-admin' },
    });
  });

  it('card data naming another tenant is refused', async () => {
    const card = await w.click(
      w.users.admin1,
      'restore.undo',
      { tenantId: '0badc0de-0000-4000-8000-00000000000f', restoreId: original.restoreId },
      'channel',
    );
    expect(cardText(card)).toMatch(/belongs to another tenant; nothing was changed/);
    expect(await undoRequests(original.restoreId)).toHaveLength(0);
  });

  it("another tenant's restore id is not found in the clicker's tenant; that tenant is untouched", async () => {
    const foreignTenant = '0badc0de-0000-4000-8000-000000000010';
    const { etag: _etag, ...rest } = original;
    const foreign = await w.ctx.store.putRestore({
      ...rest,
      tenantId: foreignTenant,
      restoreId: randomUUID(),
    });
    const card = await w.click(
      w.users.admin1,
      'restore.undo',
      { tenantId: w.tenantId, restoreId: foreign.restoreId },
      'channel',
    );
    expect(cardText(card)).toMatch(/no restore with that id in this tenant; nothing was requested/);
    expect(await undoRequests(foreign.restoreId)).toHaveLength(0);
    expect(await w.ctx.store.listRestores(foreignTenant)).toHaveLength(1);
    const audit = await w.ctx.store.listAudit(w.tenantId, { action: 'restore.undo-refused', limit: 1 });
    expect(audit.items[0]).toMatchObject({ target: foreign.restoreId, details: { reason: 'not-found' } });
  });

  it('a restore that has not run cannot be undone', async () => {
    const [live] = (await w.ctx.store.listObjects(w.tenantId, { type: 'user', deleted: 'live', limit: 1 }))
      .items;
    await w.click(w.users.admin2, 'restore.request', {
      tenantId: w.tenantId,
      objectType: 'user',
      objectId: live.objectId,
    });
    const [pending] = await w.ctx.store.listRestores(w.tenantId, { status: ['pending'] });
    const card = await w.click(
      w.users.admin1,
      'restore.undo',
      { tenantId: w.tenantId, restoreId: pending.restoreId },
      'channel',
    );
    expect(cardText(card)).toMatch(/cannot be undone: .*only a finished restore can be undone/);
    expect(await undoRequests(pending.restoreId)).toHaveLength(0);
    await w.click(w.users.admin2, 'approval.cancel', { tenantId: w.tenantId, restoreId: pending.restoreId });
  });

  it('a click without a restore id is answered as a bad request', async () => {
    const response = await w.post(w.invoke(w.users.admin1, 'restore.undo', { tenantId: w.tenantId }));
    expect(response.body).toMatchObject({
      statusCode: 400,
      type: 'application/vnd.microsoft.error',
      value: { message: expect.stringMatching(/does not name a restore/) },
    });
  });
});

describe('an undo is a restore request under the two-person rule', () => {
  let undo: RestoreRecord;

  it('pressing Undo creates a pending request for the pre-restore versions and posts its approval card', async () => {
    const before = w.connector.calls.length;
    // A double click: two invokes at once make one request; the other click is told so.
    const answers = (
      await Promise.all([
        w.click(w.users.admin1, 'restore.undo', undoData(), 'channel'),
        w.click(w.users.admin1, 'restore.undo', undoData(), 'channel'),
      ])
    ).map(cardText);
    const requests = await undoRequests(original.restoreId);
    expect(requests).toHaveLength(1);
    undo = requests[0];
    const made = answers.filter((t) => t.includes(`Undo requested (request ${undo.restoreId})`));
    expect(made).toHaveLength(1);
    expect(answers.filter((t) => /already pending .*nothing new was requested/.test(t))).toHaveLength(1);
    expect(undo).toMatchObject({
      status: 'pending',
      requiredApprovals: 1,
      requestedBy: { objectId: w.users.admin1.aadObjectId, kind: 'user' },
    });
    const objects = undo.request.objects as { objectId: string; versionId?: string }[];
    expect(objects.map((o) => o.objectId)).toEqual([victim]);
    expect(objects[0].versionId).toBeTruthy();
    // Nothing is written before approval.
    expect(w.world.devTenant.ops(w.tenantId).get('user', victim).state).toBe('active');
    const post = w.connector.calls.slice(before).find((c) => c.method === 'POST' && !c.replyToId);
    expect(post?.conversationId).toBe(w.channelConversationId);
    const posted = cardOf(post?.activity);
    expect(cardText(posted)).toMatch(new RegExp(`undo of restore ${original.restoreId}`));
    expect(cardVerbs(posted)).toEqual(['approval.approve', 'approval.reject']);
    expect(undo.card?.activityId).toBe(post?.activityId);
    const clicked = await w.ctx.store.listAudit(w.tenantId, { action: 'bot.card-action', limit: 5 });
    expect(clicked.items.some((e) => e.details?.verb === 'restore.undo')).toBe(true);
    const requested = await w.ctx.store.listAudit(w.tenantId, { action: 'restore.requested', limit: 1 });
    expect(requested.items[0]).toMatchObject({
      target: undo.restoreId,
      actor: { objectId: w.users.admin1.aadObjectId },
    });
  });

  it('pressing Undo again later, as another admin, makes no second request (audited refusal)', async () => {
    const again = await w.click(w.users.admin3, 'restore.undo', undoData(), 'channel');
    expect(cardText(again)).toMatch(/An undo of this restore is already pending .*nothing new was requested/);
    expect(await undoRequests(original.restoreId)).toHaveLength(1);
    const audit = await w.ctx.store.listAudit(w.tenantId, { action: 'restore.undo-refused', limit: 1 });
    expect(audit.items[0]).toMatchObject({
      actor: { objectId: w.users.admin3.aadObjectId },
      details: { reason: 'already-requested' },
    });
  });

  it('the admin who asked for the undo cannot approve it', async () => {
    const card = await w.click(
      w.users.admin1,
      'approval.approve',
      { tenantId: w.tenantId, restoreId: undo.restoreId },
      'channel',
    );
    expect(cardText(card)).toMatch(/cannot approve your own request/);
    expect((await w.ctx.store.getRestore(w.tenantId, undo.restoreId))?.status).toBe('pending');
  });

  it('approved by a second admin, the worker puts the tenant back as it was before the restore', async () => {
    const card = await w.click(
      w.users.admin2,
      'approval.approve',
      { tenantId: w.tenantId, restoreId: undo.restoreId },
      'channel',
    );
    expect(cardText(card)).toMatch(/You approved this restore/);
    expect(await runRestoreWorkerOnce(w.ctx, 'undo-test-worker')).toContain(undo.restoreId);
    expect((await w.ctx.store.getRestore(w.tenantId, undo.restoreId))?.status).toBe('succeeded');
    // The restore brought the user back from the recycle bin; undoing it deletes it again.
    expect(w.world.devTenant.ops(w.tenantId).get('user', victim).state).toBe('deleted');
    await notifier.tick();
    const undoCard = cardOf(w.connector.current(String(undo.card?.activityId)));
    expect(cardText(undoCard)).toMatch(/Result: \d+ done/);
    // An undo is not itself offered for undo (as in the tab).
    expect(cardVerbs(undoCard)).not.toContain('restore.undo');
  });
});
