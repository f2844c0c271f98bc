// Shared vocabulary of the product: object types, relationships, runs, restores, principals.
// One place for each concept: every module imports these names from here.

/** Entra object types the product backs up. Each is switchable in a tenant's scope. */
export const OBJECT_TYPES = [
  'user',
  'group',
  'directoryRole',
  'roleDefinition',
  'roleAssignment',
  'application',
  'servicePrincipal',
  'device',
  'administrativeUnit',
  'signIn',
  'conditionalAccessPolicy',
  'authenticationMethods',
] as const;
export type ObjectType = (typeof OBJECT_TYPES)[number];

export function isObjectType(value: string): value is ObjectType {
  return (OBJECT_TYPES as readonly string[]).includes(value);
}

/** A Graph resource as JSON (Graph's own shape, `@odata.*` annotations removed). */
export type GraphObject = { id: string } & Record<string, unknown>;

/**
 * Relationship kinds kept as edges with validity intervals.
 * - member: group / directoryRole / administrativeUnit → member
 * - owner: group / application / servicePrincipal → owner; device → registered owner
 * - appRoleAssignment: servicePrincipal (resource) → principal (attrs: appRoleId, assignmentId)
 * - roleAssignment: roleDefinition → principal (attrs: assignmentId, directoryScopeId)
 * - manager: user → their manager (one alive at most)
 */
export const EDGE_KINDS = ['member', 'owner', 'appRoleAssignment', 'roleAssignment', 'manager'] as const;
export type EdgeKind = (typeof EDGE_KINDS)[number];

/** Who acts: always taken from a validated token or activity, never from card or page data. */
export interface Principal {
  tenantId: string;
  /** Entra object id (aadObjectId / oid). */
  objectId: string;
  displayName?: string;
  /** 'user' for people (bot, tab), 'operator' for the CLI on the server, 'system' for the worker. */
  kind: 'user' | 'operator' | 'system';
}

export interface TypeCounts {
  seen: number;
  created: number;
  changed: number;
  deleted: number;
  unchanged: number;
  failed: number;
}

export function emptyCounts(): TypeCounts {
  return { seen: 0, created: 0, changed: 0, deleted: 0, unchanged: 0, failed: 0 };
}

export type RunKind = 'incremental' | 'full';
export type RunStatus = 'queued' | 'running' | 'succeeded' | 'partial' | 'failed' | 'cancelled';
export type RunTrigger = 'schedule' | 'manual' | 'api';

export interface RunError {
  objectType?: ObjectType;
  /** Graph's error.code, or a product code such as STORE_UNAVAILABLE. */
  code: string;
  message: string;
  status?: number;
  requestId?: string;
  at: string;
}
