// Tenant settings (read for everyone, change for admins, every change audited) and the start of
// the admin-consent flow: a signed, short-lived state names the tenant and the admin.
import { Cron } from 'croner';
import { clearTenantAdminCache } from '../../auth/tenant-admin.ts';
import type { RestifyServer } from '../../server/http-server.ts';
import { ensureTenant } from '../../settings/tenant-settings.ts';
import type { TenantSettings } from '../../store/store.ts';
import type { StateSigner } from '../auth/signed-state.ts';
import type { TabAuthSettings } from '../auth/tab-auth-settings.ts';
import { type ApiDeps, apiRoute, HttpError, parseBody } from '../http-helpers.ts';
import { CONSENT_CALLBACK_PATH, CONSENT_PURPOSE, publicBaseUrl } from '../public-url.ts';
import { consentStartBody, type SettingsPatch, settingsPatch } from '../schemas.ts';

export function mountSettingsRoutes(
  server: RestifyServer,
  deps: ApiDeps,
  getAuth: () => TabAuthSettings,
  states: StateSigner,
): void {
  const { ctx } = deps;

  server.get(
    '/api/tab/settings',
    apiRoute(deps, async (_req, caller) => {
      const settings = await ensureTenant(ctx.store, caller.principal.tenantId, ctx.now());
      return settingsView(settings, getAuth(), caller.isAdmin);
    }),
  );

  server.patch(
    '/api/tab/settings',
    apiRoute(
      deps,
      async (req, caller) => {
        const patch = parseBody(settingsPatch, req);
        const tenantId = caller.principal.tenantId;
        const current = await ensureTenant(ctx.store, tenantId, ctx.now());
        const next = applyPatch(current, patch, ctx.now());
        const saved = await ctx.store.putSettings(next, current.etag);
        if (patch.admins) clearTenantAdminCache(ctx, tenantId);
        await ctx.store.appendAudit({
          tenantId,
          actor: caller.principal,
          action: 'settings.changed',
          target: 'settings',
          details: { changed: patch },
        });
        return settingsView(saved, getAuth(), caller.isAdmin);
      },
      { write: true },
    ),
  );

  server.post(
    '/api/tab/consent/start',
    apiRoute(
      deps,
      async (req, caller) => {
        const { app } = parseBody(consentStartBody, req);
        const auth = getAuth();
        const clientId = app === 'backup' ? auth.backupClientId : auth.restoreClientId;
        if (!clientId)
          throw new HttpError(409, 'not_configured', `No ${app} app is configured on this server`);
        const state = states.sign(CONSENT_PURPOSE, {
          t: caller.principal.tenantId,
          a: app,
          o: caller.principal.objectId,
          d: caller.principal.displayName,
        });
        const redirectUri = `${publicBaseUrl(ctx, req)}${CONSENT_CALLBACK_PATH}`;
        return { url: auth.adminConsentUrl(caller.principal.tenantId, clientId, state, redirectUri) };
      },
      { write: true },
    ),
  );
}

export function settingsView(settings: TenantSettings, auth: TabAuthSettings, isAdmin: boolean) {
  return {
    tenantId: settings.tenantId,
    displayName: settings.displayName,
    scope: settings.scope,
    schedule: settings.schedule,
    retentionDays: settings.retentionDays,
    consent: settings.consent,
    alerts: settings.alerts,
    approval: settings.approval,
    admins: settings.admins,
    channels: Object.values(settings.conversations).map((c) => ({
      conversationId: c.conversationId,
      conversationType: c.conversationType,
      teamId: c.teamId,
      installedAt: c.installedAt,
    })),
    apps: {
      backupConfigured: Boolean(auth.backupClientId),
      restoreConfigured: Boolean(auth.restoreClientId),
    },
    updatedAt: settings.updatedAt,
    canEdit: isAdmin,
  };
}

function applyPatch(current: TenantSettings, patch: SettingsPatch, now: Date): TenantSettings {
  const next = structuredClone(current);
  if (patch.displayName !== undefined) next.displayName = patch.displayName || undefined;
  if (patch.scope) Object.assign(next.scope, patch.scope);
  if (patch.schedule) Object.assign(next.schedule, patch.schedule);
  if (patch.retentionDays !== undefined) next.retentionDays = patch.retentionDays;
  if (patch.alerts) {
    const { channelConversationId, ...rest } = patch.alerts;
    Object.assign(next.alerts, rest);
    if (channelConversationId === null) next.alerts.channelConversationId = undefined;
    else if (channelConversationId !== undefined) {
      if (!next.conversations[channelConversationId]) {
        throw new HttpError(
          400,
          'invalid_request',
          'alerts.channelConversationId: not a conversation the app is installed in',
        );
      }
      next.alerts.channelConversationId = channelConversationId;
    }
  }
  if (patch.approval) Object.assign(next.approval, patch.approval);
  if (patch.admins) {
    if (patch.admins.groupId !== undefined) next.admins.groupId = patch.admins.groupId ?? undefined;
    if (patch.admins.roleTemplateIds)
      next.admins.roleTemplateIds = [...new Set(patch.admins.roleTemplateIds)];
    if (!next.admins.groupId && next.admins.roleTemplateIds.length === 0) {
      throw new HttpError(
        400,
        'invalid_request',
        'admins: set an admin group or at least one role, or nobody could manage the app',
      );
    }
  }
  try {
    if (patch.schedule?.fullCron) validateCron(patch.schedule.fullCron);
  } catch (error) {
    throw new HttpError(
      400,
      'invalid_request',
      `schedule.fullCron: ${error instanceof Error ? error.message : error}`,
    );
  }
  next.updatedAt = now.toISOString();
  return next;
}

function validateCron(expression: string): void {
  new Cron(expression, { paused: true, timezone: 'UTC' }).stop();
}
