// Run notifications: a backup that fails because consent was revoked (Graph answers 403) posts
// exactly one alert — even with two web processes' notifiers running — then a reminder after
// the configured interval, then "recovered" when the next run succeeds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Notifier, startNotifier } from '../../src/notify/notifier.ts';
import { ensureTenant } from '../../src/settings/tenant-settings.ts';
import type { ConnectorCall } from '../helpers/local-connector.ts';
import { type BotWorld, cardText, cardVerbs, startBotWorld } from './bot-world.ts';

let w: BotWorld;
let a: Notifier;
let b: Notifier;
let offset = 0;

const posts = (): ConnectorCall[] =>
  w.connector.calls.filter(
    (c) => c.method === 'POST' && !c.replyToId && c.conversationId === w.channelConversationId,
  );
const cardOf = (c: ConnectorCall) =>
  (c.activity.attachments as { content: Record<string, unknown> }[])[0].content;

async function runAndNotify(): Promise<void> {
  await w.backup();
  // Two "web processes" racing over the same store; events and polls both fire.
  await Promise.all([a.tick(), b.tick()]);
}

beforeAll(async () => {
  w = await startBotWorld({ users: 12, now: () => new Date(Date.now() + offset) });
  await w.post(w.install(w.users.admin1, 'channel'));
  const s = await ensureTenant(w.ctx.store, w.tenantId, w.ctx.now());
  await w.ctx.store.putSettings(
    { ...s, alerts: { ...s.alerts, mode: 'failures', reminderMinutes: 60 } },
    s.etag,
  );
  a = startNotifier(w.ctx, w.bot.connector, { pollSeconds: 0 });
  b = startNotifier({ ...w.ctx }, w.bot.connector, { pollSeconds: 0 });
}, 120_000);
afterAll(async () => {
  await a?.stop();
  await b?.stop();
  await w?.close();
});

describe('run alerts', () => {
  it('a successful run in "failures" mode posts nothing', async () => {
    const before = posts().length;
    await runAndNotify();
    expect(posts().length).toBe(before);
    const [run] = await w.ctx.store.listRuns(w.tenantId, { limit: 1 });
    expect(run.status).toBe('succeeded');
    expect(run.notifiedAt).toBeDefined();
  });

  it("consent revoked: the failing run posts exactly one alert with the types, Graph's error and Retry now", async () => {
    w.world.devTenant.revokeConsent(w.tenantId, 'backup');
    const before = posts().length;
    await runAndNotify();
    const [run] = await w.ctx.store.listRuns(w.tenantId, { limit: 1 });
    expect(['failed', 'partial']).toContain(run.status);
    const alerts = posts().slice(before);
    expect(alerts).toHaveLength(1);
    const card = cardOf(alerts[0]);
    expect(cardText(card)).toMatch(/Backup (partly )?failed/);
    expect(cardText(card)).toMatch(/403|Authorization|denied|consent/i);
    // The failing types, and Graph's error for each.
    expect(cardText(card)).toMatch(/These types were not backed up: .*\buser\b/);
    expect(cardText(card)).toMatch(/: \S+ \(HTTP 403\) — /);
    expect(cardVerbs(card)).toEqual(['backup.retry']);
    expect(cardText(card)).toMatch(/Open dashboard/);
  });

  it('the same failure again within the reminder interval posts nothing', async () => {
    const before = posts().length;
    await runAndNotify();
    expect(posts().length).toBe(before);
  });

  it('after the reminder interval, one reminder', async () => {
    offset = 61 * 60_000;
    const before = posts().length;
    await runAndNotify();
    const reminders = posts().slice(before);
    expect(reminders).toHaveLength(1);
    expect(cardText(cardOf(reminders[0]))).toMatch(/Backup still failing/);
  });

  it('consent granted again: Retry now queues a run; the good run posts "recovered" once, then nothing', async () => {
    w.world.devTenant.grantConsent(w.tenantId, 'backup');
    const retry = await w.click(
      w.users.admin2,
      'backup.retry',
      { tenantId: w.tenantId, types: 'user' },
      'channel',
    );
    expect(cardText(retry)).toMatch(/Backup queued/);
    expect(await w.ctx.store.listRuns(w.tenantId, { status: ['queued'] })).toHaveLength(1);
    const before = posts().length;
    await runAndNotify();
    const recovered = posts().slice(before);
    expect(recovered).toHaveLength(1);
    expect(cardText(cardOf(recovered[0]))).toMatch(/Backup recovered/);
    const after = posts().length;
    await runAndNotify();
    expect(posts().length).toBe(after);
    offset = 0;
  });

  it('every-run mode posts a result card for each successful run', async () => {
    const s = await ensureTenant(w.ctx.store, w.tenantId, w.ctx.now());
    await w.ctx.store.putSettings({ ...s, alerts: { ...s.alerts, mode: 'every-run' } }, s.etag);
    const before = posts().length;
    await runAndNotify();
    const results = posts().slice(before);
    expect(results).toHaveLength(1);
    expect(cardText(cardOf(results[0]))).toMatch(/Backup succeeded/);
    expect(cardText(cardOf(results[0]))).toMatch(/seen/);
  });

  it('daily-digest mode posts one digest a day', async () => {
    const s = await ensureTenant(w.ctx.store, w.tenantId, w.ctx.now());
    await w.ctx.store.putSettings({ ...s, alerts: { ...s.alerts, mode: 'daily-digest' } }, s.etag);
    const before = posts().length;
    await Promise.all([a.tick(), b.tick()]);
    const digests = posts().slice(before);
    expect(digests.length).toBe(1);
    expect(cardText(cardOf(digests[0]))).toMatch(/Daily backup digest/);
    await a.tick();
    expect(posts().length).toBe(before + 1);
  });
});
