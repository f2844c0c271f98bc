// `settings`: the tenant's backup scope, alert mode, alert channel and approval policy, editable
// on the card (the tab has the rest: schedule, retention, consent, admins). Saved with
// compare-and-swap, audited.
import { z } from 'zod';
import { clearTenantAdminCache } from '../../src/auth/tenant-admin.ts';
import { isObjectType, OBJECT_TYPES, type ObjectType } from '../../src/domain.ts';
import { ensureTenant, scopedTypes } from '../../src/settings/tenant-settings.ts';
import { StoreConflictError, type TenantSettings } from '../../src/store/store.ts';
import { type BotEnv, formatTime } from '../bot-env.ts';
import { renderCardWithin } from '../cards/render-card.ts';
import { conversationRefFrom } from '../install-handler.ts';

export function settingsCard(env: BotEnv, settings: TenantSettings, notice = ''): Record<string, unknown> {
  const channel = settings.alerts.channelConversationId
    ? settings.conversations[settings.alerts.channelConversationId]
    : undefined;
  const consent = settings.consent.backupApp;
  const card = renderCardWithin('settings', {
    tenantId: settings.tenantId,
    scope: scopedTypes(settings).join(', ') || 'nothing',
    scopeValue: scopedTypes(settings).join(','),
    scopeChoices: OBJECT_TYPES.map((t) => ({ title: t, value: t })),
    schedule: settings.schedule.paused
      ? 'paused'
      : `every ${settings.schedule.incrementalMinutes} min; full: ${settings.schedule.fullCron} (UTC)`,
    retention: `${settings.retentionDays} days`,
    consent: `${consent.state}${consent.at ? ` (${formatTime(consent.at)})` : ''}`,
    admins: `${settings.admins.groupId ? `group ${settings.admins.groupId}; ` : ''}${settings.admins.roleTemplateIds.length} directory role(s)`,
    channel: channel
      ? `${channel.conversationType} ${channel.conversationId.slice(0, 40)}`
      : 'none yet (install the app in a team)',
    alertMode: settings.alerts.mode,
    reminderMinutes: settings.alerts.reminderMinutes,
    approversNeeded: settings.approval.approversNeeded,
    expiryHours: settings.approval.expiryHours,
    settingsUrl: env.links.settingsUrl,
  });
  return withNotice(card, notice);
}

function withNotice(card: Record<string, unknown>, notice: string): Record<string, unknown> {
  if (!notice) return card;
  const body = Array.isArray(card.body) ? card.body : [];
  return {
    ...card,
    body: [{ type: 'TextBlock', text: notice, wrap: true, color: 'Good', weight: 'Bolder' }, ...body],
  };
}

export async function settingsShow(env: BotEnv): Promise<Record<string, unknown>> {
  return settingsCard(env, await ensureTenant(env.ctx.store, env.principal.tenantId, env.ctx.now()));
}

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const settingsInput = z.object({
  alertMode: z.enum(['failures', 'every-run', 'daily-digest']),
  reminderMinutes: int(15, 10080),
  approversNeeded: int(1, 5),
  expiryHours: int(1, 720),
  useThisChannel: z.enum(['true', 'false']).optional(),
  // A multi-select sends its choices comma-separated; absent = leave the scope as it is.
  scope: z.string().max(2000).optional(),
});

/** The types chosen on the card, or why the choice is refused. */
function scopeFrom(text: string): { ok: true; types: ObjectType[] } | { ok: false; why: string } {
  const words = text
    .split(',')
    .map((w) => w.trim())
    .filter(Boolean);
  const unknown = words.filter((w) => !isObjectType(w));
  if (unknown.length) return { ok: false, why: `scope: "${unknown[0].slice(0, 40)}" is not an object type` };
  if (!words.length) return { ok: false, why: 'scope: choose at least one object type to back up' };
  return { ok: true, types: words as ObjectType[] };
}

export async function settingsSave(
  env: BotEnv,
  data: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const parsed = settingsInput.safeParse(data);
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    return settingsCard(
      env,
      await ensureTenant(env.ctx.store, env.principal.tenantId, env.ctx.now()),
      `Not saved — ${why}`,
    );
  }
  const input = parsed.data;
  const scope = input.scope === undefined ? undefined : scopeFrom(input.scope);
  if (scope && !scope.ok) {
    return settingsCard(
      env,
      await ensureTenant(env.ctx.store, env.principal.tenantId, env.ctx.now()),
      `Not saved — ${scope.why}`,
    );
  }
  for (let attempt = 0; attempt < 3; attempt++) {
    const current = await ensureTenant(env.ctx.store, env.principal.tenantId, env.ctx.now());
    const next: TenantSettings = {
      ...current,
      alerts: { ...current.alerts, mode: input.alertMode, reminderMinutes: input.reminderMinutes },
      approval: { approversNeeded: input.approversNeeded, expiryHours: input.expiryHours },
      updatedAt: env.ctx.now().toISOString(),
    };
    if (scope?.ok)
      next.scope = Object.fromEntries(OBJECT_TYPES.map((t) => [t, scope.types.includes(t)])) as Record<
        ObjectType,
        boolean
      >;
    if (input.useThisChannel === 'true') {
      const ref = conversationRefFrom(env.activity, env.ctx.now(), env.principal.objectId);
      next.conversations = { ...current.conversations, [ref.conversationId]: ref };
      next.alerts.channelConversationId = ref.conversationId;
    }
    try {
      const saved = await env.ctx.store.putSettings(next, current.etag);
      await env.ctx.store.appendAudit({
        tenantId: env.principal.tenantId,
        actor: env.principal,
        action: 'settings.changed',
        details: {
          alerts: saved.alerts.mode,
          reminderMinutes: saved.alerts.reminderMinutes,
          approval: saved.approval,
          channelChanged: input.useThisChannel === 'true',
          ...(scope?.ok ? { scope: scopedTypes(saved) } : {}),
          via: 'bot',
        },
      });
      clearTenantAdminCache(env.ctx, env.principal.tenantId);
      return settingsCard(env, saved, 'Saved.');
    } catch (error) {
      if (!(error instanceof StoreConflictError)) throw error;
    }
  }
  return settingsCard(
    env,
    await ensureTenant(env.ctx.store, env.principal.tenantId, env.ctx.now()),
    'Not saved: the settings changed meanwhile, try again.',
  );
}
