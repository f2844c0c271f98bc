// What the backup reads for each object type: Graph paths, the $select of backup-critical
// properties, how changes are found (delta / listing / watermark), soft-delete support, and the
// relationships kept as edges. One table, read by the collectors, the writer and the queries.
import type { EdgeKind, ObjectType } from '../domain.ts';

/** Properties kept for users: everything a restore needs, nothing volatile (no signInActivity). */
export const USER_SELECT = [
  'id',
  'displayName',
  'userPrincipalName',
  'mail',
  'mailNickname',
  'givenName',
  'surname',
  'jobTitle',
  'department',
  'companyName',
  'officeLocation',
  'streetAddress',
  'city',
  'state',
  'postalCode',
  'country',
  'usageLocation',
  'preferredLanguage',
  'accountEnabled',
  'userType',
  'employeeId',
  'employeeType',
  'employeeHireDate',
  'mobilePhone',
  'businessPhones',
  'faxNumber',
  'otherMails',
  'proxyAddresses',
  'imAddresses',
  'identities',
  'assignedLicenses',
  'ageGroup',
  'consentProvidedForMinor',
  'creationType',
  'externalUserState',
  'passwordPolicies',
  'showInAddressList',
  'onPremisesImmutableId',
  'onPremisesSyncEnabled',
  'onPremisesSamAccountName',
  'onPremisesUserPrincipalName',
  'onPremisesDomainName',
  'onPremisesExtensionAttributes',
  'createdDateTime',
  'deletedDateTime',
];

export const GROUP_SELECT = [
  'id',
  'displayName',
  'description',
  'mail',
  'mailNickname',
  'mailEnabled',
  'securityEnabled',
  'groupTypes',
  'visibility',
  'membershipRule',
  'membershipRuleProcessingState',
  'isAssignableToRole',
  'classification',
  'proxyAddresses',
  'preferredDataLocation',
  'resourceProvisioningOptions',
  'onPremisesSyncEnabled',
  'createdDateTime',
  'deletedDateTime',
];

export const APPLICATION_SELECT = [
  'id',
  'addIns',
  'api',
  'appId',
  'applicationTemplateId',
  'appRoles',
  'certification',
  'createdDateTime',
  'defaultRedirectUri',
  'deletedDateTime',
  'description',
  'disabledByMicrosoftStatus',
  'displayName',
  'groupMembershipClaims',
  'identifierUris',
  'info',
  'isDeviceOnlyAuthSupported',
  'isFallbackPublicClient',
  'keyCredentials',
  'notes',
  'optionalClaims',
  'parentalControlSettings',
  'passwordCredentials',
  'publicClient',
  'publisherDomain',
  'requiredResourceAccess',
  'samlMetadataUrl',
  'serviceManagementReference',
  'signInAudience',
  'spa',
  'tags',
  'tokenEncryptionKeyId',
  'uniqueName',
  'verifiedPublisher',
  'web',
];

export const SERVICE_PRINCIPAL_SELECT = [
  'id',
  'accountEnabled',
  'addIns',
  'alternativeNames',
  'appDescription',
  'appDisplayName',
  'appId',
  'applicationTemplateId',
  'appOwnerOrganizationId',
  'appRoleAssignmentRequired',
  'appRoles',
  'createdDateTime',
  'deletedDateTime',
  'description',
  'disabledByMicrosoftStatus',
  'displayName',
  'homepage',
  'info',
  'keyCredentials',
  'loginUrl',
  'logoutUrl',
  'notes',
  'notificationEmailAddresses',
  'oauth2PermissionScopes',
  'passwordCredentials',
  'preferredSingleSignOnMode',
  'preferredTokenSigningKeyThumbprint',
  'replyUrls',
  'resourceSpecificApplicationPermissions',
  'samlSingleSignOnSettings',
  'servicePrincipalNames',
  'servicePrincipalType',
  'signInAudience',
  'tags',
  'tokenEncryptionKeyId',
  'verifiedPublisher',
];

/** Device properties (the sign-in and sync timestamps are volatile: not read). */
export const DEVICE_SELECT = [
  'id',
  'accountEnabled',
  'alternativeSecurityIds',
  'createdDateTime',
  'deletedDateTime',
  'deviceCategory',
  'deviceId',
  'deviceMetadata',
  'deviceOwnership',
  'deviceVersion',
  'displayName',
  'enrollmentProfileName',
  'enrollmentType',
  'extensionAttributes',
  'isCompliant',
  'isManaged',
  'managementType',
  'manufacturer',
  'mdmAppId',
  'model',
  'onPremisesSyncEnabled',
  'operatingSystem',
  'operatingSystemVersion',
  'physicalIds',
  'profileType',
  'registrationDateTime',
  'systemLabels',
  'trustType',
];

export const ADMINISTRATIVE_UNIT_SELECT = [
  'id',
  'deletedDateTime',
  'description',
  'displayName',
  'isMemberManagementRestricted',
  'membershipRule',
  'membershipRuleProcessingState',
  'membershipType',
  'visibility',
];

export type Strategy = 'delta' | 'listing' | 'watermark' | 'perUser';

/** A relationship read per object (no delta for it): `/{path}/{id}/{segment}`. */
export interface PerObjectRelation {
  segment: string;
  kind: EdgeKind;
  /** The edge's target id is this field of each item (default: the item's id). */
  targetField?: string;
}

export interface TypeSpec {
  type: ObjectType;
  /** Collection path, relative to the Graph version root. */
  path: string;
  strategy: Strategy;
  /** Extra query for the listing or delta request (e.g. $select). */
  query?: string;
  /** In Entra's recycle bin after deletion (restorable for 30 days). */
  softDelete: boolean;
  /**
   * Relationships returned inline by delta as `<name>@delta`. `single`: one value at most, always
   * listed whole with its object (a user's manager): a full round replaces it on the object's
   * page instead of keeping every object's slice until the round ends (100,000 users' managers
   * kept for reconciliation cost 69 MB of peak RSS and 37 s of writes at the round's end).
   */
  deltaRelations?: { property: string; kind: EdgeKind; single?: boolean }[];
  /** Relationships read per changed object (batched). */
  perObject?: PerObjectRelation[];
  /**
   * App role assignments change without the service principal changing: after an incremental
   * round, `perObject` is re-read for the service principals the directory audit log names
   * (collectors/audited-relations.ts). The stream's `watermark` is the audit watermark.
   */
  auditedAppRoles?: boolean;
  /** Pace for endpoints with their own limits: at most `requests` per `windowMs`. */
  pace?: { requests: number; windowMs: number };
  /** Fields copied into ObjectRecord.summary for lists. */
  summaryFields: string[];
  /** Fields (besides displayName and id) that are searchable. */
  searchFields: string[];
}

const select = (fields: string[]) => `$select=${fields.join(',')}`;

export const TYPE_SPECS: Record<ObjectType, TypeSpec> = {
  user: {
    type: 'user',
    path: '/users/delta',
    strategy: 'delta',
    // Delta does not take $expand: `manager` in $select tracks it as `manager@delta` (Graph's
    // delta query overview: $select supports the manager navigation property for users).
    query: select([...USER_SELECT, 'manager']),
    softDelete: true,
    deltaRelations: [{ property: 'manager', kind: 'manager', single: true }],
    summaryFields: ['userPrincipalName', 'mail', 'accountEnabled', 'userType', 'department', 'jobTitle'],
    searchFields: ['userPrincipalName', 'mail', 'mailNickname'],
  },
  group: {
    type: 'group',
    path: '/groups/delta',
    strategy: 'delta',
    query: select([...GROUP_SELECT, 'members', 'owners']),
    softDelete: true,
    deltaRelations: [
      { property: 'members', kind: 'member' },
      { property: 'owners', kind: 'owner' },
    ],
    summaryFields: ['mail', 'mailNickname', 'groupTypes', 'securityEnabled', 'mailEnabled'],
    searchFields: ['mail', 'mailNickname'],
  },
  directoryRole: {
    type: 'directoryRole',
    path: '/directoryRoles/delta',
    strategy: 'delta',
    query: '$select=id,displayName,description,roleTemplateId,members',
    softDelete: false,
    deltaRelations: [{ property: 'members', kind: 'member' }],
    summaryFields: ['roleTemplateId', 'description'],
    searchFields: ['roleTemplateId'],
  },
  roleDefinition: {
    type: 'roleDefinition',
    path: '/roleManagement/directory/roleDefinitions',
    strategy: 'listing',
    softDelete: false,
    summaryFields: ['isBuiltIn', 'isEnabled', 'templateId'],
    searchFields: ['templateId'],
  },
  roleAssignment: {
    type: 'roleAssignment',
    path: '/roleManagement/directory/roleAssignments',
    strategy: 'listing',
    softDelete: false,
    summaryFields: ['roleDefinitionId', 'principalId', 'directoryScopeId'],
    searchFields: ['principalId', 'roleDefinitionId'],
  },
  application: {
    type: 'application',
    path: '/applications/delta',
    strategy: 'delta',
    query: select([...APPLICATION_SELECT, 'owners']),
    softDelete: true,
    deltaRelations: [{ property: 'owners', kind: 'owner' }],
    summaryFields: ['appId', 'signInAudience', 'publisherDomain'],
    searchFields: ['appId'],
  },
  servicePrincipal: {
    type: 'servicePrincipal',
    path: '/servicePrincipals/delta',
    strategy: 'delta',
    query: select([...SERVICE_PRINCIPAL_SELECT, 'owners']),
    softDelete: true,
    deltaRelations: [{ property: 'owners', kind: 'owner' }],
    // No delta for app role assignments: read for the service principals each round returns, and
    // for those the audit log says were granted or lost an assignment since the last round.
    perObject: [{ segment: 'appRoleAssignedTo', kind: 'appRoleAssignment', targetField: 'principalId' }],
    auditedAppRoles: true,
    summaryFields: ['appId', 'servicePrincipalType', 'accountEnabled', 'appOwnerOrganizationId'],
    searchFields: ['appId'],
  },
  device: {
    type: 'device',
    path: '/devices/delta',
    strategy: 'delta',
    query: select([...DEVICE_SELECT, 'registeredOwners']),
    softDelete: false,
    deltaRelations: [{ property: 'registeredOwners', kind: 'owner' }],
    summaryFields: ['deviceId', 'operatingSystem', 'accountEnabled', 'trustType'],
    searchFields: ['deviceId'],
  },
  administrativeUnit: {
    type: 'administrativeUnit',
    path: '/directory/administrativeUnits/delta',
    strategy: 'delta',
    query: select([...ADMINISTRATIVE_UNIT_SELECT, 'members']),
    softDelete: true,
    deltaRelations: [{ property: 'members', kind: 'member' }],
    summaryFields: ['description', 'visibility'],
    searchFields: [],
  },
  signIn: {
    type: 'signIn',
    path: '/auditLogs/signIns',
    strategy: 'watermark',
    softDelete: false,
    pace: { requests: 5, windowMs: 10_000 },
    summaryFields: ['userPrincipalName', 'appDisplayName', 'createdDateTime', 'ipAddress'],
    searchFields: ['userPrincipalName', 'userId'],
  },
  conditionalAccessPolicy: {
    type: 'conditionalAccessPolicy',
    path: '/identity/conditionalAccess/policies',
    strategy: 'listing',
    softDelete: false,
    pace: { requests: 1, windowMs: 1_000 },
    summaryFields: ['state'],
    searchFields: [],
  },
  authenticationMethods: {
    type: 'authenticationMethods',
    path: '/users/{id}/authentication/methods',
    strategy: 'perUser',
    softDelete: false,
    summaryFields: ['userPrincipalName', 'methodTypes'],
    searchFields: ['userPrincipalName'],
  },
};

/** Order of execution: users before what refers to them; authentication methods last (they read the users run). */
export const TYPE_ORDER: readonly ObjectType[] = [
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
  'authenticationMethods',
];

/** Base collection path for single-object reads (`/users/{id}`), from the delta/list path. */
export function objectPath(type: ObjectType, id: string): string {
  if (type === 'authenticationMethods') return `/users/${encodeURIComponent(id)}/authentication/methods`;
  const base = TYPE_SPECS[type].path.replace(/\/delta$/, '');
  return `${base}/${encodeURIComponent(id)}`;
}
