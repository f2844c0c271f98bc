// `status`: per object type in scope, the object count, the last good backup and the state
// (healthy / partial / failing), and when the next run is due.
import type { ObjectType } from '../../src/domain.ts';
import { ensureTenant, scopedTypes } from '../../src/settings/tenant-settings.ts';
import type { RunRecord } from '../../src/store/store.ts';
import { type BotEnv, formatTime } from '../bot-env.ts';
import type { OutboundMessage } from '../bot-types.ts';
import { cardMessage } from '../replies.ts';

type TypeState = 'healthy' | 'partial' | 'failing' | 'not yet backed up';

const FINISHED = new Set(['succeeded', 'partial', 'failed']);

export function typeState(type: ObjectType, runs: RunRecord[]): { state: TypeState; lastGood?: string } {
  const finished = runs.filter((r) => FINISHED.has(r.status) && (!r.types || r.types.includes(type)));
  const latest = finished[0];
  const good = finished.find((r) => r.status !== 'failed' && !r.errors.some((e) => e.objectType === type));
  if (!latest) return { state: 'not yet backed up' };
  const typeFailed =
    latest.errors.some((e) => e.objectType === type) ||
    (latest.status === 'failed' && !latest.errors.some((e) => e.objectType));
  const state: TypeState = typeFailed ? 'failing' : latest.status === 'partial' ? 'partial' : 'healthy';
  return { state: typeFailed && good ? 'failing' : state, lastGood: good?.finishedAt };
}

export async function statusReply(env: BotEnv): Promise<OutboundMessage> {
  const { ctx, principal } = env;
  const settings = await ensureTenant(ctx.store, principal.tenantId, ctx.now());
  const [runs, counts] = await Promise.all([
    ctx.store.listRuns(principal.tenantId, { limit: 50 }),
    ctx.store.countObjects(principal.tenantId),
  ]);
  const types = scopedTypes(settings).map((type) => {
    const { state, lastGood } = typeState(type, runs);
    const c = counts[type];
    return {
      type,
      objects: c ? `${c.live}${c.deleted ? ` (+${c.deleted} deleted)` : ''}` : '0',
      lastGood: formatTime(lastGood),
      state,
    };
  });
  const failing = types.filter((t) => t.state === 'failing').length;
  const partial = types.filter((t) => t.state === 'partial').length;
  const state = failing ? 'failing' : partial ? 'partial' : 'healthy';
  const running = runs.find((r) => r.status === 'running' || r.status === 'queued');
  const last = runs[0];
  const summary = failing
    ? `${failing} object type(s) failing to back up.`
    : partial
      ? `${partial} object type(s) backed up partially.`
      : runs.length
        ? 'All object types backed up.'
        : 'No backup has run yet.';
  const nextRun = settings.schedule.paused
    ? 'Scheduled backups are paused.'
    : running
      ? `A backup is ${running.status} now (started ${formatTime(running.startedAt ?? running.createdAt)}).`
      : `Next incremental backup around ${formatTime(
          new Date(
            (last ? new Date(last.createdAt).getTime() : ctx.now().getTime()) +
              settings.schedule.incrementalMinutes * 60_000,
          ).toISOString(),
        )}.`;
  return cardMessage(
    'status',
    {
      tenantId: principal.tenantId,
      summary,
      state,
      types,
      nextRun,
      dashboardUrl: env.links.dashboardUrl,
      footer: '',
    },
    ['types'],
    'Backup status',
  );
}
