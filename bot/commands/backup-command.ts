// `backup now [type]` and the Retry now / Backup now buttons: queue a manual run for the worker.
import { requestBackup } from '../../src/backup/request-backup.ts';
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
  const before = await ctx.store.listRuns(principal.tenantId, { limit: 20, status: ['queued', 'running'] });
  const run = await requestBackup(ctx, principal.tenantId, {
    kind: 'incremental',
    trigger: 'manual',
    requestedBy: principal,
    ...(types?.length ? { types } : {}),
  });
  const existing = before.some((r) => r.runId === run.runId);
  await ctx.store.appendAudit({
    tenantId: principal.tenantId,
    actor: principal,
    action: 'backup.requested',
    target: run.runId,
    details: { types: types ?? 'scope', via: 'bot', joinedExisting: existing },
  });
  return { run, existing };
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
