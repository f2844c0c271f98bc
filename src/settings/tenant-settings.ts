// Tenant settings: defaults for a newly onboarded tenant, and the one place that creates them.
import { OBJECT_TYPES, type ObjectType } from '../domain.ts';
import type { Store, TenantSettings } from '../store/store.ts';

/** Global Administrator and Privileged Role Administrator: admins until the tenant sets its own. */
export const DEFAULT_ADMIN_ROLE_TEMPLATE_IDS = [
  '62e90394-69f5-4237-9190-012177145e10',
  'e8611ab8-c189-46e8-94e1-60213ab1f814',
];

export function defaultSettings(tenantId: string, now: Date): TenantSettings {
  const scope = Object.fromEntries(OBJECT_TYPES.map((t) => [t, true])) as Record<ObjectType, boolean>;
  const at = now.toISOString();
  return {
    tenantId,
    scope,
    schedule: { incrementalMinutes: 15, fullCron: '0 2 * * *', paused: false },
    retentionDays: 365,
    consent: { backupApp: { state: 'unknown' }, restoreApp: { state: 'unknown' } },
    alerts: { mode: 'failures', reminderMinutes: 240 },
    approval: { approversNeeded: 1, expiryHours: 24 },
    admins: { roleTemplateIds: [...DEFAULT_ADMIN_ROLE_TEMPLATE_IDS] },
    conversations: {},
    createdAt: at,
    updatedAt: at,
  };
}

/** Returns the tenant's settings, creating the defaults on first sight. */
export async function ensureTenant(store: Store, tenantId: string, now: Date): Promise<TenantSettings> {
  const existing = await store.getSettings(tenantId);
  if (existing) return existing;
  return store.putSettings(defaultSettings(tenantId, now));
}

/** Types the tenant backs up. */
export function scopedTypes(settings: TenantSettings): ObjectType[] {
  return OBJECT_TYPES.filter((t) => settings.scope[t]);
}
