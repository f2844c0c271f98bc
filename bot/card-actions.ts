// Universal Actions (`adaptiveCard/action` invokes with Action.Execute). The card's data only
// says *what* was clicked; who clicked and for which tenant come from the validated activity.
// Every answer is a card (the clicker's new view) or a clear error, within Teams' 5 s limit:
// slow work (planning through Graph) answers "still working" and posts its result when done.
import { z } from 'zod';
import {
  ApprovalError,
  assertTargetTenantAllowed,
  type Decision,
  decideRestore,
  requestRestore,
} from '../src/approvals/approval-service.ts';
import { requestUndo } from '../src/approvals/undo-request.ts';
import { isTenantAdmin } from '../src/auth/tenant-admin.ts';
import { isObjectType, type ObjectType } from '../src/domain.ts';
import { planRestore } from '../src/restore/planner.ts';
import { ensureTenant } from '../src/settings/tenant-settings.ts';
import { type RestoreRecord, StoreConflictError } from '../src/store/store.ts';
import { type ApprovalView, approvalCard, MAX_REFRESH_USERS } from './approval-card.ts';
import type { BotEnv } from './bot-env.ts';
import type { ConversationAddress, InvokeResult } from './bot-types.ts';
import { attachment } from './cards/render-card.ts';
import { queueBackup } from './commands/backup-command.ts';
import { changesCard } from './commands/changes-command.ts';
import { findCard } from './commands/find-command.ts';
import { historyCard } from './commands/history-command.ts';
import { requestFromCardData, restoreCard } from './commands/restore-command.ts';
import { settingsSave, settingsShow } from './commands/settings-command.ts';
import { baseConversationId } from './install-handler.ts';
import { NOT_ADMIN_TEXT, NOT_ADMIN_TITLE, noticeCard } from './replies.ts';

/** Answer within Teams' 5 s invoke limit, leaving room for the network. */
export const INVOKE_DEADLINE_MS = 4000;

const invokeValueSchema = z.object({
  action: z.object({
    type: z.literal('Action.Execute'),
    verb: z.string().min(1).max(64),
    data: z.record(z.string(), z.unknown()).optional(),
  }),
  trigger: z.enum(['manual', 'automatic']).optional(),
});

export function cardResponse(card: Record<string, unknown>): InvokeResult {
  return {
    status: 200,
    body: { statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: card },
  };
}

export function errorResponse(statusCode: number, code: string, message: string): InvokeResult {
  return {
    status: 200,
    body: { statusCode, type: 'application/vnd.microsoft.error', value: { code, message } },
  };
}

const str = (v: unknown, max = 200) => (typeof v === 'string' && v.length <= max ? v : undefined);

export async function handleCardAction(env: BotEnv, value: unknown): Promise<InvokeResult> {
  // The 5 s budget starts at the click: the admin check below (up to 3 s when Graph is slow)
  // is spent from it, not added to it.
  const deadline = Date.now() + INVOKE_DEADLINE_MS;
  const parsed = invokeValueSchema.safeParse(value);
  if (!parsed.success) return errorResponse(400, 'BadRequest', 'This card action is not one I understand.');
  const { verb } = parsed.data.action;
  const data = parsed.data.action.data ?? {};
  const { ctx, principal } = env;

  // Card data naming another tenant is refused, whatever it asks for.
  const claimedTenant = data.tenantId;
  if (
    claimedTenant !== undefined &&
    (typeof claimedTenant !== 'string' || claimedTenant.toLowerCase() !== principal.tenantId)
  ) {
    await ctx.store.appendAudit({
      tenantId: principal.tenantId,
      actor: principal,
      action: 'bot.card-refused',
      details: { verb, reason: 'card data names another tenant' },
    });
    return cardResponse(
      noticeCard('Not allowed', 'This card belongs to another tenant; nothing was changed.', '', 'error'),
    );
  }

  const admin = await isTenantAdmin(ctx, principal.tenantId, principal.objectId);
  if (verb === 'approval.refresh' || verb === 'approval.show') {
    const restoreId = str(data.restoreId ?? data.objectId, 100);
    if (!restoreId) return errorResponse(400, 'BadRequest', 'The card does not name a restore request.');
    const record = await ctx.store.getRestore(principal.tenantId, restoreId);
    if (!record)
      return cardResponse(noticeCard('Not found', 'This restore request no longer exists.', '', 'warning'));
    return cardResponse(viewFor(env, record, admin));
  }
  if (verb === 'approval.approve' || verb === 'approval.reject' || verb === 'approval.cancel') {
    return decide(env, verb.slice('approval.'.length) as Decision, data, admin, deadline);
  }
  if (!admin) {
    await ctx.store.appendAudit({
      tenantId: principal.tenantId,
      actor: principal,
      action: 'bot.refused',
      details: { verb, reason: 'not-admin' },
    });
    return cardResponse(noticeCard(NOT_ADMIN_TITLE, NOT_ADMIN_TEXT, '', 'warning'));
  }
  await ctx.store.appendAudit({
    tenantId: principal.tenantId,
    actor: principal,
    action: 'bot.card-action',
    details: { verb },
  });
  switch (verb) {
    case 'history.open':
    case 'restore.open': {
      const object = await objectFrom(env, data);
      if (!object)
        return cardResponse(noticeCard('Not found', 'That object is not in the backup.', '', 'warning'));
      return cardResponse(
        verb === 'history.open' ? await historyCard(env, object) : await restoreCard(env, object),
      );
    }
    case 'restore.preview':
      return withDeadline(env, deadline, () => preview(env, data));
    case 'restore.request':
      return withDeadline(env, deadline, () => request(env, data));
    case 'restore.undo': {
      const restoreId = str(data.restoreId, 100);
      if (!restoreId) return errorResponse(400, 'BadRequest', 'The card does not name a restore to undo.');
      return withDeadline(env, deadline, () => undo(env, restoreId, admin));
    }
    case 'find.more': {
      const query = str(data.query);
      if (!query) return errorResponse(400, 'BadRequest', 'The card does not say what to find.');
      return cardResponse(await findCard(env, query, str(data.page, 4000)));
    }
    case 'changes.more': {
      const [ms, text] = String(data.query ?? '').split('|');
      const sinceMs = Number(ms);
      if (!Number.isFinite(sinceMs) || sinceMs <= 0 || sinceMs > 366 * 86_400_000 || !text) {
        return errorResponse(400, 'BadRequest', 'The card does not say which period.');
      }
      return cardResponse(await changesCard(env, sinceMs, text.slice(0, 10), str(data.page, 4000)));
    }
    case 'backup.now':
    case 'backup.retry': {
      const raw = Array.isArray(data.types)
        ? data.types
        : typeof data.types === 'string' && data.types
          ? data.types.split(',')
          : [];
      const types = raw.map(String).filter(isObjectType) as ObjectType[];
      const { run, existing } = await queueBackup(env, types.length ? types : undefined);
      return cardResponse(
        noticeCard(
          existing ? 'Backup already queued' : 'Backup queued',
          existing
            ? `A backup is already ${run.status}.`
            : 'The backup starts within a minute. Type "status" to follow it.',
          `Run ${run.runId}`,
        ),
      );
    }
    case 'settings.show':
      return cardResponse(await settingsShow(env));
    case 'settings.save':
      return cardResponse(await settingsSave(env, data));
    default:
      return errorResponse(400, 'BadRequest', `Unknown action "${verb.slice(0, 64)}".`);
  }
}

async function objectFrom(env: BotEnv, data: Record<string, unknown>) {
  const objectType = str(data.objectType, 40);
  const objectId = str(data.objectId, 200);
  if (!objectType || !objectId || !isObjectType(objectType)) return undefined;
  return env.ctx.store.getObject(env.principal.tenantId, objectType, objectId);
}

async function preview(env: BotEnv, data: Record<string, unknown>): Promise<Record<string, unknown>> {
  const object = await objectFrom(env, data);
  if (!object) return noticeCard('Not found', 'That object is not in the backup.', '', 'warning');
  const built = requestFromCardData(data, object.objectType, object.objectId, env.ctx.now().toISOString());
  const versionId = str(data.versionId, 300);
  if (!built.ok) return restoreCard(env, object, { versionId, previewError: built.message });
  try {
    // A cross-tenant plan reads the target tenant: only for its admins, as a request would be.
    await assertTargetTenantAllowed(env.ctx, env.principal, built.request.options, 'restore.preview-refused');
  } catch (error) {
    if (error instanceof ApprovalError)
      return restoreCard(env, object, { versionId, previewError: error.message });
    throw error;
  }
  try {
    const plan = await planRestore(env.ctx, { ...built.request, tenantId: env.principal.tenantId });
    await env.ctx.store.appendAudit({
      tenantId: env.principal.tenantId,
      actor: env.principal,
      action: 'restore.previewed',
      target: object.objectId,
      details: { steps: plan.steps.length },
    });
    return restoreCard(env, object, { versionId, preview: plan });
  } catch (error) {
    return restoreCard(env, object, {
      versionId,
      previewError: `Preview failed: ${error instanceof Error ? error.message : String(error)}`,
    });
  }
}

async function request(env: BotEnv, data: Record<string, unknown>): Promise<Record<string, unknown>> {
  const { ctx, principal, activity } = env;
  const object = await objectFrom(env, data);
  if (!object) return noticeCard('Not found', 'That object is not in the backup.', '', 'warning');
  const versionId = str(data.versionId, 300);
  const version = versionId
    ? await ctx.store.getVersion(principal.tenantId, object.objectId, versionId)
    : undefined;
  if (versionId && !version)
    return restoreCard(env, object, { previewError: 'That snapshot is not in the backup.' });
  const built = requestFromCardData(
    data,
    object.objectType,
    object.objectId,
    version?.capturedAt ?? ctx.now().toISOString(),
  );
  if (!built.ok) return restoreCard(env, object, { versionId, previewError: built.message });
  let record: RestoreRecord;
  try {
    record = await requestRestore(ctx, principal, built.request as Record<string, unknown>);
  } catch (error) {
    if (error instanceof ApprovalError)
      return restoreCard(env, object, { versionId, previewError: error.message });
    throw error;
  }
  const posted = await postApprovalCard(env, record);
  return approvalCard(posted.record, 'requester', {
    dashboardUrl: env.links.restoresUrl,
    refreshUserIds: posted.record.card?.viewerIds ?? [activity.from.id],
    notice: `Request sent: another admin can approve it ${posted.where}.`,
  });
}

/**
 * Undo on a result card: a new restore request (the restore's pre-restore versions) that needs
 * approval like any other; its approval card is posted where approvals go. The clicker keeps
 * seeing the result card, with a line saying what happened. Only the restore id is read from
 * the card, and only in the clicker's own tenant.
 */
async function undo(env: BotEnv, restoreId: string, admin: boolean): Promise<Record<string, unknown>> {
  const { ctx, principal } = env;
  let created: RestoreRecord;
  try {
    created = await requestUndo(ctx, principal, restoreId);
  } catch (error) {
    if (!(error instanceof ApprovalError)) throw error;
    const original =
      error.code === 'not-found' ? undefined : await ctx.store.getRestore(principal.tenantId, restoreId);
    return original
      ? viewFor(env, original, admin, error.message)
      : noticeCard('Not possible', error.message, '', 'warning');
  }
  const posted = await postApprovalCard(env, created);
  const notice = `Undo requested (request ${created.restoreId}): another admin can approve it ${posted.where}.`;
  const original = await ctx.store.getRestore(principal.tenantId, restoreId);
  return original
    ? viewFor(env, original, admin, notice)
    : approvalCard(posted.record, 'requester', { dashboardUrl: env.links.restoresUrl, notice });
}

/**
 * Posts a new request's approval card where approvals go (the tenant's channel, else the
 * clicker's conversation) and remembers where, so later updates replace it in place.
 */
async function postApprovalCard(
  env: BotEnv,
  created: RestoreRecord,
): Promise<{ record: RestoreRecord; where: string }> {
  const { ctx, principal, activity } = env;
  let record = created;
  const settings = await ensureTenant(ctx.store, principal.tenantId, ctx.now());
  const channel = settings.alerts.channelConversationId
    ? settings.conversations[settings.alerts.channelConversationId]
    : undefined;
  const address: ConversationAddress = channel
    ? { serviceUrl: channel.serviceUrl, conversationId: channel.conversationId, tenantId: principal.tenantId }
    : {
        serviceUrl: activity.serviceUrl,
        conversationId: baseConversationId(activity.conversation.id),
        tenantId: principal.tenantId,
      };
  const viewerIds = [activity.from.id];
  const base = approvalCard(record, 'base', {
    dashboardUrl: env.links.restoresUrl,
    refreshUserIds: viewerIds,
  });
  let where =
    channel && channel.conversationId !== baseConversationId(activity.conversation.id)
      ? 'in the approvals channel'
      : 'here';
  try {
    const activityId = await env.connector.send(address, {
      attachments: [attachment(base)],
      summary: 'Restore request waiting for approval',
    });
    record = await saveCard(env, record, {
      conversationId: address.conversationId,
      activityId,
      serviceUrl: address.serviceUrl,
      viewerIds,
    });
  } catch (error) {
    ctx.log.error(
      { err: error instanceof Error ? error.message : String(error), restoreId: record.restoreId },
      'bot: approval card could not be posted',
    );
    where = 'in the dashboard (the channel could not be reached)';
  }
  return { record, where };
}

async function saveCard(
  env: BotEnv,
  record: RestoreRecord,
  card: NonNullable<RestoreRecord['card']>,
): Promise<RestoreRecord> {
  let current: RestoreRecord | undefined = record;
  for (let attempt = 0; attempt < 5 && current; attempt++) {
    try {
      return await env.ctx.store.putRestore({ ...current, card }, current.etag);
    } catch (error) {
      if (!(error instanceof StoreConflictError)) throw error;
      current = await env.ctx.store.getRestore(record.tenantId, record.restoreId);
    }
  }
  return current ?? record;
}

/** Adds the clicker to the card's auto-refresh list (≤ 60), so later updates show their view. */
async function rememberViewer(env: BotEnv, record: RestoreRecord): Promise<RestoreRecord> {
  const card = record.card;
  const mri = env.activity.from.id;
  if (!card || !mri || card.viewerIds?.includes(mri) || (card.viewerIds?.length ?? 0) >= MAX_REFRESH_USERS)
    return record;
  return saveCard(env, record, { ...card, viewerIds: [...(card.viewerIds ?? []), mri] });
}

export function viewOf(env: BotEnv, record: RestoreRecord, admin: boolean): ApprovalView {
  if (record.requestedBy.objectId.toLowerCase() === env.principal.objectId) return 'requester';
  return admin ? 'approver' : 'readonly';
}

function viewFor(
  env: BotEnv,
  record: RestoreRecord,
  admin: boolean,
  notice?: string,
): Record<string, unknown> {
  return approvalCard(record, viewOf(env, record, admin), {
    dashboardUrl: env.links.restoresUrl,
    refreshUserIds: record.card?.viewerIds,
    notice,
  });
}

async function decide(
  env: BotEnv,
  decision: Decision,
  data: Record<string, unknown>,
  admin: boolean,
  deadline: number,
): Promise<InvokeResult> {
  const restoreId = str(data.restoreId, 100);
  if (!restoreId) return errorResponse(400, 'BadRequest', 'The card does not name a restore request.');
  // The clicker joins the card's auto-refresh list first, so the update after the decision
  // (here, and the notifier's) already gives them their own view. Data of another tenant was
  // refused before this point; the record is read in the clicker's tenant only.
  const stored = admin ? await env.ctx.store.getRestore(env.principal.tenantId, restoreId) : undefined;
  if (stored) await rememberViewer(env, stored);
  let result: Awaited<ReturnType<typeof decideRestore>>;
  try {
    result = await decideRestore(env.ctx, env.principal, env.principal.tenantId, restoreId, decision);
  } catch (error) {
    if (error instanceof ApprovalError)
      return cardResponse(noticeCard('Not possible', error.message, '', 'warning'));
    throw error;
  }
  // Everyone's card is updated before the clicker's answer when the connector is quick; a slow
  // connector finishes it in the background rather than hold the answer past Teams' limit.
  if (result.outcome === 'applied') await settleBy(updatePostedCard(env, result.record), deadline);
  return cardResponse(viewFor(env, result.record, admin, result.message));
}

/** Replaces the posted approval card so every viewer's card refreshes. */
export async function updatePostedCard(
  env: Pick<BotEnv, 'ctx' | 'connector' | 'links'>,
  record: RestoreRecord,
): Promise<void> {
  if (!record.card) return;
  const base = approvalCard(record, 'base', {
    dashboardUrl: env.links.restoresUrl,
    refreshUserIds: record.card.viewerIds,
  });
  try {
    await env.connector.update(
      {
        serviceUrl: record.card.serviceUrl,
        conversationId: record.card.conversationId,
        tenantId: record.tenantId,
      },
      record.card.activityId,
      { attachments: [attachment(base)], summary: `Restore request ${record.status}` },
    );
  } catch (error) {
    env.ctx.log.warn(
      { err: error instanceof Error ? error.message : String(error), restoreId: record.restoreId },
      'bot: approval card update failed',
    );
  }
}

/** Runs slow work; past the deadline answers "still working" and posts the card when ready. */
async function withDeadline(
  env: BotEnv,
  deadline: number,
  work: () => Promise<Record<string, unknown>>,
): Promise<InvokeResult> {
  const pending = work();
  const first = await settleBy(pending, deadline);
  if (first !== 'late') return cardResponse(first);
  const address: ConversationAddress = {
    serviceUrl: env.activity.serviceUrl,
    conversationId: baseConversationId(env.activity.conversation.id),
    tenantId: env.principal.tenantId,
  };
  pending
    .then((card) => env.connector.send(address, { attachments: [attachment(card)] }))
    .catch((error: unknown) =>
      env.ctx.log.error(
        { err: error instanceof Error ? error.message : String(error) },
        'bot: late card action failed',
      ),
    );
  return cardResponse(
    noticeCard(
      'Still working…',
      'Microsoft Graph is slow to answer; I will post the result in this conversation.',
    ),
  );
}

/** The promise's value, or 'late' once `deadline` (epoch ms) has passed; the work goes on. */
async function settleBy<T>(work: Promise<T>, deadline: number): Promise<T | 'late'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
