// Installs and uninstalls (installationUpdate, conversationUpdate): the conversation reference
// is stored in the tenant's settings so proactive messages can reach it; the first team channel
// becomes the default channel for approvals and alerts; uninstall removes the reference. A
// welcome card follows an install.
import type { AppContext } from '../src/app-context.ts';
import { ensureTenant } from '../src/settings/tenant-settings.ts';
import { type ConversationRef, StoreConflictError, type TenantSettings } from '../src/store/store.ts';
import { botLinks } from './bot-env.ts';
import type { BotTurn, InboundActivity } from './bot-types.ts';
import { attachment, renderCardWithin } from './cards/render-card.ts';
import { tenantOf } from './turn-identity.ts';

/** Channel conversation ids carry `;messageid=…` for a thread; the reference keeps the channel. */
export function baseConversationId(id: string): string {
  return id.split(';messageid=')[0];
}

export function conversationRefFrom(
  activity: InboundActivity,
  now: Date,
  installedBy?: string,
): ConversationRef {
  const conversationType =
    activity.conversation.conversationType ??
    (activity.channelData?.team?.id ? 'channel' : activity.conversation.isGroup ? 'groupChat' : 'personal');
  return {
    conversationId: baseConversationId(activity.conversation.id),
    serviceUrl: activity.serviceUrl,
    channelId: activity.channelId,
    conversationType,
    ...(activity.channelData?.team?.id ? { teamId: activity.channelData.team.id } : {}),
    ...(activity.recipient?.id ? { botId: activity.recipient.id } : {}),
    ...(installedBy ? { installedBy } : {}),
    installedAt: now.toISOString(),
  };
}

type InstallEvent = 'install' | 'uninstall' | 'none';

export function installEventOf(activity: InboundActivity): InstallEvent {
  if (activity.type === 'installationUpdate') {
    const action = String(activity.action ?? '').toLowerCase();
    if (action.startsWith('add')) return 'install';
    if (action.startsWith('remove')) return 'uninstall';
    return 'none';
  }
  if (activity.type === 'conversationUpdate') {
    const botId = activity.recipient?.id;
    if (activity.channelData?.eventType === 'teamDeleted') return 'uninstall';
    if (activity.membersAdded?.some((m) => m.id === botId)) return 'install';
    if (activity.membersRemoved?.some((m) => m.id === botId)) return 'uninstall';
  }
  return 'none';
}

async function updateSettings(
  ctx: AppContext,
  tenantId: string,
  change: (s: TenantSettings) => TenantSettings | undefined,
): Promise<TenantSettings | undefined> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await ensureTenant(ctx.store, tenantId, ctx.now());
    const next = change(structuredClone(current));
    if (!next) return current;
    try {
      return await ctx.store.putSettings({ ...next, updatedAt: ctx.now().toISOString() }, current.etag);
    } catch (error) {
      if (!(error instanceof StoreConflictError)) throw error;
    }
  }
  throw new Error('settings kept changing while storing the conversation reference');
}

export async function handleInstallActivity(ctx: AppContext, turn: BotTurn): Promise<void> {
  const activity = turn.activity;
  const event = installEventOf(activity);
  if (event === 'none') return;
  const tenantId = tenantOf(activity);
  if (!tenantId) {
    ctx.log.warn({ type: activity.type }, 'bot: install activity without a valid tenant ignored');
    return;
  }
  const actor = {
    tenantId,
    objectId: activity.from?.aadObjectId ?? 'unknown',
    kind: 'user' as const,
    ...(activity.from?.name ? { displayName: activity.from.name.slice(0, 200) } : {}),
  };
  const ref = conversationRefFrom(activity, ctx.now(), activity.from?.aadObjectId);
  if (event === 'uninstall') {
    await updateSettings(ctx, tenantId, (s) => {
      const ids = Object.keys(s.conversations).filter(
        (id) => id === ref.conversationId || (ref.teamId && s.conversations[id].teamId === ref.teamId),
      );
      if (!ids.length) return undefined;
      for (const id of ids) delete s.conversations[id];
      if (s.alerts.channelConversationId && ids.includes(s.alerts.channelConversationId)) {
        s.alerts.channelConversationId = Object.values(s.conversations).find(
          (c) => c.conversationType === 'channel',
        )?.conversationId;
      }
      return s;
    });
    await ctx.store.appendAudit({
      tenantId,
      actor,
      action: 'bot.uninstalled',
      target: ref.conversationId,
      details: { conversationType: ref.conversationType },
    });
    return;
  }
  // Teams sends both installationUpdate and conversationUpdate for one install: welcome once.
  const known = (await ctx.store.getSettings(tenantId))?.conversations[ref.conversationId];
  const settings = await updateSettings(ctx, tenantId, (s) => {
    s.conversations[ref.conversationId] = { ...s.conversations[ref.conversationId], ...ref };
    const current = s.alerts.channelConversationId
      ? s.conversations[s.alerts.channelConversationId]
      : undefined;
    if (!current || (ref.conversationType === 'channel' && current.conversationType !== 'channel')) {
      s.alerts.channelConversationId = ref.conversationId;
    }
    return s;
  });
  if (known) return;
  await ctx.store.appendAudit({
    tenantId,
    actor,
    action: 'bot.installed',
    target: ref.conversationId,
    details: { conversationType: ref.conversationType },
  });
  if (settings)
    await turn.send({
      attachments: [attachment(welcomeCard(ctx, settings, ref))],
      summary: 'Entra Backup is installed',
    });
}

export function welcomeCard(
  ctx: AppContext,
  settings: TenantSettings,
  ref: ConversationRef,
): Record<string, unknown> {
  const links = botLinks(ctx);
  const isAlertChannel = settings.alerts.channelConversationId === ref.conversationId;
  return renderCardWithin('welcome', {
    tenantId: settings.tenantId,
    incrementalMinutes: settings.schedule.incrementalMinutes,
    channelNote: isAlertChannel
      ? 'Restore approvals and backup alerts will be posted here (change it with "settings").'
      : 'Type "help" to see what I can do.',
    consentState:
      settings.consent.backupApp.state === 'granted' ? 'granted' : 'not granted yet — an admin must grant it',
    consentUrl: links.settingsUrl,
    dashboardUrl: links.dashboardUrl,
  });
}
