// The streams a full backup reads, from what the dev tenant actually holds (object counts per
// type and relationship counts per type), following the backup's own type table
// (src/backup/type-specs.ts: delta / listing / watermark / per-object relations).
import type { StreamSize } from './lower-bounds.ts';

/** Objects per type and inline relationship entries per type, as seeded in the dev tenant. */
export interface TenantCounts {
  objects: Partial<Record<string, number>>;
  /** Relationship entries returned inline by each type's delta (members, owners…). */
  deltaLinks: Partial<Record<string, number>>;
  /** App-role assignments granted on service principals (read per service principal). */
  appRoleAssignments: number;
}

/** Directory ordering the backup uses; every type of the scenario's scope. */
export const SCENARIO_TYPES = [
  'user',
  'group',
  'directoryRole',
  'roleDefinition',
  'roleAssignment',
  'application',
  'servicePrincipal',
  'device',
  'administrativeUnit',
  'conditionalAccessPolicy',
  'signIn',
] as const;

const DELTA = new Set([
  'user',
  'group',
  'directoryRole',
  'application',
  'servicePrincipal',
  'device',
  'administrativeUnit',
]);
const LISTING = new Set(['roleDefinition', 'roleAssignment', 'conditionalAccessPolicy']);

/** Graph's RU table: GET users 2, applications 2, others 1; $select takes 1 off (min 1). */
const RU: Record<string, number> = { user: 1, application: 2 };

export function fullBackupStreams(
  counts: TenantCounts,
  types: readonly string[] = SCENARIO_TYPES,
): StreamSize[] {
  const streams: StreamSize[] = [];
  for (const type of types) {
    const objects = counts.objects[type] ?? 0;
    if (DELTA.has(type)) {
      streams.push({
        name: type,
        kind: 'delta',
        objects,
        links: counts.deltaLinks[type] ?? 0,
        ruPerRequest: RU[type] ?? 1,
      });
    } else if (LISTING.has(type)) {
      streams.push({
        name: type,
        kind: 'listing',
        objects,
        ruPerRequest: 1,
        ...(type === 'conditionalAccessPolicy' ? { pace: { requests: 1, windowMs: 1000 } } : {}),
      });
    } else if (type === 'signIn') {
      streams.push({ name: type, kind: 'signIns', objects, pace: { requests: 5, windowMs: 10_000 } });
    } else {
      throw new Error(`fullBackupStreams: no stream model for type ${type}`);
    }
    if (type === 'servicePrincipal') {
      streams.push({
        name: 'servicePrincipal.appRoleAssignedTo',
        kind: 'perObject',
        objects,
        items: counts.appRoleAssignments,
        parent: 'servicePrincipal',
        ruPerRequest: 2,
      });
    }
  }
  return streams;
}
