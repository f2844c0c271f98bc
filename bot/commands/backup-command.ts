// `backup now [type]` and the Retry now / Backup now buttons: queue a manual run for the worker.
import { randomUUID } from 'node:crypto';
import type { ObjectType } from '../../src/domain.ts';
import type { RunRecord } from '../../src/store/store.ts';
import type { BotEnv } from '../bot-env.ts';
import type { OutboundMessage } from '../bot-types.ts';
import { notice } from '../replies.ts';

export async function queueBackup(
  env: BotEnv,
  types?: ObjectType[],
): Promise<{ run: RunRecord; existing: boolean }> {
  const { ctx, principal } = env;
  const active = await ctx.store.listRuns(principal.tenantId, { limit: 5, status: ['queued', 'running'] });
  const same = active.find((r) => r.trigger === 'manual' && sameTypes(r.types, types));
  if (same) return { run: same, existing: true };
  const now = ctx.now().toISOString();
  const run = await ctx.store.createRun({
    tenantId: principal.tenantId,
    runId: randomUUID(),
    kind: 'incremental',
    status: 'queued',
    trigger: 'manual',
    requestedBy: principal,
    ...(types?.length ? { types } : {}),
    createdAt: now,
    dueAt: now,
    checkpoint: {},
    counts: {},
    graphRequests: 0,
    throttled: 0,
    errors: [],
  });
  await ctx.store.appendAudit({
    tenantId: principal.tenantId,
    actor: principal,
    action: 'backup.requested',
    target: run.runId,
    details: { types: types ?? 'scope', via: 'bot' },
  });
  return { run, existing: false };
}

function sameTypes(a?: ObjectType[], b?: ObjectType[]): boolean {
  return [...(a ?? [])].sort().join(',') === [...(b ?? [])].sort().join(',');
}

export async function backupReply(env: BotEnv, objectType?: ObjectType): Promise<OutboundMessage> {
  const { run, existing } = await queueBackup(env, objectType ? [objectType] : undefined);
  const what = objectType ? `${objectType} objects` : 'all object types in scope';
  return existing
    ? notice(
        'Backup already queued',
        `A backup of ${what} is already ${run.status}; I did not start another.`,
        `Run ${run.runId}`,
      )
    : notice(
        'Backup queued',
        `A backup of ${what} starts within a minute. Type "status" to follow it.`,
        `Run ${run.runId}`,
      );
}
