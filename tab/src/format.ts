// Display helpers: dates, durations, counts and object type names as admins read them.
import type { ObjectType } from './api/types.ts';

export const TYPE_LABELS: Record<ObjectType, { one: string; many: string }> = {
  user: { one: 'User', many: 'Users' },
  group: { one: 'Group', many: 'Groups' },
  directoryRole: { one: 'Directory role', many: 'Directory roles' },
  roleDefinition: { one: 'Role definition', many: 'Role definitions' },
  roleAssignment: { one: 'Role assignment', many: 'Role assignments' },
  application: { one: 'Application', many: 'Applications' },
  servicePrincipal: { one: 'Enterprise app', many: 'Enterprise apps' },
  device: { one: 'Device', many: 'Devices' },
  administrativeUnit: { one: 'Administrative unit', many: 'Administrative units' },
  signIn: { one: 'Sign-in', many: 'Sign-in logs' },
  conditionalAccessPolicy: { one: 'Conditional Access policy', many: 'Conditional Access' },
  authenticationMethods: { one: 'Authentication methods', many: 'Authentication methods' },
};

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const number = new Intl.NumberFormat();
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

export function formatDateTime(iso: string | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateTime.format(d);
}

export function formatDay(isoDate: string): string {
  return dateOnly.format(new Date(`${isoDate}T12:00:00Z`));
}

export function formatNumber(n: number | undefined): string {
  return n === undefined ? '—' : number.format(n);
}

export function timeAgo(iso: string | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const seconds = Math.round((Date.parse(iso) - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 60) return relative.format(seconds, 'second');
  if (abs < 3600) return relative.format(Math.round(seconds / 60), 'minute');
  if (abs < 86400) return relative.format(Math.round(seconds / 3600), 'hour');
  return relative.format(Math.round(seconds / 86400), 'day');
}

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return '—';
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== 'object')) return value.join(', ');
    return value.map((v) => formatValue(v)).join('\n');
  }
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0))
      .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
      .join(' · ');
  }
  return String(value);
}

export function formatBytes(n: number | undefined): string {
  if (n === undefined) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

// What each restore step does, in words: the table the bot's cards use too.
export { STEP_LABELS, stepLabel } from '../../src/restore/step-labels.ts';

const OPTION_LABELS: Record<string, string> = {
  withObject: 'with object',
  withMemberships: 'with memberships',
  withOwners: 'with owners',
  withRoleAssignments: 'with role assignments',
  withAuthMethods: 'authentication methods report',
  blockSignIn: 'block sign-in',
};

export function describeOptions(options: Record<string, unknown> | undefined): string {
  const on = Object.entries(options ?? {})
    .filter(([, v]) => v === true)
    .map(([k]) => OPTION_LABELS[k] ?? k);
  const asNew = options?.asNew as { displayName?: string } | undefined;
  if (asNew?.displayName) on.push(`as new: ${asNew.displayName}`);
  if (typeof options?.targetTenantId === 'string') {
    // A cross-tenant restore says where it writes and how domains map: approvers must see it.
    const map = Object.entries((options.domainMap as Record<string, string> | undefined) ?? {});
    on.push(
      `into tenant ${options.targetTenantId}${map.length ? ` (${map.map(([f, t]) => `${f} → ${t}`).join(', ')})` : ''}`,
    );
  }
  return on.join(', ') || 'defaults';
}
