// The bot over HTTP, as Teams drives it: signed activities in Teams' shapes posted to
// /api/messages, answers read back from the local connector (replies, posts, updates) and from
// invoke responses, checked against the store and the dev tenant.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Notifier, startNotifier } from '../../src/notify/notifier.ts';
import { runRestoreWorkerOnce } from '../../src/restore/executor.ts';
import type { RestoreRecord } from '../../src/store/store.ts';
import { type BotWorld, cardText, cardVerbs, startBotWorld } from './bot-world.ts';

let w: BotWorld;

function firstCard(activity: Record<string, unknown> | undefined): Record<string, unknown> {
  const attachments = (activity?.attachments ?? []) as { content: Record<string, unknown> }[];
  expect(attachments.length).toBeGreaterThan(0);
  return attachments[0].content;
}
let notifier: Notifier;
let clockOffset = 0;
const now = () => new Date(Date.now() + clockOffset);

beforeAll(async () => {
  w = await startBotWorld({ now });
  notifier = startNotifier(w.ctx, w.bot.connector, { pollSeconds: 0 });
  await w.backup();
}, 120_000);
afterAll(async () => {
  await notifier?.stop();
  await w?.close();
});

describe('trust', () => {
  it.each([
    ['no token', async () => null],
    ['a token signed with an unknown key', async () => w.channelToken({ key: 'untrusted' })],
    ['a token for another bot', async () => w.channelToken({ audience: 'another-bot-id' })],
    ['a token from another issuer', async () => w.channelToken({ issuer: 'https://sts.windows.net/evil/' })],
    [
      'a token bound to another serviceUrl',
      async () => w.channelToken({ serviceurl: 'https://evil.example.com/' }),
    ],
    ['a malformed token', async () => 'not-a-jwt'],
  ])('answers 401 to an activity with %s and runs nothing', async (_name, token) => {
    const before = w.connector.calls.length;
    const auditBefore = (await w.ctx.store.listAudit(w.tenantId, { limit: 1000 })).items.length;
    const response = await w.post(w.message(w.users.admin1, 'backup now'), await token());
    expect(response.status).toBe(401);
    expect(w.connector.calls.length).toBe(before);
    expect((await w.ctx.store.listAudit(w.tenantId, { limit: 1000 })).items.length).toBe(auditBefore);
  });

  it('rejects an activity that is not an activity (400) once the token is valid', async () => {
    const response = await w.post({ type: 'message', text: 'hi' });
    expect(response.status).toBe(400);
  });

  it('answers a signed message, replying to the activity on its serviceUrl with a bot token', async () => {
    const cards = await w.say(w.users.admin1, 'help');
    expect(cardText(cards[0])).toMatch(/restore user\|group/);
    const last = w.connector.calls.at(-1);
    expect(last?.replyToId).toMatch(/^f:/);
    expect(last?.authorization).toMatch(/^Bearer /);
  });
});

describe('install', () => {
  it('stores the team channel as the default alert channel and posts a welcome card there', async () => {
    const before = w.connector.calls.length;
    const response = await w.post(w.install(w.users.admin1, 'channel'));
    expect(response.status).toBe(200);
    const settings = await w.ctx.store.getSettings(w.tenantId);
    expect(settings?.alerts.channelConversationId).toBe(w.channelConversationId);
    expect(settings?.conversations[w.channelConversationId]).toMatchObject({
      conversationType: 'channel',
      serviceUrl: w.connector.serviceUrl,
      teamId: w.teamId,
    });
    const posted = w.connector.calls.slice(before);
    expect(posted).toHaveLength(1);
    expect(posted[0].conversationId).toBe(w.channelConversationId);
    const card = (posted[0].activity.attachments as { content: Record<string, unknown> }[])[0].content;
    expect(cardText(card)).toMatch(/Entra Backup is installed/);
    expect(cardText(card)).toMatch(/Grant admin consent/);
    expect(cardText(card)).toMatch(/Open dashboard/);
    expect(cardVerbs(card)).toContain('settings.show');
  });

  it('a personal install is stored too but does not take over the channel; uninstall removes it', async () => {
    const personal = w.personalConversationId(w.users.admin2);
    await w.post(w.install(w.users.admin2, 'personal'));
    let settings = await w.ctx.store.getSettings(w.tenantId);
    expect(settings?.conversations[personal]?.conversationType).toBe('personal');
    expect(settings?.alerts.channelConversationId).toBe(w.channelConversationId);
    await w.post(w.install(w.users.admin2, 'personal', 'remove'));
    settings = await w.ctx.store.getSettings(w.tenantId);
    expect(settings?.conversations[personal]).toBeUndefined();
    expect(settings?.conversations[w.channelConversationId]).toBeDefined();
    const audit = await w.ctx.store.listAudit(w.tenantId, { action: 'bot.uninstalled' });
    expect(audit.items[0]?.target).toBe(personal);
  });
});

describe('commands', () => {
  it('strips the channel mention, ignores case, and replies in the channel thread', async () => {
    const before = w.connector.calls.length;
    await w.post(w.message(w.users.admin1, 'HeLP', 'channel'));
    const reply = w.connector.calls.slice(before)[0];
    expect(reply.conversationId).toMatch(new RegExp(`^${w.channelConversationId}`));
    expect(
      cardText((reply.activity.attachments as { content: Record<string, unknown> }[])[0].content),
    ).toMatch(/What I can do/);
  });

  it('answers an unknown word with the closest command and the help list', async () => {
    const [card] = await w.say(w.users.admin1, 'restor user megan');
    expect(cardText(card)).toMatch(/I don't know "restor"/);
    expect(cardText(card)).toMatch(/Did you mean "restore"/);
  });

  it('refuses non-admins politely, and audits the refusal', async () => {
    const [card] = await w.say(w.users.nonAdmin, 'status');
    expect(cardText(card)).toMatch(/Only tenant admins can do this/);
    const audit = await w.ctx.store.listAudit(w.tenantId, { action: 'bot.refused', limit: 5 });
    expect(audit.items.some((e) => e.actor.objectId === w.users.nonAdmin.aadObjectId)).toBe(true);
  });

  it('status: every type in scope with its state and last good backup', async () => {
    const [card] = await w.say(w.users.admin3, 'status');
    const text = cardText(card);
    expect(text).toMatch(/Backup status/);
    expect(text).toMatch(/user/);
    expect(text).toMatch(/healthy|partial|failing/);
    expect(cardVerbs(card)).toContain('backup.now');
  });

  it('backup now [type] queues one run, and says so when one is already queued', async () => {
    const [first] = await w.say(w.users.admin1, 'backup now users');
    expect(cardText(first)).toMatch(/Backup queued/);
    const runs = await w.ctx.store.listRuns(w.tenantId, { status: ['queued'] });
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      trigger: 'manual',
      types: ['user'],
      requestedBy: { objectId: w.users.admin1.aadObjectId },
    });
    const [second] = await w.say(w.users.admin2, 'backup now user');
    expect(cardText(second)).toMatch(/already queued/);
    expect(await w.ctx.store.listRuns(w.tenantId, { status: ['queued'] })).toHaveLength(1);
    await w.backup(); // let the queued run finish so later runs start clean
  });

  it('find pages long answers with a More button that continues where it stopped', async () => {
    const [card] = await w.say(w.users.admin1, 'find a');
    const first = (card.body as { type: string; items?: { text: string }[] }[]).filter(
      (b) => b.type === 'Container',
    );
    expect(first.length).toBe(10);
    const more = (card.actions as { verb: string; data: Record<string, unknown> }[]).find(
      (a) => a.verb === 'find.more',
    );
    expect(more).toBeDefined();
    const next = await w.click(w.users.admin1, 'find.more', more?.data ?? {});
    const second = (next.body as { type: string; items?: { text: string }[] }[]).filter(
      (b) => b.type === 'Container',
    );
    expect(second.length).toBeGreaterThan(0);
    const label = (c: { items?: { text: string }[] }) => c.items?.[0]?.text;
    expect(second.map(label)).not.toContain(label(first[0]));
  });

  it('history user <name> lists versions; a name matching several asks which one', async () => {
    const target = w.users.admin2;
    const [card] = await w.say(w.users.admin1, `history user ${target.upn.split('@')[0]}`);
    expect(cardText(card)).toMatch(new RegExp(`History of ${target.name}`));
    expect(cardText(card)).toMatch(/First backed up/);
    const names = (await w.ctx.store.listObjects(w.tenantId, { type: 'user', limit: 200 })).items.map((o) =>
      o.displayName[0].toLowerCase(),
    );
    const common = [...new Set(names)].sort(
      (a, b) => names.filter((n) => n === b).length - names.filter((n) => n === a).length,
    )[0];
    const [choice] = await w.say(w.users.admin1, `history user ${common}`);
    expect(cardText(choice)).toMatch(/Several users match/);
  });

  it('changes [since] lists what changed in the period', async () => {
    const [card] = await w.say(w.users.admin1, 'changes since 2d');
    expect(cardText(card)).toMatch(/Changes in the last 2d/);
    expect(cardText(card)).toMatch(/created or changed/);
    const [bad] = await w.say(w.users.admin1, 'changes since ever');
    expect(cardText(bad)).toMatch(/Usage: changes/);
  });

  it('settings shows the policy and saves changes made on the card (audited)', async () => {
    const [card] = await w.say(w.users.admin1, 'settings');
    expect(cardText(card)).toMatch(/Alert channel/);
    const saved = await w.click(w.users.admin1, 'settings.save', {
      tenantId: w.tenantId,
      alertMode: 'every-run',
      reminderMinutes: '60',
      approversNeeded: '1',
      expiryHours: '24',
      useThisChannel: 'false',
    });
    expect(cardText(saved)).toMatch(/Saved/);
    const settings = await w.ctx.store.getSettings(w.tenantId);
    expect(settings?.alerts).toMatchObject({ mode: 'every-run', reminderMinutes: 60 });
    const refused = await w.click(w.users.admin1, 'settings.save', {
      alertMode: 'sometimes',
      reminderMinutes: '5',
      approversNeeded: '1',
      expiryHours: '24',
    });
    expect(cardText(refused)).toMatch(/Not saved/);
    expect((await w.ctx.store.getSettings(w.tenantId))?.alerts.mode).toBe('every-run');
    const audit = await w.ctx.store.listAudit(w.tenantId, { action: 'settings.changed', limit: 5 });
    expect(audit.items).toHaveLength(1);
    // back to the default for the alert tests elsewhere
    await w.click(w.users.admin1, 'settings.save', {
      alertMode: 'failures',
      reminderMinutes: '240',
      approversNeeded: '1',
      expiryHours: '24',
    });
  });

  it('restore with no match says so and suggests close names', async () => {
    const target = w.users.admin2;
    const typo = `${target.name.split(' ')[0].slice(0, 3)}zzq`;
    const [card] = await w.say(w.users.admin1, `restore user ${typo}`);
    expect(cardText(card)).toMatch(/No user matches/);
    expect(cardText(card)).toMatch(/Close names/);
  });
});

describe('restore request and approval (scripted run)', () => {
  let victim: { id: string; upn: string; name: string };
  let record: RestoreRecord;
  let postedId: string;

  it('a deleted user is found by part of its UPN and shown with snapshots and options', async () => {
    const ops = w.world.devTenant.ops(w.tenantId);
    const users = ops
      .list('user', { limit: 100 })
      .map((o) => o.data as { id: string; userPrincipalName: string; displayName: string });
    const admins = new Set(Object.values(w.users).map((u) => u.aadObjectId));
    const pick = users.filter((u) => !admins.has(u.id) && !u.userPrincipalName.includes('#EXT#'))[3];
    victim = { id: pick.id, upn: pick.userPrincipalName, name: pick.displayName };
    ops.delete('user', victim.id);
    await w.backup();
    const partial = victim.upn.split('@')[0].slice(0, -1).toUpperCase();
    const [card] = await w.say(w.users.admin1, `restore user ${partial}`);
    const text = cardText(card);
    expect(text).toMatch(new RegExp(`Restore user: ${victim.name}`));
    expect(text).toMatch(/recycle bin/);
    expect(text).toMatch(/With memberships/);
    expect(cardVerbs(card)).toEqual(['restore.preview', 'restore.request']);
    const snapshots = (card.body as { id?: string; choices?: unknown[] }[]).find((b) => b.id === 'versionId');
    expect(snapshots?.choices?.length).toBeGreaterThan(0);
  });

  it('Preview shows the plan without writing anything', async () => {
    const card = await w.click(w.users.admin1, 'restore.preview', {
      tenantId: w.tenantId,
      objectType: 'user',
      objectId: victim.id,
    });
    expect(cardText(card), cardText(card)).toMatch(/Preview:/);
    expect(cardText(card)).toMatch(/Restore from the recycle bin/);
    expect(w.world.devTenant.ops(w.tenantId).get('user', victim.id).state).toBe('deleted');
  });

  it('Request restore stores a pending request and posts the approval card in the channel', async () => {
    const before = w.connector.calls.length;
    const mine = await w.click(w.users.admin1, 'restore.request', {
      tenantId: w.tenantId,
      objectType: 'user',
      objectId: victim.id,
      withMemberships: 'true',
      blockSignIn: 'false',
    });
    expect(cardText(mine)).toMatch(/Waiting for another admin/);
    expect(cardVerbs(mine)).toEqual(['approval.cancel']);
    const pending = await w.ctx.store.listRestores(w.tenantId, { status: ['pending'] });
    expect(pending).toHaveLength(1);
    record = pending[0];
    expect(record.requestedBy.objectId).toBe(w.users.admin1.aadObjectId);
    const post = w.connector.calls.slice(before).find((c) => c.method === 'POST' && !c.replyToId);
    expect(post?.conversationId).toBe(w.channelConversationId);
    postedId = String(post?.activityId);
    expect(record.card).toMatchObject({
      conversationId: w.channelConversationId,
      activityId: postedId,
      viewerIds: [w.users.admin1.id],
    });
    const posted = firstCard(post?.activity);
    expect(cardVerbs(posted)).toEqual(['approval.approve', 'approval.reject']);
    expect((posted.refresh as { userIds: string[] }).userIds).toEqual([w.users.admin1.id]);
    expect(cardText(posted)).toMatch(/Restore from the recycle bin/);
    const audit = await w.ctx.store.listAudit(w.tenantId, { action: 'restore.requested' });
    expect(audit.items[0]?.target).toBe(record.restoreId);
  });

  it('each viewer gets their own view on refresh', async () => {
    const data = { tenantId: w.tenantId, restoreId: record.restoreId };
    expect(cardVerbs(await w.click(w.users.admin1, 'approval.refresh', data, 'channel'))).toEqual([
      'approval.cancel',
    ]);
    expect(cardVerbs(await w.click(w.users.admin2, 'approval.refresh', data, 'channel'))).toEqual([
      'approval.approve',
      'approval.reject',
    ]);
    const readonly = await w.click(w.users.nonAdmin, 'approval.refresh', data, 'channel');
    expect(cardVerbs(readonly)).toEqual([]);
    expect(cardText(readonly)).not.toMatch(/What will change/);
  });

  it('the requester cannot approve their own request', async () => {
    const card = await w.click(
      w.users.admin1,
      'approval.approve',
      { tenantId: w.tenantId, restoreId: record.restoreId },
      'channel',
    );
    expect(cardText(card)).toMatch(/cannot approve your own request/);
    expect((await w.ctx.store.getRestore(w.tenantId, record.restoreId))?.status).toBe('pending');
  });

  it('a non-admin cannot approve', async () => {
    const card = await w.click(
      w.users.nonAdmin,
      'approval.approve',
      { tenantId: w.tenantId, restoreId: record.restoreId },
      'channel',
    );
    expect(cardText(card)).toMatch(/Only admins of this tenant/);
    expect((await w.ctx.store.getRestore(w.tenantId, record.restoreId))?.status).toBe('pending');
  });

  it('card data naming another tenant is refused and changes nothing', async () => {
    const card = await w.click(
      w.users.admin2,
      'approval.approve',
      { tenantId: '11111111-2222-4333-8444-555555555555', restoreId: record.restoreId },
      'channel',
    );
    expect(cardText(card)).toMatch(/belongs to another tenant/);
    expect((await w.ctx.store.getRestore(w.tenantId, record.restoreId))?.status).toBe('pending');
  });

  it('a second admin approves: the restore is queued with the previewed plan and the posted card updates', async () => {
    const before = w.connector.calls.length;
    const card = await w.click(
      w.users.admin2,
      'approval.approve',
      { tenantId: w.tenantId, restoreId: record.restoreId },
      'channel',
    );
    expect(cardText(card)).toMatch(/You approved this restore/);
    const approved = await w.ctx.store.getRestore(w.tenantId, record.restoreId);
    expect(approved?.status).toBe('approved');
    expect(approved?.plan).toEqual(record.plan);
    expect(approved?.decisions.map((d) => [d.by.objectId, d.decision])).toEqual([
      [w.users.admin2.aadObjectId, 'approve'],
    ]);
    const update = w.connector.calls.slice(before).find((c) => c.method === 'PUT');
    expect(update?.activityId).toBe(postedId);
    await notifier.tick();
    const updated = firstCard(w.connector.current(postedId));
    expect(cardText(updated)).toMatch(/Approved — queued/);
    expect(cardVerbs(updated)).toEqual([]);
    expect((updated.refresh as { userIds: string[] }).userIds).toEqual([
      w.users.admin1.id,
      w.users.admin2.id,
    ]);
    const audit = await w.ctx.store.listAudit(w.tenantId, { action: 'restore.approved' });
    expect(audit.items[0]?.actor.objectId).toBe(w.users.admin2.aadObjectId);
  });

  it('a replayed approval or a late rejection gets a clear answer and changes nothing', async () => {
    const before = await w.ctx.store.getRestore(w.tenantId, record.restoreId);
    const replay = await w.click(
      w.users.admin2,
      'approval.approve',
      { tenantId: w.tenantId, restoreId: record.restoreId },
      'channel',
    );
    expect(cardText(replay)).toMatch(/already chose "approve"/);
    const late = await w.click(
      w.users.admin3,
      'approval.reject',
      { tenantId: w.tenantId, restoreId: record.restoreId },
      'channel',
    );
    expect(cardText(late)).toMatch(/already approved; nothing was changed/);
    const after = await w.ctx.store.getRestore(w.tenantId, record.restoreId);
    expect(after?.status).toBe('approved');
    expect(after?.decisions).toEqual(before?.decisions);
  });

  it('the card follows the restore in place: running → done, with counts', async () => {
    const finished = await runRestoreWorkerOnce(w.ctx, 'bot-test-worker');
    expect(finished).toContain(record.restoreId);
    await notifier.tick();
    const current = w.connector.current(postedId);
    const card = firstCard(current);
    expect(cardText(card)).toMatch(/Done|Done with skipped/);
    expect(cardText(card)).toMatch(/Result: \d+ done, \d+ skipped, \d+ failed/);
    expect(w.world.devTenant.ops(w.tenantId).get('user', victim.id).state).toBe('active');
  });
});

describe('request lifecycle', () => {
  async function newRequest(requester = w.users.admin1): Promise<RestoreRecord> {
    const [target] = (await w.ctx.store.listObjects(w.tenantId, { type: 'user', limit: 1, deleted: 'live' }))
      .items;
    await w.click(requester, 'restore.request', {
      tenantId: w.tenantId,
      objectType: 'user',
      objectId: target.objectId,
    });
    const pending = await w.ctx.store.listRestores(w.tenantId, { status: ['pending'] });
    return pending.sort((a, b) => b.requestedAt.localeCompare(a.requestedAt))[0];
  }

  it('the requester can cancel; a cancelled request cannot be approved', async () => {
    const r = await newRequest();
    const cancelled = await w.click(
      w.users.admin1,
      'approval.cancel',
      { tenantId: w.tenantId, restoreId: r.restoreId },
      'channel',
    );
    expect(cardText(cancelled)).toMatch(/You cancelled/);
    const late = await w.click(
      w.users.admin2,
      'approval.approve',
      { tenantId: w.tenantId, restoreId: r.restoreId },
      'channel',
    );
    expect(cardText(late)).toMatch(/already cancelled/);
    expect((await w.ctx.store.getRestore(w.tenantId, r.restoreId))?.status).toBe('cancelled');
  });

  it('another admin rejects; a rejected request cannot be revived', async () => {
    const r = await newRequest();
    await w.click(
      w.users.admin3,
      'approval.reject',
      { tenantId: w.tenantId, restoreId: r.restoreId },
      'channel',
    );
    const revive = await w.click(
      w.users.admin2,
      'approval.approve',
      { tenantId: w.tenantId, restoreId: r.restoreId },
      'channel',
    );
    expect(cardText(revive)).toMatch(/already rejected/);
    expect((await w.ctx.store.getRestore(w.tenantId, r.restoreId))?.status).toBe('rejected');
  });

  it('past its expiry a request cannot be approved and is marked expired', async () => {
    const r = await newRequest();
    clockOffset = 25 * 3_600_000;
    try {
      const card = await w.click(
        w.users.admin2,
        'approval.approve',
        { tenantId: w.tenantId, restoreId: r.restoreId },
        'channel',
      );
      expect(cardText(card)).toMatch(/expired/);
      expect((await w.ctx.store.getRestore(w.tenantId, r.restoreId))?.status).toBe('expired');
    } finally {
      clockOffset = 0;
    }
  });

  it('approvals lists what waits, and opening one shows the viewer their view', async () => {
    const r = await newRequest(w.users.admin2);
    const [list] = await w.say(w.users.admin1, 'approvals');
    expect(cardText(list)).toMatch(/waiting for approval/);
    const item = (
      list.body as { type: string; selectAction?: { verb: string; data: Record<string, unknown> } }[]
    ).find((b) => b.selectAction?.data.objectId === r.restoreId);
    expect(item?.selectAction?.verb).toBe('approval.show');
    const view = await w.click(w.users.admin1, 'approval.show', item?.selectAction?.data ?? {});
    expect(cardVerbs(view)).toEqual(['approval.approve', 'approval.reject']);
  });
});
