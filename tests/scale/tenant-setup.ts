// Onboarding the scale test's tenants the way an MSP does: the bot is installed in each tenant's
// team channel (an installationUpdate activity to the web role; the bot runs in its loopback
// anonymous mode, BOT_APP_ID unset, and posts to the local connector), then each tenant's alert
// mode is set to 'every-run' and its schedule to one incremental slot a day, so the workers'
// schedulers queue exactly one due run per tenant during the test.
import { randomUUID } from 'node:crypto';
import type { Store } from '../../src/store/store.ts';
import { StoreConflictError, type TenantSettings } from '../../src/store/store.ts';

/** The team channel the bot is installed in, per tenant (unique: cards are counted per channel). */
export function channelOf(tenantId: string): string {
  return `19:scale-${tenantId}@thread.tacv2`;
}

export function installActivity(tenantId: string, serviceUrl: string): Record<string, unknown> {
  const channel = channelOf(tenantId);
  const installer = randomUUID();
  return {
    id: `f:${randomUUID()}`,
    type: 'installationUpdate',
    action: 'add',
    channelId: 'msteams',
    serviceUrl,
    timestamp: new Date().toISOString(),
    locale: 'en-US',
    from: {
      id: `29:1${installer.replace(/-/g, '').slice(0, 20)}`,
      name: 'MSP admin',
      aadObjectId: installer,
    },
    recipient: { id: '28:entra-backup-scale', name: 'Entra Backup' },
    conversation: { id: channel, conversationType: 'channel', isGroup: true, tenantId },
    channelData: {
      tenant: { id: tenantId },
      team: { id: channel, name: 'IT Admins' },
      channel: { id: channel, name: 'General' },
    },
  };
}

export async function installBot(webUrl: string, tenantId: string, serviceUrl: string): Promise<void> {
  const response = await fetch(`${webUrl}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(installActivity(tenantId, serviceUrl)),
  });
  if (response.status >= 300)
    throw new Error(`install in tenant ${tenantId} answered ${response.status}: ${await response.text()}`);
}

/** Changes a tenant's settings with compare-and-swap (the web role may write them too). */
export async function updateSettings(
  store: Store,
  tenantId: string,
  change: (settings: TenantSettings) => void,
): Promise<TenantSettings> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const current = await store.getSettings(tenantId);
    if (!current) throw new Error(`tenant ${tenantId} has no settings: the web role did not onboard it`);
    const next = structuredClone(current);
    change(next);
    try {
      return await store.putSettings(next, current.etag);
    } catch (error) {
      if (!(error instanceof StoreConflictError)) throw error;
    }
  }
  throw new Error(`settings of tenant ${tenantId} kept changing`);
}

/** Every-run result cards, one incremental slot per UTC day, no full run due during the test. */
export function scaleTestPolicy(settings: TenantSettings): void {
  settings.alerts.mode = 'every-run';
  settings.schedule.incrementalMinutes = 1440;
  // A full reconciliation only on 1 January at 03:00: never due for a tenant onboarded today
  // (a cron slot before the tenant was onboarded is not due).
  settings.schedule.fullCron = '0 3 1 1 *';
}
