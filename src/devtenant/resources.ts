// What the simulator knows about each Graph resource: its entity set, properties, default
// property set, read-only and required properties, permissions, page sizes, RU cost, and
// whether Graph soft-deletes it. Sources are cited per behaviour in docs/GRAPH-FIDELITY.md.

/** Every inner list is any-of; all inner lists are required. */
export type PermRule = string[][];

export type StoredType =
  | 'user'
  | 'group'
  | 'directoryRole'
  | 'roleDefinition'
  | 'roleAssignment'
  | 'application'
  | 'servicePrincipal'
  | 'appRoleAssignment'
  | 'device'
  | 'administrativeUnit'
  | 'signIn'
  | 'directoryAudit'
  | 'conditionalAccessPolicy';

/** Relationships stored as links; `manager` (user → user) is single-valued. */
export type LinkKind = 'members' | 'owners' | 'registeredOwners' | 'manager';

export interface ResourceDef {
  type: StoredType;
  /** Path of the entity set under /v1.0, e.g. 'users'. */
  set: string;
  odataType: string;
  properties: readonly string[];
  /** Returned when no $select; undefined = every stored property. */
  defaultSelect?: readonly string[];
  /** Only on a single GET; selecting them on the collection is 501 (users) or omitted. */
  singleOnly?: readonly string[];
  singleOnlyIs501?: boolean;
  /** Returned only when $select'ed, even on a single GET. */
  selectOnly?: readonly string[];
  readOnly: readonly string[];
  required: readonly string[];
  read: PermRule;
  write: PermRule;
  maxTop: number;
  defaultTop: number;
  /** No paging and no query options (directoryRoles). */
  noQuery?: boolean;
  cost: number;
  softDelete: 'always' | 'never' | 'unifiedGroups';
  delta: boolean;
  links: readonly LinkKind[];
  /** directoryObject types can be group/role/AU members and owners. */
  directoryObject: boolean;
}

const dir = (p: string) => [p, 'Directory.Read.All', 'Directory.ReadWrite.All'];
const rw = (...p: string[]) => [...p, 'Directory.ReadWrite.All'];

export const USER_DEFAULT = [
  'businessPhones',
  'displayName',
  'givenName',
  'id',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
] as const;

const USER_PROPS = [
  ...USER_DEFAULT,
  'accountEnabled',
  'ageGroup',
  'assignedLicenses',
  'assignedPlans',
  'city',
  'companyName',
  'consentProvidedForMinor',
  'country',
  'createdDateTime',
  'creationType',
  'deletedDateTime',
  'department',
  'employeeHireDate',
  'employeeId',
  'employeeOrgData',
  'employeeType',
  'externalUserState',
  'externalUserStateChangeDateTime',
  'faxNumber',
  'identities',
  'imAddresses',
  'lastPasswordChangeDateTime',
  'legalAgeGroupClassification',
  'licenseAssignmentStates',
  'mailNickname',
  'onPremisesDistinguishedName',
  'onPremisesDomainName',
  'onPremisesExtensionAttributes',
  'onPremisesImmutableId',
  'onPremisesLastSyncDateTime',
  'onPremisesSamAccountName',
  'onPremisesSecurityIdentifier',
  'onPremisesSyncEnabled',
  'onPremisesUserPrincipalName',
  'otherMails',
  'passwordPolicies',
  'passwordProfile',
  'postalCode',
  'preferredDataLocation',
  'provisionedPlans',
  'proxyAddresses',
  'refreshTokensValidFromDateTime',
  'securityIdentifier',
  'showInAddressList',
  'signInActivity',
  'signInSessionsValidFromDateTime',
  'state',
  'streetAddress',
  'usageLocation',
  'userType',
  'manager',
];

export const USER_SINGLE_ONLY = [
  'aboutMe',
  'birthday',
  'hireDate',
  'interests',
  'mySite',
  'pastProjects',
  'preferredName',
  'responsibilities',
  'schools',
  'skills',
  'mailboxSettings',
];

const GROUP_PROPS = [
  'id',
  'deletedDateTime',
  'classification',
  'createdDateTime',
  'creationOptions',
  'description',
  'displayName',
  'expirationDateTime',
  'groupTypes',
  'isAssignableToRole',
  'mail',
  'mailEnabled',
  'mailNickname',
  'membershipRule',
  'membershipRuleProcessingState',
  'onPremisesDomainName',
  'onPremisesLastSyncDateTime',
  'onPremisesNetBiosName',
  'onPremisesSamAccountName',
  'onPremisesSecurityIdentifier',
  'onPremisesSyncEnabled',
  'onPremisesProvisioningErrors',
  'preferredDataLocation',
  'preferredLanguage',
  'proxyAddresses',
  'renewedDateTime',
  'resourceBehaviorOptions',
  'resourceProvisioningOptions',
  'securityEnabled',
  'securityIdentifier',
  'serviceProvisioningErrors',
  'theme',
  'visibility',
  'assignedLicenses',
  'licenseProcessingState',
  'hasMembersWithLicenseErrors',
  'members',
  'owners',
];
const GROUP_SINGLE_ONLY = [
  'allowExternalSenders',
  'autoSubscribeNewMembers',
  'hideFromAddressLists',
  'hideFromOutlookClients',
  'isSubscribedByMail',
  'unseenCount',
];

const APP_PROPS = [
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
  'owners',
];

const SP_PROPS = [
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
  'owners',
];

const DEVICE_PROPS = [
  'id',
  'accountEnabled',
  'alternativeSecurityIds',
  'approximateLastSignInDateTime',
  'complianceExpirationDateTime',
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
  'onPremisesLastSyncDateTime',
  'onPremisesSyncEnabled',
  'operatingSystem',
  'operatingSystemVersion',
  'physicalIds',
  'profileType',
  'registrationDateTime',
  'systemLabels',
  'trustType',
  'registeredOwners',
];

const SIGNIN_PROPS = [
  'id',
  'createdDateTime',
  'userDisplayName',
  'userPrincipalName',
  'userId',
  'appId',
  'appDisplayName',
  'ipAddress',
  'clientAppUsed',
  'correlationId',
  'conditionalAccessStatus',
  'isInteractive',
  'riskDetail',
  'riskLevelAggregated',
  'riskLevelDuringSignIn',
  'riskState',
  'riskEventTypes',
  'riskEventTypes_v2',
  'resourceDisplayName',
  'resourceId',
  'status',
  'deviceDetail',
  'location',
  'appliedConditionalAccessPolicies',
];

const DEFS: ResourceDef[] = [
  {
    type: 'user',
    set: 'users',
    odataType: '#microsoft.graph.user',
    properties: USER_PROPS,
    defaultSelect: USER_DEFAULT,
    singleOnly: USER_SINGLE_ONLY,
    singleOnlyIs501: true,
    readOnly: [
      'id',
      'createdDateTime',
      'creationType',
      'deletedDateTime',
      'assignedPlans',
      'provisionedPlans',
      'licenseAssignmentStates',
      'imAddresses',
      'proxyAddresses',
      'legalAgeGroupClassification',
      'onPremisesDistinguishedName',
      'onPremisesDomainName',
      'onPremisesLastSyncDateTime',
      'onPremisesSamAccountName',
      'onPremisesSecurityIdentifier',
      'onPremisesSyncEnabled',
      'onPremisesUserPrincipalName',
      'refreshTokensValidFromDateTime',
      'signInSessionsValidFromDateTime',
      'assignedLicenses',
      'signInActivity',
      'externalUserState',
      'externalUserStateChangeDateTime',
      'lastPasswordChangeDateTime',
      'securityIdentifier',
    ],
    required: ['accountEnabled', 'displayName', 'mailNickname', 'userPrincipalName', 'passwordProfile'],
    read: [dir('User.Read.All').concat('User.ReadWrite.All')],
    write: [rw('User.ReadWrite.All')],
    maxTop: 999,
    defaultTop: 100,
    cost: 2,
    softDelete: 'always',
    delta: true,
    links: ['manager'],
    directoryObject: true,
  },
  {
    type: 'group',
    set: 'groups',
    odataType: '#microsoft.graph.group',
    properties: [...GROUP_PROPS, ...GROUP_SINGLE_ONLY],
    defaultSelect: GROUP_PROPS.filter(
      (p) =>
        ![
          'assignedLicenses',
          'licenseProcessingState',
          'hasMembersWithLicenseErrors',
          'members',
          'owners',
        ].includes(p),
    ),
    singleOnly: GROUP_SINGLE_ONLY,
    readOnly: [
      'id',
      'createdDateTime',
      'deletedDateTime',
      'mail',
      'proxyAddresses',
      'onPremisesDomainName',
      'onPremisesLastSyncDateTime',
      'onPremisesNetBiosName',
      'onPremisesSamAccountName',
      'onPremisesSecurityIdentifier',
      'onPremisesSyncEnabled',
      'onPremisesProvisioningErrors',
      'renewedDateTime',
      'securityIdentifier',
      'expirationDateTime',
      'assignedLicenses',
      'licenseProcessingState',
      'hasMembersWithLicenseErrors',
      'serviceProvisioningErrors',
      'unseenCount',
    ],
    required: ['displayName', 'mailEnabled', 'mailNickname', 'securityEnabled'],
    read: [dir('Group.Read.All').concat('Group.ReadWrite.All')],
    write: [rw('Group.ReadWrite.All')],
    maxTop: 999,
    defaultTop: 100,
    cost: 1,
    softDelete: 'unifiedGroups',
    delta: true,
    links: ['members', 'owners'],
    directoryObject: true,
  },
  {
    type: 'directoryRole',
    set: 'directoryRoles',
    odataType: '#microsoft.graph.directoryRole',
    properties: ['id', 'deletedDateTime', 'description', 'displayName', 'roleTemplateId', 'members'],
    defaultSelect: ['id', 'deletedDateTime', 'description', 'displayName', 'roleTemplateId'],
    readOnly: ['id', 'deletedDateTime', 'description', 'displayName'],
    required: ['roleTemplateId'],
    read: [
      dir('RoleManagement.Read.Directory').concat(
        'RoleManagement.ReadWrite.Directory',
        'RoleManagement.Read.All',
      ),
    ],
    write: [['RoleManagement.ReadWrite.Directory']],
    maxTop: 999,
    defaultTop: 999,
    noQuery: true,
    cost: 1,
    softDelete: 'never',
    delta: true,
    links: ['members'],
    directoryObject: true,
  },
  {
    type: 'roleDefinition',
    set: 'roleManagement/directory/roleDefinitions',
    odataType: '#microsoft.graph.unifiedRoleDefinition',
    properties: [
      'id',
      'description',
      'displayName',
      'isBuiltIn',
      'isEnabled',
      'resourceScopes',
      'rolePermissions',
      'templateId',
      'version',
      'inheritsPermissionsFrom',
    ],
    defaultSelect: [
      'id',
      'description',
      'displayName',
      'isBuiltIn',
      'isEnabled',
      'resourceScopes',
      'rolePermissions',
      'templateId',
      'version',
    ],
    readOnly: ['id', 'isBuiltIn'],
    required: ['displayName', 'rolePermissions', 'isEnabled'],
    read: [
      dir('RoleManagement.Read.Directory').concat(
        'RoleManagement.ReadWrite.Directory',
        'RoleManagement.Read.All',
      ),
    ],
    write: [['RoleManagement.ReadWrite.Directory']],
    maxTop: 999,
    defaultTop: 999,
    cost: 1,
    softDelete: 'never',
    delta: false,
    links: [],
    directoryObject: false,
  },
  {
    type: 'roleAssignment',
    set: 'roleManagement/directory/roleAssignments',
    odataType: '#microsoft.graph.unifiedRoleAssignment',
    properties: [
      'id',
      'principalId',
      'roleDefinitionId',
      'directoryScopeId',
      'appScopeId',
      'resourceScope',
      'condition',
      'principal',
      'roleDefinition',
    ],
    defaultSelect: [
      'id',
      'principalId',
      'roleDefinitionId',
      'directoryScopeId',
      'appScopeId',
      'resourceScope',
      'condition',
    ],
    readOnly: ['id', 'resourceScope'],
    required: ['principalId', 'roleDefinitionId'],
    read: [
      dir('RoleManagement.Read.Directory').concat(
        'RoleManagement.ReadWrite.Directory',
        'RoleManagement.Read.All',
      ),
    ],
    write: [['RoleManagement.ReadWrite.Directory']],
    maxTop: 999,
    defaultTop: 100,
    cost: 1,
    softDelete: 'never',
    delta: false,
    links: [],
    directoryObject: false,
  },
  {
    type: 'application',
    set: 'applications',
    odataType: '#microsoft.graph.application',
    properties: APP_PROPS,
    defaultSelect: APP_PROPS.filter((p) => p !== 'owners'),
    readOnly: ['id', 'appId', 'createdDateTime', 'deletedDateTime', 'publisherDomain', 'passwordCredentials'],
    required: ['displayName'],
    read: [dir('Application.Read.All').concat('Application.ReadWrite.All')],
    write: [rw('Application.ReadWrite.All')],
    maxTop: 999,
    defaultTop: 100,
    cost: 2,
    softDelete: 'always',
    delta: true,
    links: ['owners'],
    directoryObject: true,
  },
  {
    type: 'servicePrincipal',
    set: 'servicePrincipals',
    odataType: '#microsoft.graph.servicePrincipal',
    properties: SP_PROPS,
    defaultSelect: SP_PROPS.filter((p) => p !== 'owners'),
    readOnly: [
      'id',
      'createdDateTime',
      'deletedDateTime',
      'appDisplayName',
      'appOwnerOrganizationId',
      'passwordCredentials',
    ],
    required: ['appId'],
    read: [dir('Application.Read.All').concat('Application.ReadWrite.All')],
    write: [rw('Application.ReadWrite.All')],
    maxTop: 999,
    defaultTop: 100,
    cost: 1,
    softDelete: 'always',
    delta: true,
    links: ['owners'],
    directoryObject: true,
  },
  {
    type: 'appRoleAssignment',
    set: 'appRoleAssignedTo',
    odataType: '#microsoft.graph.appRoleAssignment',
    properties: [
      'id',
      'appRoleId',
      'createdDateTime',
      'deletedDateTime',
      'principalDisplayName',
      'principalId',
      'principalType',
      'resourceDisplayName',
      'resourceId',
    ],
    readOnly: [
      'id',
      'createdDateTime',
      'deletedDateTime',
      'principalDisplayName',
      'principalType',
      'resourceDisplayName',
    ],
    required: ['principalId', 'resourceId', 'appRoleId'],
    read: [
      dir('Application.Read.All').concat('Application.ReadWrite.All', 'AppRoleAssignment.ReadWrite.All'),
    ],
    write: [['AppRoleAssignment.ReadWrite.All']],
    maxTop: 999,
    defaultTop: 100,
    cost: 1,
    softDelete: 'never',
    delta: false,
    links: [],
    directoryObject: false,
  },
  {
    type: 'device',
    set: 'devices',
    odataType: '#microsoft.graph.device',
    properties: DEVICE_PROPS,
    defaultSelect: DEVICE_PROPS.filter((p) => p !== 'registeredOwners'),
    readOnly: [
      'id',
      'createdDateTime',
      'deletedDateTime',
      'approximateLastSignInDateTime',
      'registrationDateTime',
    ],
    required: [
      'accountEnabled',
      'alternativeSecurityIds',
      'deviceId',
      'displayName',
      'operatingSystem',
      'operatingSystemVersion',
    ],
    read: [dir('Device.Read.All').concat('Device.ReadWrite.All')],
    write: [rw('Device.ReadWrite.All')],
    maxTop: 999,
    defaultTop: 100,
    cost: 1,
    softDelete: 'never',
    delta: true,
    links: ['registeredOwners'],
    directoryObject: true,
  },
  {
    type: 'administrativeUnit',
    set: 'administrativeUnits',
    odataType: '#microsoft.graph.administrativeUnit',
    properties: [
      'id',
      'deletedDateTime',
      'description',
      'displayName',
      'isMemberManagementRestricted',
      'membershipRule',
      'membershipRuleProcessingState',
      'membershipType',
      'visibility',
      'members',
    ],
    defaultSelect: [
      'id',
      'deletedDateTime',
      'description',
      'displayName',
      'isMemberManagementRestricted',
      'membershipRule',
      'membershipRuleProcessingState',
      'membershipType',
      'visibility',
    ],
    readOnly: ['id', 'deletedDateTime'],
    required: ['displayName'],
    read: [dir('AdministrativeUnit.Read.All').concat('AdministrativeUnit.ReadWrite.All')],
    write: [rw('AdministrativeUnit.ReadWrite.All')],
    maxTop: 999,
    defaultTop: 100,
    cost: 1,
    softDelete: 'always',
    delta: true,
    links: ['members'],
    directoryObject: true,
  },
  {
    type: 'signIn',
    set: 'auditLogs/signIns',
    odataType: '#microsoft.graph.signIn',
    properties: SIGNIN_PROPS,
    readOnly: SIGNIN_PROPS,
    required: [],
    read: [['AuditLog.Read.All'], ['Directory.Read.All', 'Directory.ReadWrite.All']],
    write: [['__none__']],
    maxTop: 1000,
    defaultTop: 1000,
    cost: 1,
    softDelete: 'never',
    delta: false,
    links: [],
    directoryObject: false,
  },
  {
    type: 'directoryAudit',
    set: 'auditLogs/directoryAudits',
    odataType: '#microsoft.graph.directoryAudit',
    properties: [
      'id',
      'activityDateTime',
      'activityDisplayName',
      'additionalDetails',
      'category',
      'correlationId',
      'initiatedBy',
      'loggedByService',
      'operationType',
      'result',
      'resultReason',
      'targetResources',
    ],
    readOnly: [],
    required: [],
    read: [['AuditLog.Read.All']],
    write: [['__none__']],
    maxTop: 999,
    defaultTop: 100,
    cost: 1,
    softDelete: 'never',
    delta: false,
    links: [],
    directoryObject: false,
  },
  {
    type: 'conditionalAccessPolicy',
    set: 'identity/conditionalAccess/policies',
    odataType: '#microsoft.graph.conditionalAccessPolicy',
    properties: [
      'id',
      'displayName',
      'createdDateTime',
      'modifiedDateTime',
      'state',
      'conditions',
      'grantControls',
      'sessionControls',
      'templateId',
    ],
    readOnly: ['id', 'createdDateTime', 'modifiedDateTime'],
    required: ['displayName', 'state', 'conditions'],
    read: [['Policy.Read.All', 'Policy.ReadWrite.ConditionalAccess']],
    write: [['Policy.ReadWrite.ConditionalAccess']],
    maxTop: 999,
    defaultTop: 100,
    cost: 1,
    softDelete: 'never',
    delta: false,
    links: [],
    directoryObject: false,
  },
];

const BY_TYPE = new Map(DEFS.map((d) => [d.type, d]));
const BY_SET = new Map(DEFS.map((d) => [d.set, d]));
BY_SET.set('directory/administrativeUnits', BY_TYPE.get('administrativeUnit') as ResourceDef);

export function resourceByType(type: string): ResourceDef | undefined {
  return BY_TYPE.get(type as StoredType);
}

export function resourceBySet(set: string): ResourceDef | undefined {
  return BY_SET.get(set);
}

export function allResources(): readonly ResourceDef[] {
  return DEFS;
}

export function typeName(def: ResourceDef): string {
  return def.odataType.slice(1);
}

/** The recycle bin's types: Graph soft-deletes these (security groups and the rest are hard-deleted). */
export const DELETED_ITEM_TYPES = [
  'user',
  'group',
  'application',
  'servicePrincipal',
  'administrativeUnit',
] as const;

export function isSoftDeleted(def: ResourceDef, data: Record<string, unknown>): boolean {
  if (def.softDelete === 'always') return true;
  if (def.softDelete === 'unifiedGroups')
    return Array.isArray(data.groupTypes) && (data.groupTypes as unknown[]).includes('Unified');
  return false;
}

/** Read permission for a relationship (e.g. group members also allow GroupMember.Read.All). */
export function linkReadRule(def: ResourceDef): PermRule {
  if (def.type === 'group') return [[...def.read[0], 'GroupMember.Read.All', 'GroupMember.ReadWrite.All']];
  return def.read;
}

export function linkWriteRule(def: ResourceDef): PermRule {
  if (def.type === 'group')
    return [['Group.ReadWrite.All', 'GroupMember.ReadWrite.All', 'Directory.ReadWrite.All']];
  if (def.type === 'directoryRole') return [['RoleManagement.ReadWrite.Directory']];
  return def.write;
}

export function hasPermission(roles: readonly string[], rule: PermRule): boolean {
  return rule.every((anyOf) => anyOf.some((r) => roles.includes(r)));
}
