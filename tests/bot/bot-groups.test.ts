// `history group …` and `restore group …` over HTTP as Teams drives them: the group paths share
// the resolver and cards with users, but groups differ where it matters (Microsoft 365 groups
// go to the recycle bin, security groups are deleted for good and must be re-created), so each
// path is driven end to end here and checked against the dev tenant.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Notifier, startNotifier } from '../../src/notify/notifier.ts';
import { runRestoreWorkerOnce } from '../../src/restore/executor.ts';
import { STEP_LABELS } from '../../src/restore/step-labels.ts';
import { type BotWorld, cardText, cardVerbs, startBotWorld } from './bot-world.ts';

interface SeedGroup {
  id: string;
  displayName: string;
  description: string;
  groupTypes: string[];
  securityEnabled: boolean;
  mailEnabled: boolean;
  isAssignableToRole: boolean | null;
}

let w: BotWorld;
let notifier: Notifier;
let unified: SeedGroup;
let security: SeedGroup;
let edited: SeedGroup;

const ops = () => w.world.devTenant.ops(w.tenantId);

/** Requests the restore on the card as admin1, approves as admin2, runs the worker. */
async function restoreThroughApproval(objectId: string, extra: Record<string, unknown> = {}) {
  const mine = await w.click(w.users.admin1, 'restore.request', {
    tenantId: w.tenantId,
    objectType: 'group',
    objectId,
    ...extra,
  });
  expect(cardText(mine)).toMatch(/Waiting for another admin/);
  const [pending] = await w.ctx.store.listRestores(w.tenantId, { status: ['pending'] });
  expect((pending.request.objects as { objectType: string; objectId: string }[])[0]).toMatchObject({
    objectType: 'group',
    objectId,
  });
  const approved = await w.click(
    w.users.admin2,
    'approval.approve',
    { tenantId: w.tenantId, restoreId: pending.restoreId },
    'channel',
  );
  expect(cardText(approved)).toMatch(/You approved this restore/);
  expect(await runRestoreWorkerOnce(w.ctx, 'group-test-worker')).toContain(pending.restoreId);
  await notifier.tick();
  const done = await w.ctx.store.getRestore(w.tenantId, pending.restoreId);
  const card = w.connector.current(String(done?.card?.activityId));
  return {
    record: done,
    card: ((card?.attachments ?? []) as { content: Record<string, unknown> }[])[0]?.content,
  };
}

beforeAll(async () => {
  w = await startBotWorld({ users: 20 });
  notifier = startNotifier(w.ctx, w.bot.connector, { pollSeconds: 0 });
  await w.post(w.install(w.users.admin1, 'channel'));
  const groups = ops()
    .list('group', { limit: 500 })
    .map((o) => o.data as unknown as SeedGroup);
  const find = (p: (g: SeedGroup) => boolean, what: string) => {
    const g = groups.find(p);
    if (!g) throw new Error(`the dev tenant has no ${what}`);
    return g;
  };
  unified = find(
    (g) => g.groupTypes.includes('Unified') && g.displayName.startsWith('Project'),
    'Microsoft 365 group',
  );
  security = find(
    (g) =>
      g.groupTypes.length === 0 &&
      g.securityEnabled &&
      !g.mailEnabled &&
      !g.isAssignableToRole &&
      ops().members('group', g.id).length > 0,
    'security group with members',
  );
  edited = find(
    (g) => g.groupTypes.includes('Unified') && g.id !== unified.id && !g.displayName.startsWith('All'),
    'second Microsoft 365 group',
  );
  await w.backup();
}, 180_000);
afterAll(async () => {
  await notifier?.stop();
  await w?.close();
});

describe('history group', () => {
  it('lists the versions of the group named, with what changed between backups', async () => {
    ops().set('group', edited.id, { description: 'Changed by the group test' });
    await w.backup();
    const [card] = await w.say(w.users.admin1, `history group ${edited.displayName}`);
    const text = cardText(card);
    expect(text).toMatch(new RegExp(`History of ${edited.displayName}`));
    expect(text).toContain(`group · ${edited.displayName.replace(/[^A-Za-z0-9]/g, '')}@`);
    expect(text).toContain(edited.id);
    expect(text).toMatch(/Changed: description/);
    expect(text).toMatch(/First backed up/);
  });

  it('a partial name matching several groups asks which one; choosing opens its history', async () => {
    const [choice] = await w.say(w.users.admin1, 'history group sg-');
    expect(cardText(choice)).toMatch(/Several groups match "sg-"/);
    const items = (choice.body as { selectAction?: { verb: string; data: Record<string, unknown> } }[])
      .map((b) => b.selectAction)
      .filter((a) => a !== undefined);
    expect(items.length).toBeGreaterThan(1);
    for (const item of items)
      expect(item).toMatchObject({ verb: 'history.open', data: { objectType: 'group' } });
    const target = items.find((a) => a.data.objectId === security.id) ?? items[0];
    const opened = await w.click(w.users.admin1, 'history.open', target.data);
    expect(cardText(opened)).toMatch(/History of SG-/);
    expect(cardText(opened)).toContain(String(target.data.objectId));
  });

  it('refuses non-admins', async () => {
    const [card] = await w.say(w.users.nonAdmin, `history group ${edited.displayName}`);
    expect(cardText(card)).toMatch(/Only tenant admins can do this/);
    expect(cardText(card)).not.toContain(edited.id);
  });
});

describe('restore group', () => {
  it('no match says so and suggests close names', async () => {
    const [card] = await w.say(w.users.admin1, `restore group ${unified.displayName.slice(0, 4)}zzqx`);
    expect(cardText(card)).toMatch(/No group matches/);
  });

  it('a live group shows what differs from the backup; the approved restore rolls back only that', async () => {
    ops().set('group', edited.id, { description: 'Vandalised' });
    const [card] = await w.say(w.users.admin1, `restore group ${edited.displayName}`);
    const text = cardText(card);
    expect(text).toMatch(new RegExp(`Restore group: ${edited.displayName}`));
    expect(text).toMatch(/Now\nlive/);
    expect(text).toMatch(/description\nVandalised\nChanged by the group test/);
    expect(cardVerbs(card)).toEqual(['restore.preview', 'restore.request']);
    const preview = await w.click(w.users.admin1, 'restore.preview', {
      tenantId: w.tenantId,
      objectType: 'group',
      objectId: edited.id,
    });
    expect(cardText(preview)).toContain(`${STEP_LABELS.patch} — `);
    expect(ops().get('group', edited.id).data.description).toBe('Vandalised');
    const { record, card: result } = await restoreThroughApproval(edited.id);
    expect(record?.status).toBe('succeeded');
    expect(cardText(result)).toMatch(/Result: \d+ done/);
    const after = ops().get('group', edited.id).data;
    expect(after.description).toBe('Changed by the group test');
    expect(after.displayName).toBe(edited.displayName);
  });

  it('a deleted Microsoft 365 group is found in the recycle bin and comes back with its id', async () => {
    const members = ops().members('group', unified.id).sort();
    expect(ops().delete('group', unified.id).deleted).toBe('soft');
    await w.backup();
    const [card] = await w.say(w.users.admin1, `restore group ${unified.displayName.toUpperCase()}`);
    expect(cardText(card)).toMatch(/deleted, in the recycle bin/);
    const preview = await w.click(w.users.admin1, 'restore.preview', {
      tenantId: w.tenantId,
      objectType: 'group',
      objectId: unified.id,
    });
    // The preview says what returns with the object instead of listing it as writes.
    expect(cardText(preview)).toMatch(/comes back from the recycle bin with what it had when deleted/);
    expect(cardText(preview)).toContain(`${STEP_LABELS.restoreFromRecycleBin} — `);
    const { record } = await restoreThroughApproval(unified.id);
    expect(record?.status).toBe('succeeded');
    expect(ops().get('group', unified.id).state).toBe('active');
    expect(ops().members('group', unified.id).sort()).toEqual(members);
  });

  it('a deleted security group is re-created (new id) with its members, as the preview said', async () => {
    const members = ops().members('group', security.id).sort();
    expect(ops().delete('group', security.id).deleted).toBe('hard');
    await w.backup();
    const [card] = await w.say(w.users.admin1, `restore group ${security.id}`);
    expect(cardText(card)).toMatch(/deleted for good \(will be re-created with a new id\)/);
    const preview = await w.click(w.users.admin1, 'restore.preview', {
      tenantId: w.tenantId,
      objectType: 'group',
      objectId: security.id,
    });
    expect(cardText(preview)).toContain(`${STEP_LABELS.create} — `);
    const { record } = await restoreThroughApproval(security.id);
    expect(record?.status).toMatch(/succeeded|partial/);
    const recreated = ops()
      .list('group', { limit: 500 })
      .find((g) => (g.data as { displayName: string }).displayName === security.displayName);
    expect(recreated?.id).toBeDefined();
    expect(recreated?.id).not.toBe(security.id);
    expect(ops().members('group', String(recreated?.id)).sort()).toEqual(members);
  });
});
