// Which properties a restore may write, per object type: an allow-list (anything else — read-only,
// server-managed, licence- or Exchange-managed — is shown in the diff but never sent).
// Sources: Graph v1.0 resource pages (user, group, application, servicePrincipal,
// administrativeUnit, device, unifiedRoleDefinition, conditionalAccessPolicy); see
// /work/shared/graph-behaviour.md §4.
import type { ObjectType } from '../domain.ts';

interface TypeTable {
  /** Sent on create and PATCH when they differ. */
  writable: readonly string[];
  /** Sent on create only (Graph refuses or ignores them on PATCH). */
  createOnly?: readonly string[];
}

const USER_WRITABLE = [
  'accountEnabled',
  'ageGroup',
  'businessPhones',
  'city',
  'companyName',
  'consentProvidedForMinor',
  'country',
  'department',
  'displayName',
  'employeeHireDate',
  'employeeId',
  'employeeLeaveDateTime',
  'employeeOrgData',
  'employeeType',
  'faxNumber',
  'givenName',
  'jobTitle',
  'mail',
  'mailNickname',
  'mobilePhone',
  'officeLocation',
  'otherMails',
  'passwordPolicies',
  'postalCode',
  'preferredDataLocation',
  'preferredLanguage',
  'showInAddressList',
  'state',
  'streetAddress',
  'surname',
  'usageLocation',
  'userPrincipalName',
  'userType',
] as const;

/** Properties of users synced from on-premises AD that only the sync engine may write. */
export const SYNCED_USER_READ_ONLY = [
  'businessPhones',
  'mobilePhone',
  'onPremisesExtensionAttributes',
] as const;

const TABLES: Partial<Record<ObjectType, TypeTable>> = {
  user: { writable: USER_WRITABLE, createOnly: ['onPremisesImmutableId', 'identities'] },
  group: {
    writable: [
      'displayName',
      'description',
      'mailNickname',
      'visibility',
      'classification',
      'membershipRule',
      'membershipRuleProcessingState',
      'preferredDataLocation',
      'preferredLanguage',
      'theme',
      'groupTypes',
    ],
    createOnly: ['mailEnabled', 'securityEnabled', 'isAssignableToRole'],
  },
  application: {
    writable: [
      'displayName',
      'description',
      'notes',
      'signInAudience',
      'identifierUris',
      'web',
      'spa',
      'publicClient',
      'api',
      'appRoles',
      'requiredResourceAccess',
      'optionalClaims',
      'tags',
      'info',
      'isFallbackPublicClient',
      'isDeviceOnlyAuthSupported',
      'groupMembershipClaims',
      'serviceManagementReference',
      'parentalControlSettings',
    ],
  },
  servicePrincipal: {
    writable: [
      'accountEnabled',
      'appRoleAssignmentRequired',
      'description',
      'homepage',
      'loginUrl',
      'logoutUrl',
      'notes',
      'notificationEmailAddresses',
      'preferredSingleSignOnMode',
      'replyUrls',
      'tags',
    ],
    createOnly: ['appId'],
  },
  administrativeUnit: {
    writable: [
      'displayName',
      'description',
      'visibility',
      'membershipType',
      'membershipRule',
      'membershipRuleProcessingState',
    ],
  },
  device: {
    writable: [
      'accountEnabled',
      'displayName',
      'operatingSystem',
      'operatingSystemVersion',
      'extensionAttributes',
    ],
  },
  roleDefinition: {
    writable: ['displayName', 'description', 'isEnabled', 'rolePermissions'],
    createOnly: ['templateId'],
  },
  conditionalAccessPolicy: {
    writable: ['displayName', 'state', 'conditions', 'grantControls', 'sessionControls'],
  },
};

/** Properties that are secrets or credentials: never written, reported instead. */
export const CREDENTIAL_PROPERTIES = ['passwordCredentials', 'keyCredentials', 'passwordProfile'] as const;

export function isRestorableType(type: ObjectType): boolean {
  return TABLES[type] !== undefined;
}

/** Whether `property` of `type` may be sent in a PATCH (and a create). */
export function isWritable(type: ObjectType, property: string, live?: Record<string, unknown>): boolean {
  const table = TABLES[type];
  if (!table) return false;
  if (
    type === 'user' &&
    live?.onPremisesSyncEnabled === true &&
    (SYNCED_USER_READ_ONLY as readonly string[]).includes(property)
  ) {
    return false;
  }
  return table.writable.includes(property);
}

export function isCreateOnly(type: ObjectType, property: string): boolean {
  return TABLES[type]?.createOnly?.includes(property) ?? false;
}

/** Every property a create body may hold for the type. */
export function creatableProperties(type: ObjectType): string[] {
  const table = TABLES[type];
  return table ? [...table.writable, ...(table.createOnly ?? [])] : [];
}

/** Licence-gated or relationship-like properties a live read must not ask for. */
const NEVER_SELECT = new Set(['signInActivity', 'manager', 'members', 'owners', 'memberOf']);

/** Properties to $select when reading the live object for a diff. */
export function selectableProperties(type: ObjectType, snapshotKeys: string[]): string[] {
  const keys = new Set<string>(['id', 'displayName']);
  for (const k of snapshotKeys)
    if (!k.startsWith('@') && !k.includes('@') && !NEVER_SELECT.has(k)) keys.add(k);
  if (type === 'user') keys.add('onPremisesSyncEnabled');
  return [...keys];
}
