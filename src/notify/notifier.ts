// Proactive messages: run results and alerts in the tenant's channel, approval cards updated in
// place as a restore moves on, expiry of stale requests. Driven by in-process ProductEvents (a
// run finished by this process's worker is posted at once) and a store poll every
// NOTIFY_POLL_SECONDS (a worker in another process emits nothing here: the poll sees its runs). Each
// run is posted at most once across any number of web processes: the notifier first claims it
// by setting `run.notifiedAt` with compare-and-swap, and only the winner posts.

import { botLinks } from '../../bot/bot-env.ts';
import type { ConnectorSender, ConversationAddress, OutboundMessage } from '../../bot/bot-types.ts';
import { updatePostedCard } from '../../bot/card-actions.ts';
import type { AppContext } from '../app-context.ts';
import { expireRestores } from '../approvals/approval-service.ts';
import { ensureTenant, scopedTypes } from '../settings/tenant-settings.ts';
import {
  type RestoreRecord,
  type RunRecord,
  StoreConflictError,
  type TenantSettings,
} from '../store/store.ts';
import { decideAlert, recordAlert, systemActor } from './run-alerts.ts';
import { digestCard, runCard } from './run-cards.ts';

export interface NotifierOptions {
  /** Seconds between store polls (default NOTIFY_POLL_SECONDS; 0 = no timer, call tick()). */
  pollSeconds?: number;
  /** Runs finished longer ago than this are never posted (default 24 h): no backlog flood. */
  maxAgeMinutes?: number;
}

export interface Notifier {
  /** One pass: expire requests, post unnotified runs, refresh changed approval cards, digests. */
  tick(): Promise<void>;
  /** Posts one finished run now (what the event listener calls). */
  notifyRun(run: RunRecord): Promise<'posted' | 'skipped' | 'claimed-elsewhere'>;
  stop(): Promise<void>;
}

const FINISHED = new Set(['succeeded', 'partial', 'failed']);
/** Minimum time between two progress updates of one approval card while its restore runs. */
const PROGRESS_UPDATE_MS = 3000;
const CARD_STATES = new Set<RestoreRecord['status']>([
  'pending',
  'approved',
  'rejected',
  'cancelled',
  'expired',
  'running',
  'succeeded',
  'partial',
  'failed',
]);

export function channelAddress(settings: TenantSettings): ConversationAddress | undefined {
  const id = settings.alerts.channelConversationId;
  const ref = id
    ? settings.conversations[id]
    : Object.values(settings.conversations).find((c) => c.conversationType === 'channel');
  return ref
    ? { serviceUrl: ref.serviceUrl, conversationId: ref.conversationId, tenantId: settings.tenantId }
    : undefined;
}

export function startNotifier(
  ctx: AppContext,
  connector: ConnectorSender,
  options: NotifierOptions = {},
): Notifier {
  const links = botLinks(ctx);
  const maxAgeMs = (options.maxAgeMinutes ?? 24 * 60) * 60_000;
  const cardSignatures = new Map<string, string>();
  const inFlight = new Set<Promise<unknown>>();
  let stopped = false;

  const track = <T>(p: Promise<T>): Promise<T> => {
    inFlight.add(p);
    p.finally(() => inFlight.delete(p)).catch(() => undefined);
    return p;
  };

  async function post(settings: TenantSettings, message: OutboundMessage): Promise<boolean> {
    const address = channelAddress(settings);
    if (!address) {
      ctx.log.info(
        { tenantId: settings.tenantId },
        'notify: no channel to post to (app not installed in a team yet)',
      );
      return false;
    }
    await connector.send(address, message);
    return true;
  }

  async function notifyRun(candidate: RunRecord): Promise<'posted' | 'skipped' | 'claimed-elsewhere'> {
    const run = await ctx.store.getRun(candidate.tenantId, candidate.runId);
    if (!run || run.notifiedAt || !FINISHED.has(run.status)) return 'skipped';
    const finishedAt = new Date(run.finishedAt ?? run.createdAt).getTime();
    const nowIso = ctx.now().toISOString();
    let claimed: RunRecord;
    try {
      claimed = await ctx.store.updateRun({ ...run, notifiedAt: nowIso }, run.etag ?? '');
    } catch (error) {
      if (error instanceof StoreConflictError) return 'claimed-elsewhere';
      throw error;
    }
    if (ctx.now().getTime() - finishedAt > maxAgeMs) return 'skipped';
    const settings = await ensureTenant(ctx.store, claimed.tenantId, ctx.now());
    const decision = await decideAlert(ctx, settings, claimed);
    if (!decision) return 'skipped';
    // Alerts and "recovered" always go out; plain results only in every-run mode (decided above).
    let posted = false;
    try {
      posted = await post(
        settings,
        runCard(
          claimed,
          decision,
          links.dashboardUrl,
          settings.alerts.reminderMinutes,
          scopedTypes(settings),
        ),
      );
    } catch (error) {
      ctx.log.error(
        { err: error instanceof Error ? error.message : String(error), runId: claimed.runId },
        'notify: posting failed',
      );
    }
    await recordAlert(ctx, claimed, decision, posted);
    return posted ? 'posted' : 'skipped';
  }

  // Card updates of one request run one after another, each from the stored record, so an
  // older state can never overwrite a newer one.
  const cardQueues = new Map<string, Promise<void>>();
  const lastCardUpdate = new Map<string, number>();
  const pendingCardTimers = new Map<string, NodeJS.Timeout>();
  function refreshCard(hint: RestoreRecord): Promise<void> {
    const key = `${hint.tenantId}|${hint.restoreId}`;
    // While a restore runs, progress updates go out at most every few seconds (the Bot
    // Connector throttles); a final state always goes out at once.
    const since = Date.now() - (lastCardUpdate.get(key) ?? 0);
    if (hint.status === 'running' && since < PROGRESS_UPDATE_MS) {
      if (!pendingCardTimers.has(key) && !stopped) {
        const timer = setTimeout(() => {
          pendingCardTimers.delete(key);
          if (!stopped) track(refreshCard(hint)).catch(() => undefined);
        }, PROGRESS_UPDATE_MS - since);
        timer.unref();
        pendingCardTimers.set(key, timer);
      }
      return Promise.resolve();
    }
    lastCardUpdate.set(key, Date.now());
    const next = (cardQueues.get(key) ?? Promise.resolve()).then(async () => {
      const record = await ctx.store.getRestore(hint.tenantId, hint.restoreId);
      if (!record?.card || !CARD_STATES.has(record.status)) return;
      const signature = `${record.status}|${Object.keys(record.stepResults).length}|${record.decisions.length}|${record.card.viewerIds?.length ?? 0}|${record.updatedAt}`;
      if (cardSignatures.get(record.restoreId) === signature) return;
      cardSignatures.set(record.restoreId, signature);
      await updatePostedCard({ ctx, connector, links }, record);
    });
    const settled = next.catch(() => undefined);
    cardQueues.set(key, settled);
    settled.then(() => {
      if (cardQueues.get(key) === settled) cardQueues.delete(key);
    });
    return next;
  }

  async function digest(settings: TenantSettings): Promise<void> {
    if (settings.alerts.mode !== 'daily-digest') return;
    const now = ctx.now().getTime();
    const last = settings.alerts.lastDigestAt;
    if (last && now - new Date(last).getTime() < 24 * 3_600_000) return;
    const since = new Date(now - 24 * 3_600_000).toISOString();
    const runs = (await ctx.store.listRuns(settings.tenantId, { limit: 200 })).filter(
      (r) => FINISHED.has(r.status) && (r.finishedAt ?? r.createdAt) >= since,
    );
    if (!runs.length) return;
    // Claim today's digest on the settings document: of several web processes one wins.
    try {
      await ctx.store.putSettings(
        { ...settings, alerts: { ...settings.alerts, lastDigestAt: ctx.now().toISOString() } },
        settings.etag,
      );
    } catch (error) {
      if (error instanceof StoreConflictError) return;
      throw error;
    }
    await ctx.store.appendAudit({
      tenantId: settings.tenantId,
      actor: systemActor(settings.tenantId),
      action: 'notify.digest',
      details: { runs: runs.length },
    });
    await post(settings, digestCard(settings.tenantId, runs, links.dashboardUrl));
  }

  async function tick(): Promise<void> {
    if (stopped) return;
    await expireRestores(ctx);
    const horizon = new Date(ctx.now().getTime() - maxAgeMs).toISOString();
    for (const settings of await ctx.store.listTenants()) {
      const runs = await ctx.store.listRuns(settings.tenantId, {
        limit: 20,
        status: ['succeeded', 'partial', 'failed'],
      });
      // Oldest first, so alert → reminder → recovered come in the order the runs happened.
      for (const run of runs
        .filter((r) => !r.notifiedAt && (r.finishedAt ?? r.createdAt) >= horizon)
        .reverse()) {
        await notifyRun(run);
      }
      const restores = await ctx.store.listRestores(settings.tenantId, { limit: 20 });
      for (const record of restores) if (record.updatedAt >= horizon) await refreshCard(record);
      await digest(settings);
    }
  }

  const onRun = (run: RunRecord) => {
    if (!stopped)
      track(notifyRun(run)).catch((error: unknown) =>
        ctx.log.error({ err: String(error) }, 'notify: run event failed'),
      );
  };
  const onRestore = (record: RestoreRecord) => {
    if (!stopped)
      track(refreshCard(record)).catch((error: unknown) =>
        ctx.log.error({ err: String(error) }, 'notify: card update failed'),
      );
  };
  ctx.events.on('run.finished', onRun);
  ctx.events.on('run.failed', onRun);
  ctx.events.on('restore.updated', onRestore);

  /** Waits until event-driven work started so far (and any it started) has finished. */
  async function drain(): Promise<void> {
    while (inFlight.size) await Promise.allSettled([...inFlight]);
  }

  const pollMs = (options.pollSeconds ?? ctx.config.NOTIFY_POLL_SECONDS) * 1000;
  let running: Promise<void> | undefined;
  const timer =
    pollMs > 0
      ? setInterval(() => {
          running ??= tick()
            .catch((error: unknown) => ctx.log.error({ err: String(error) }, 'notify: poll failed'))
            .finally(() => {
              running = undefined;
            });
        }, pollMs)
      : undefined;
  timer?.unref();

  return {
    async tick() {
      await track(tick());
      await drain();
    },
    notifyRun: (run) => track(notifyRun(run)),
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      for (const t of pendingCardTimers.values()) clearTimeout(t);
      ctx.events.off('run.finished', onRun);
      ctx.events.off('run.failed', onRun);
      ctx.events.off('restore.updated', onRestore);
      await Promise.allSettled([...inFlight, running]);
    },
  };
}
