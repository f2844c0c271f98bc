// Deterministic tenant seeder: the same seed and sizes give the same tenant (ids, names,
// memberships). Everything is written in one transaction with prepared statements, so
// 100,000 users seed in seconds. Links are written before objects so a source's seq is never
// older than its links'.
import type { Db } from './dev-db.ts';
import { derivedColumns, type Json } from './directory.ts';
import { appRoleAssignmentId, guidFromString, Rng, roleAssignmentId } from './ids.ts';
import type { LinkKind, StoredType } from './resources.ts';
import {
  APP_NAMES,
  DEPARTMENTS,
  FIRST_NAMES,
  GLOBAL_ADMIN_TEMPLATE,
  GRAPH_APP_ROLES,
  GUEST_DOMAINS,
  LAST_NAMES,
  MS_GRAPH_APP_ID,
  OFFICES,
  PERSONAS,
  PRIVILEGED_ROLE_ADMIN_TEMPLATE,
  PROJECTS,
  ROLE_TEMPLATES,
} from './seed-data.ts';

export interface SeedOptions {
  /** Seed string; the tenant id is derived from it. Default 'contoso'. */
  seed?: string;
  tenantId?: string;
  domain?: string;
  displayName?: string;
  users?: number;
  groups?: number;
  /** Groups holding `largeGroupSize` members each (the first is "All Company"). */
  largeGroups?: number;
  largeGroupSize?: number;
  applications?: number;
  devices?: number;
  administrativeUnits?: number;
  signIns?: number;
  directoryAudits?: number;
  conditionalAccessPolicies?: number;
  customRoles?: number;
  /** Entra ID P1/P2: sign-in logs and signInActivity need it. Default true. */
  premium?: boolean;
  /** Bulk-load mode (rollback journal, indexes rebuilt after); default: for 50,000+ rows. */
  bulk?: boolean;
  now?: Date;
}

export interface SeedResult {
  tenantId: string;
  domain: string;
  seed: string;
  counts: Record<string, number>;
  links: number;
  ms: number;
}

export function tenantIdForSeed(seed: string): string {
  return guidFromString(`dev-tenant:${seed}`);
}

const E5_SKU = '06ebc4ee-1bb5-47dd-8120-11324bc54e06';
const DAY_MS = 86_400_000;
const dayPrefix = new Map<number, string>();
const two = (n: number) => (n < 10 ? `0${n}` : String(n));

/**
 * ISO 8601 without milliseconds, as Graph writes it: `new Date(ms).toISOString()` less the
 * milliseconds, with the date part cached per day (~10 calls per user).
 */
function iso(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  let prefix = dayPrefix.get(day);
  if (prefix === undefined) {
    prefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
    dayPrefix.set(day, prefix);
  }
  const s = Math.floor((ms - day * DAY_MS) / 1000);
  return `${prefix}${two(Math.floor(s / 3600))}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}Z`;
}

interface Pending {
  type: StoredType;
  data: Json;
}
interface PendingLink {
  kind: LinkKind;
  source: string;
  target: string;
  targetType: StoredType;
}

const BULK_ROWS = 50_000;

/**
 * Bulk-load settings: a big page cache and, when no other connection has the file open, the
 * rollback journal instead of WAL (WAL writes every page twice: to the log, then at checkpoint).
 * The switch is tried without waiting; with another connection open the load stays in WAL. Small
 * seeds stay in WAL: the switches and the rollback journal's syncs cost more than they save.
 */
function enterBulkLoad(db: Db, rows: number, bulk: boolean): { leftWal: boolean; indexes: string[] } {
  db.pragma('cache_size = -262144');
  db.pragma('busy_timeout = 0');
  let leftWal = false;
  try {
    if (bulk) leftWal = db.pragma('journal_mode = DELETE', { simple: true }) === 'delete';
  } catch {
    // Another connection holds the file: stay in WAL.
  }
  db.pragma('busy_timeout = 10000');
  return { leftWal, indexes: leftWal ? droppableIndexes(db, rows) : [] };
}

/**
 * With the file to ourselves, secondary indexes are dropped for the load and rebuilt after it
 * (a sorted build costs ~0.6 s of CPU at 100k users against ~2 s of scattered inserts), unless
 * the file already holds more rows than the load adds (their rebuild would cost more).
 */
function droppableIndexes(db: Db, rows: number): string[] {
  const existing = (db.prepare('SELECT COUNT(*) AS n FROM objects').get() as { n: number }).n;
  if (existing > rows) return [];
  return (
    db
      .prepare(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('objects', 'links') AND sql IS NOT NULL",
      )
      .all() as { sql: string }[]
  ).map((r) => r.sql);
}

/** The index name of a `CREATE INDEX [IF NOT EXISTS] name ON …` statement. */
const indexName = (sql: string) => /INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)/i.exec(sql)?.[1];

function leaveBulkLoad(db: Db, bulk: { leftWal: boolean }): void {
  if (bulk.leftWal) db.pragma('journal_mode = WAL');
  db.pragma('cache_size = -16384');
}

/** Removes every row of a tenant (used before a reseed). */
export function deleteTenant(db: Db, tenantId: string): void {
  db.transaction(() => {
    db.prepare('DELETE FROM objects WHERE tenant_id = ?').run(tenantId);
    db.prepare('DELETE FROM links WHERE tenant_id = ?').run(tenantId);
    db.prepare('DELETE FROM tenants WHERE tenant_id = ?').run(tenantId);
  }).immediate();
}

export function seedTenant(db: Db, options: SeedOptions = {}): SeedResult {
  const started = Date.now();
  const seed = options.seed ?? 'contoso';
  const tenantId = options.tenantId ?? tenantIdForSeed(seed);
  const domain = (
    options.domain ?? `${seed.replace(/[^a-z0-9]/gi, '').toLowerCase() || 'contoso'}.onmicrosoft.com`
  ).toLowerCase();
  const orgName = options.displayName ?? `${domain.split('.')[0].replace(/^./, (c) => c.toUpperCase())}`;
  const nUsers = Math.max(1, options.users ?? 200);
  const nGroups = Math.max(2, options.groups ?? Math.max(20, Math.floor(nUsers / 10)));
  const nLarge = Math.min(nGroups, Math.max(0, options.largeGroups ?? 1));
  const largeSize = Math.min(nUsers, options.largeGroupSize ?? 50_000);
  const nApps = options.applications ?? 12;
  const nDevices = options.devices ?? Math.max(10, Math.floor(nUsers / 4));
  const nAUs = options.administrativeUnits ?? 3;
  const nSignIns = options.signIns ?? Math.min(5000, nUsers * 3);
  const nAudits = options.directoryAudits ?? 50;
  const nCa = options.conditionalAccessPolicies ?? 5;
  const nCustomRoles = options.customRoles ?? 2;
  const now = (options.now ?? new Date()).getTime();
  const rng = new Rng(`${seed}|${tenantId}`);
  const base = Date.UTC(2022, 0, 3, 9, 0, 0);

  const objects: Pending[] = [];
  const links: PendingLink[] = [];
  const add = (type: StoredType, data: Json) => {
    objects.push({ type, data });
    return data;
  };

  // Users.
  const users: Json[] = [];
  const nicknames = new Map<string, number>();
  const guestMails = new Map<string, number>();
  for (let i = 0; i < nUsers; i++) {
    const persona = PERSONAS[i];
    const given = persona ? persona.split(' ')[0] : rng.pick(FIRST_NAMES);
    const surname = persona ? persona.split(' ')[1] : rng.pick(LAST_NAMES);
    const guest = i >= PERSONAS.length && rng.chance(0.03);
    const dept = DEPARTMENTS[i < 3 ? 5 : rng.int(DEPARTMENTS.length)];
    const office = OFFICES[rng.int(OFFICES.length)];
    const baseNick = `${given}${surname}`.replace(/[^A-Za-z0-9]/g, '');
    const n = (nicknames.get(baseNick.toLowerCase()) ?? 0) + 1;
    nicknames.set(baseNick.toLowerCase(), n);
    const nick = n === 1 ? baseNick : `${baseNick}${n}`;
    const id = rng.guid();
    const created = base + rng.int(1000 * 86400) * 1000;
    const guestDomain = rng.pick(GUEST_DOMAINS);
    // Guests' UPNs derive from their home mail: two namesakes from one domain get a number, so
    // UPN and mailNickname stay unique as Entra requires (no extra draw: other ids are unchanged).
    let guestLocal = `${given.toLowerCase()}.${surname.toLowerCase()}`;
    if (guest) {
      const key = `${guestLocal}@${guestDomain}`;
      const seen = (guestMails.get(key) ?? 0) + 1;
      guestMails.set(key, seen);
      if (seen > 1) guestLocal += String(seen);
    }
    const mail = guest ? `${guestLocal}@${guestDomain}` : `${nick}@${domain}`;
    const upn = guest ? `${mail.replace('@', '_')}#EXT#@${domain}` : `${nick}@${domain}`;
    const enabled = i < PERSONAS.length || !rng.chance(0.05);
    const lastSignIn = now - rng.int(30 * 86400) * 1000;
    const user: Json = {
      id,
      businessPhones: guest ? [] : [`${office.phone}${100 + (i % 900)}`],
      displayName: `${given} ${surname}`,
      givenName: given,
      jobTitle: guest ? null : rng.pick(dept.titles),
      mail,
      mobilePhone: guest || rng.chance(0.5) ? null : `+1 555 01${String(i % 100).padStart(2, '0')}`,
      officeLocation: guest ? null : office.office,
      preferredLanguage: 'en-US',
      surname,
      userPrincipalName: upn,
      accountEnabled: enabled,
      ageGroup: null,
      assignedLicenses: guest ? [] : [{ disabledPlans: [], skuId: E5_SKU }],
      assignedPlans: [],
      city: guest ? null : office.city,
      companyName: guest ? guestDomain.split('.')[0] : orgName,
      consentProvidedForMinor: null,
      country: guest ? null : office.country,
      createdDateTime: iso(created),
      creationType: guest ? 'Invitation' : null,
      deletedDateTime: null,
      department: guest ? null : dept.name,
      employeeHireDate: guest ? null : iso(created),
      employeeId: guest ? null : String(100000 + i),
      employeeOrgData: null,
      employeeType: guest ? null : rng.chance(0.1) ? 'Contractor' : 'Employee',
      externalUserState: guest ? 'Accepted' : null,
      externalUserStateChangeDateTime: guest ? iso(created + 3600_000) : null,
      faxNumber: null,
      identities: [{ signInType: 'userPrincipalName', issuer: domain, issuerAssignedId: upn }],
      imAddresses: guest ? [] : [upn],
      lastPasswordChangeDateTime: iso(created + 86400_000),
      legalAgeGroupClassification: null,
      licenseAssignmentStates: [],
      mailNickname: guest ? mail.replace('@', '_') : nick,
      onPremisesDistinguishedName: null,
      onPremisesDomainName: null,
      onPremisesExtensionAttributes: { extensionAttribute1: guest ? null : dept.name },
      onPremisesImmutableId: null,
      onPremisesLastSyncDateTime: null,
      onPremisesSamAccountName: null,
      onPremisesSecurityIdentifier: null,
      onPremisesSyncEnabled: null,
      onPremisesUserPrincipalName: null,
      otherMails: guest ? [mail] : [],
      passwordPolicies: null,
      passwordProfile: null,
      postalCode: guest ? null : '98052',
      preferredDataLocation: null,
      provisionedPlans: [],
      proxyAddresses: [`SMTP:${mail}`],
      refreshTokensValidFromDateTime: iso(created),
      securityIdentifier: `S-1-12-1-${rng.int(4294967295)}-${rng.int(4294967295)}-${rng.int(4294967295)}-${rng.int(4294967295)}`,
      showInAddressList: null,
      signInActivity: {
        lastSignInDateTime: iso(lastSignIn),
        lastSignInRequestId: rng.guid(),
        lastNonInteractiveSignInDateTime: iso(lastSignIn + 600_000),
        lastNonInteractiveSignInRequestId: rng.guid(),
        lastSuccessfulSignInDateTime: iso(lastSignIn),
        lastSuccessfulSignInRequestId: rng.guid(),
      },
      signInSessionsValidFromDateTime: iso(created),
      state: guest ? null : office.state,
      streetAddress: guest ? null : `${1 + rng.int(9000)} Main Street`,
      usageLocation: guest ? null : office.usage,
      userType: guest ? 'Guest' : 'Member',
    };
    users.push(add('user', user));
  }
  const members = users.filter((u) => u.userType === 'Member');
  // Managers: per department an 8-ary tree in creation order, headed by its first member. No
  // random draws, so every other object of a seed is unchanged.
  const departmentMembers = new Map<unknown, Json[]>();
  for (const u of members) {
    const list = departmentMembers.get(u.department) ?? [];
    if (list.length)
      links.push({
        kind: 'manager',
        source: String(u.id),
        target: String(list[Math.floor((list.length - 1) / 8)].id),
        targetType: 'user',
      });
    list.push(u);
    departmentMembers.set(u.department, list);
  }
  const usersById = new Map(users.map((u) => [String(u.id), u]));
  const pickUser = () => users[rng.int(users.length)];
  const pickMember = () => members[rng.int(members.length)];

  // Groups.
  const groups: Json[] = [];
  const groupNicks = new Set<string>();
  const groupNames = new Set<string>();
  for (let g = 0; g < nGroups; g++) {
    const id = rng.guid();
    const large = g < nLarge;
    const kindRoll = rng.next();
    const kind = large
      ? 'unified'
      : kindRoll < 0.42
        ? 'unified'
        : kindRoll < 0.86
          ? 'security'
          : kindRoll < 0.93
            ? 'mailSecurity'
            : 'distribution';
    const dept = DEPARTMENTS[g % DEPARTMENTS.length];
    const project = PROJECTS[g % PROJECTS.length];
    let displayName: string;
    if (g === 0) displayName = 'All Company';
    else if (large) displayName = `All ${dept.name} ${g}`;
    else if (kind === 'unified') displayName = g % 2 ? `${dept.name} Team` : `Project ${project}`;
    else if (kind === 'security')
      displayName = `SG-${dept.name.replace(/\s/g, '')}-${g % 3 ? 'Readers' : 'Admins'}`;
    else if (kind === 'mailSecurity') displayName = `${dept.name} Secure Mail`;
    else displayName = `DL ${dept.name} Announcements`;
    if (groupNames.has(displayName)) displayName = `${displayName} ${g}`;
    groupNames.add(displayName);
    let nick = displayName.replace(/[^A-Za-z0-9]/g, '');
    if (groupNicks.has(nick.toLowerCase())) nick = `${nick}${g}`;
    groupNicks.add(nick.toLowerCase());
    const mailEnabled = kind !== 'security';
    const roleAssignable = kind === 'security' && g % 7 === 3;
    const dynamic = kind === 'security' && g % 11 === 5;
    const created = base + rng.int(900 * 86400) * 1000;
    const group: Json = {
      id,
      deletedDateTime: null,
      classification: null,
      createdDateTime: iso(created),
      creationOptions: kind === 'unified' ? ['YammerProvisioning'].slice(0, g % 5 === 0 ? 1 : 0) : [],
      description: `${displayName} (${kind === 'unified' ? 'Microsoft 365' : kind === 'security' ? 'security' : kind === 'mailSecurity' ? 'mail-enabled security' : 'distribution'} group)`,
      displayName,
      expirationDateTime: null,
      groupTypes: kind === 'unified' ? ['Unified'] : dynamic ? ['DynamicMembership'] : [],
      isAssignableToRole: roleAssignable ? true : null,
      mail: mailEnabled ? `${nick}@${domain}` : null,
      mailEnabled,
      mailNickname: nick,
      membershipRule: dynamic ? `(user.department -eq "${dept.name}")` : null,
      membershipRuleProcessingState: dynamic ? 'On' : null,
      onPremisesDomainName: null,
      onPremisesLastSyncDateTime: null,
      onPremisesNetBiosName: null,
      onPremisesSamAccountName: null,
      onPremisesSecurityIdentifier: null,
      onPremisesSyncEnabled: null,
      onPremisesProvisioningErrors: [],
      preferredDataLocation: null,
      preferredLanguage: null,
      proxyAddresses: mailEnabled ? [`SMTP:${nick}@${domain}`] : [],
      renewedDateTime: iso(created),
      resourceBehaviorOptions: [],
      resourceProvisioningOptions: kind === 'unified' && g % 3 === 0 ? ['Team'] : [],
      securityEnabled: kind === 'security' || kind === 'mailSecurity' || (kind === 'unified' && g % 4 === 0),
      securityIdentifier: `S-1-12-1-${rng.int(4294967295)}-${rng.int(4294967295)}`,
      serviceProvisioningErrors: [],
      theme: null,
      visibility: kind === 'unified' ? (g % 5 === 1 ? 'Private' : 'Public') : null,
      assignedLicenses: [],
      licenseProcessingState: null,
      hasMembersWithLicenseErrors: false,
      allowExternalSenders: kind === 'unified' ? false : null,
      autoSubscribeNewMembers: kind === 'unified' ? false : null,
      hideFromAddressLists: kind === 'unified' ? false : null,
      hideFromOutlookClients: kind === 'unified' ? false : null,
      isSubscribedByMail: null,
      unseenCount: null,
    };
    groups.push(add('group', group));
    if (large) {
      // Deterministic spread: every k-th user from an offset.
      const step = Math.max(1, Math.floor(nUsers / largeSize));
      let count = 0;
      for (let u = g % step; u < nUsers && count < largeSize; u += step, count++)
        links.push({ kind: 'members', source: id, target: String(users[u].id), targetType: 'user' });
    } else {
      const size = Math.min(members.length, 3 + rng.int(Math.min(20, members.length)));
      const chosen = new Set<string>();
      for (let k = 0; k < size; k++) chosen.add(String(pickUser().id));
      for (const target of chosen) links.push({ kind: 'members', source: id, target, targetType: 'user' });
    }
    if (kind === 'unified' || g % 2 === 0) {
      const owner = String(pickMember().id);
      links.push({ kind: 'owners', source: id, target: owner, targetType: 'user' });
      if (g % 3 === 0) {
        const second = String(pickMember().id);
        if (second !== owner) links.push({ kind: 'owners', source: id, target: second, targetType: 'user' });
      }
    }
  }
  // Nested groups: a few security groups contain another group.
  const security = groups.filter(
    (x) => (x.groupTypes as string[]).length === 0 && x.securityEnabled === true && !x.mailEnabled,
  );
  for (let k = 0; k + 1 < security.length && k < 6; k += 2)
    links.push({
      kind: 'members',
      source: String(security[k].id),
      target: String(security[k + 1].id),
      targetType: 'group',
    });

  // Role definitions (built-in: id == templateId, version "1") and custom roles.
  for (const t of ROLE_TEMPLATES)
    add('roleDefinition', {
      id: t.id,
      description: t.description,
      displayName: t.displayName,
      isBuiltIn: true,
      isEnabled: true,
      resourceScopes: ['/'],
      rolePermissions: [{ allowedResourceActions: t.actions, condition: null }],
      templateId: t.id,
      version: '1',
    });
  const customRoles: Json[] = [];
  const customNames = ['Helpdesk Tier 1', 'App Secret Rotator', 'Device Inventory Reader', 'Guest Inviter'];
  for (let c = 0; c < nCustomRoles; c++) {
    const id = rng.guid();
    customRoles.push(
      add('roleDefinition', {
        id,
        description: `Custom role: ${customNames[c % customNames.length]}`,
        displayName: `${customNames[c % customNames.length]}${c >= customNames.length ? ` ${c}` : ''}`,
        isBuiltIn: false,
        isEnabled: true,
        resourceScopes: ['/'],
        rolePermissions: [
          {
            allowedResourceActions:
              c % 2 === 0
                ? ['microsoft.directory/users/password/update', 'microsoft.directory/users/basic/update']
                : ['microsoft.directory/applications/credentials/update'],
            condition: null,
          },
        ],
        templateId: id,
        version: null,
      }),
    );
  }

  // Administrative units (+ members).
  const aus: Json[] = [];
  const auNames = [
    'Seattle Office',
    'Paris Office',
    'Contractors',
    'Executives',
    'Tokyo Office',
    'Retail Stores',
  ];
  for (let a = 0; a < nAUs; a++) {
    const id = rng.guid();
    const name = `${auNames[a % auNames.length]}${a >= auNames.length ? ` ${a}` : ''}`;
    aus.push(
      add('administrativeUnit', {
        id,
        deletedDateTime: null,
        description: `Administrative unit for ${name}`,
        displayName: name,
        isMemberManagementRestricted: a === 3 ? true : null,
        membershipRule: null,
        membershipRuleProcessingState: null,
        membershipType: null,
        visibility: a === 2 ? 'HiddenMembership' : null,
      }),
    );
    const chosen = new Set<string>();
    const size = Math.min(users.length, 5 + rng.int(20));
    for (let k = 0; k < size; k++) chosen.add(String(pickUser().id));
    for (const target of chosen) links.push({ kind: 'members', source: id, target, targetType: 'user' });
    if (groups[a + 1])
      links.push({ kind: 'members', source: id, target: String(groups[a + 1].id), targetType: 'group' });
  }

  // Applications and service principals; Microsoft Graph's SP to receive app role assignments.
  const graphSpId = rng.guid();
  add('servicePrincipal', {
    id: graphSpId,
    accountEnabled: true,
    appDisplayName: 'Microsoft Graph',
    appId: MS_GRAPH_APP_ID,
    appOwnerOrganizationId: 'f8cdef31-a31e-4b4a-93e4-5f571e91255a',
    appRoleAssignmentRequired: false,
    appRoles: GRAPH_APP_ROLES.map((r) => ({
      allowedMemberTypes: ['Application'],
      description: `Allows the app to ${r.value}`,
      displayName: r.value,
      id: r.id,
      isEnabled: true,
      origin: 'Application',
      value: r.value,
    })),
    createdDateTime: iso(base),
    deletedDateTime: null,
    displayName: 'Microsoft Graph',
    servicePrincipalNames: [MS_GRAPH_APP_ID, 'https://graph.microsoft.com'],
    servicePrincipalType: 'Application',
    signInAudience: 'AzureADMultipleOrgs',
    passwordCredentials: [],
    keyCredentials: [],
    tags: [],
  });
  const apps: { app: Json; sp: Json }[] = [];
  for (let a = 0; a < nApps; a++) {
    const id = rng.guid();
    const appId = rng.guid();
    const name = `${orgName} ${APP_NAMES[a % APP_NAMES.length]}${a >= APP_NAMES.length ? ` ${a}` : ''}`;
    const created = base + rng.int(900 * 86400) * 1000;
    const graphRoles = [
      ...new Set([
        GRAPH_APP_ROLES[a % GRAPH_APP_ROLES.length],
        GRAPH_APP_ROLES[(a * 3 + 1) % GRAPH_APP_ROLES.length],
      ]),
    ];
    const ownRoles =
      a % 3 === 0
        ? [
            { id: rng.guid(), value: 'Reader', displayName: 'Reader' },
            { id: rng.guid(), value: 'Writer', displayName: 'Writer' },
          ].map((r) => ({
            allowedMemberTypes: ['User'],
            description: `${r.displayName} of ${name}`,
            displayName: r.displayName,
            id: r.id,
            isEnabled: true,
            origin: 'Application',
            value: r.value,
          }))
        : [];
    const secretStart = created + 86400_000;
    const app = add('application', {
      id,
      appId,
      applicationTemplateId: null,
      appRoles: ownRoles,
      createdDateTime: iso(created),
      deletedDateTime: null,
      description: `Line-of-business app: ${name}`,
      disabledByMicrosoftStatus: null,
      displayName: name,
      groupMembershipClaims: a % 4 === 0 ? 'SecurityGroup' : null,
      identifierUris: a % 2 === 0 ? [`api://${appId}`] : [],
      info: {
        logoUrl: null,
        marketingUrl: null,
        privacyStatementUrl: null,
        supportUrl: null,
        termsOfServiceUrl: null,
      },
      isDeviceOnlyAuthSupported: null,
      isFallbackPublicClient: null,
      keyCredentials: [],
      notes: null,
      optionalClaims: null,
      parentalControlSettings: { countriesBlockedForMinors: [], legalAgeGroupRule: 'Allow' },
      passwordCredentials:
        a % 5 === 4
          ? []
          : [
              {
                customKeyIdentifier: null,
                displayName: 'CI secret',
                endDateTime: iso(secretStart + 730 * 86400_000),
                hint: appId.slice(0, 3),
                keyId: rng.guid(),
                secretText: null,
                startDateTime: iso(secretStart),
              },
            ],
      publicClient: { redirectUris: [] },
      publisherDomain: domain,
      requiredResourceAccess: [
        {
          resourceAppId: MS_GRAPH_APP_ID,
          resourceAccess: graphRoles.map((r) => ({ id: r.id, type: 'Role' })),
        },
      ],
      serviceManagementReference: null,
      signInAudience: a % 6 === 5 ? 'AzureADMultipleOrgs' : 'AzureADMyOrg',
      spa: { redirectUris: [] },
      tags: [],
      tokenEncryptionKeyId: null,
      verifiedPublisher: { displayName: null, verifiedPublisherId: null, addedDateTime: null },
      web: {
        homePageUrl: null,
        logoutUrl: null,
        redirectUris: [`https://app${a}.${domain.split('.')[0]}.example/auth`],
      },
      api: {
        acceptMappedClaims: null,
        knownClientApplications: [],
        oauth2PermissionScopes: [],
        preAuthorizedApplications: [],
        requestedAccessTokenVersion: 2,
      },
    });
    const spId = rng.guid();
    const sp = add('servicePrincipal', {
      id: spId,
      accountEnabled: true,
      appDisplayName: name,
      appId,
      appOwnerOrganizationId: tenantId,
      appRoleAssignmentRequired: ownRoles.length > 0,
      appRoles: ownRoles,
      createdDateTime: iso(created + 1000),
      deletedDateTime: null,
      description: null,
      displayName: name,
      homepage: null,
      keyCredentials: [],
      notificationEmailAddresses: [],
      oauth2PermissionScopes: [],
      passwordCredentials: [],
      preferredSingleSignOnMode: null,
      replyUrls: (app.web as { redirectUris: string[] }).redirectUris,
      servicePrincipalNames: [appId, ...(app.identifierUris as string[])],
      servicePrincipalType: 'Application',
      signInAudience: app.signInAudience,
      tags: ['WindowsAzureActiveDirectoryIntegratedApp'],
    });
    apps.push({ app, sp });
    const owner = String(pickMember().id);
    links.push({ kind: 'owners', source: id, target: owner, targetType: 'user' });
    links.push({ kind: 'owners', source: spId, target: owner, targetType: 'user' });
    for (const role of graphRoles)
      add('appRoleAssignment', {
        id: appRoleAssignmentId(spId, graphSpId, role.id),
        appRoleId: role.id,
        createdDateTime: iso(created + 2000),
        deletedDateTime: null,
        principalDisplayName: name,
        principalId: spId,
        principalType: 'ServicePrincipal',
        resourceDisplayName: 'Microsoft Graph',
        resourceId: graphSpId,
      });
    for (const role of ownRoles) {
      const principals = new Set<string>();
      for (let k = 0; k < 3; k++) principals.add(String(pickMember().id));
      for (const p of principals) {
        const user = usersById.get(p) as Json;
        add('appRoleAssignment', {
          id: appRoleAssignmentId(p, spId, role.id),
          appRoleId: role.id,
          createdDateTime: iso(created + 3000),
          deletedDateTime: null,
          principalDisplayName: user.displayName,
          principalId: p,
          principalType: 'User',
          resourceDisplayName: name,
          resourceId: spId,
        });
      }
      const grp = groups[1 + (apps.length % Math.max(1, groups.length - 1))];
      if (grp)
        add('appRoleAssignment', {
          id: appRoleAssignmentId(String(grp.id), spId, role.id),
          appRoleId: role.id,
          createdDateTime: iso(created + 4000),
          deletedDateTime: null,
          principalDisplayName: grp.displayName,
          principalId: grp.id,
          principalType: 'Group',
          resourceDisplayName: name,
          resourceId: spId,
        });
    }
  }

  // Directory roles (activated) and their role assignments at tenant scope.
  const activated = ROLE_TEMPLATES.slice(0, Math.min(ROLE_TEMPLATES.length, 9));
  const roleHolders = new Map<string, { id: string; type: StoredType }[]>();
  const holder = (tpl: string, id: string, type: StoredType) => {
    const list = roleHolders.get(tpl) ?? [];
    if (!list.some((h) => h.id === id)) list.push({ id, type });
    roleHolders.set(tpl, list);
  };
  holder(GLOBAL_ADMIN_TEMPLATE, String(users[0].id), 'user');
  if (users[1]) holder(GLOBAL_ADMIN_TEMPLATE, String(users[1].id), 'user');
  holder(PRIVILEGED_ROLE_ADMIN_TEMPLATE, String(users[Math.min(2, users.length - 1)].id), 'user');
  for (const t of activated.slice(2)) {
    const count = 1 + rng.int(3);
    for (let k = 0; k < count; k++) holder(t.id, String(pickMember().id), 'user');
  }
  const roleGroup = groups.find((x) => x.isAssignableToRole === true);
  if (roleGroup) holder('729827e3-9c14-49f7-bb1b-9608f156bbb8', String(roleGroup.id), 'group');
  if (apps[0]) holder('9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3', String(apps[0].sp.id), 'servicePrincipal');
  for (const t of activated) {
    const id = rng.guid();
    add('directoryRole', {
      id,
      deletedDateTime: null,
      description: t.description,
      displayName: t.displayName,
      roleTemplateId: t.id,
    });
    for (const h of roleHolders.get(t.id) ?? []) {
      links.push({ kind: 'members', source: id, target: h.id, targetType: h.type });
      add('roleAssignment', {
        id: roleAssignmentId(t.id, h.id, '/'),
        principalId: h.id,
        roleDefinitionId: t.id,
        directoryScopeId: '/',
        appScopeId: null,
        resourceScope: '/',
        condition: null,
      });
    }
  }
  customRoles.forEach((role, c) => {
    const principal = String(pickMember().id);
    const scope =
      aus[c % Math.max(1, aus.length)] && c % 2 === 0
        ? `/administrativeUnits/${aus[c % aus.length].id}`
        : '/';
    add('roleAssignment', {
      id: roleAssignmentId(String(role.id), principal, scope),
      principalId: principal,
      roleDefinitionId: role.id,
      directoryScopeId: scope,
      appScopeId: null,
      resourceScope: scope,
      condition: null,
    });
  });

  // Devices (+ registered owners).
  const oses = [
    {
      os: 'Windows',
      v: '10.0.22631.3155',
      prefix: 'DESKTOP-',
      trust: 'AzureAd',
      maker: 'Microsoft Corporation',
      model: 'Surface Laptop 5',
    },
    { os: 'iOS', v: '17.4.1', prefix: 'iPhone-', trust: 'Workplace', maker: 'Apple', model: 'iPhone 15' },
    { os: 'Android', v: '14', prefix: 'Android-', trust: 'Workplace', maker: 'Samsung', model: 'Galaxy S24' },
    { os: 'MacMDM', v: '14.4', prefix: 'MAC-', trust: 'Workplace', maker: 'Apple', model: 'MacBook Pro' },
    {
      os: 'Windows',
      v: '10.0.19045.4170',
      prefix: 'LAPTOP-',
      trust: 'ServerAd',
      maker: 'Dell Inc.',
      model: 'Latitude 7440',
    },
  ];
  for (let d = 0; d < nDevices; d++) {
    const kind = oses[rng.int(oses.length)];
    const id = rng.guid();
    const registered = base + rng.int(900 * 86400) * 1000;
    add('device', {
      id,
      accountEnabled: !rng.chance(0.04),
      alternativeSecurityIds: [
        { type: 2, identityProvider: null, key: Buffer.from(rng.guid()).toString('base64') },
      ],
      approximateLastSignInDateTime: iso(now - rng.int(40 * 86400) * 1000),
      complianceExpirationDateTime: null,
      createdDateTime: iso(registered),
      deletedDateTime: null,
      deviceCategory: null,
      deviceId: rng.guid(),
      deviceMetadata: null,
      deviceOwnership: rng.chance(0.7) ? 'Company' : 'Personal',
      deviceVersion: 2,
      displayName: `${kind.prefix}${rng.guid().slice(0, 7).toUpperCase()}`,
      enrollmentProfileName: null,
      enrollmentType: null,
      extensionAttributes: {},
      isCompliant: rng.chance(0.85),
      isManaged: rng.chance(0.8),
      managementType: 'MDM',
      manufacturer: kind.maker,
      mdmAppId: '0000000a-0000-0000-c000-000000000000',
      model: kind.model,
      onPremisesLastSyncDateTime: null,
      onPremisesSyncEnabled: kind.trust === 'ServerAd' ? true : null,
      operatingSystem: kind.os,
      operatingSystemVersion: kind.v,
      physicalIds: [],
      profileType: 'RegisteredDevice',
      registrationDateTime: iso(registered),
      systemLabels: [],
      trustType: kind.trust,
    });
    links.push({ kind: 'registeredOwners', source: id, target: String(pickMember().id), targetType: 'user' });
  }

  // Sign-in logs (newest first is a read-time order; created within the last 7 days).
  const riskStates = ['none', 'none', 'none', 'low', 'medium'];
  for (let s = 0; s < nSignIns; s++) {
    const user = pickUser();
    const app = apps.length ? apps[rng.int(apps.length)].app : undefined;
    const created = now - Math.floor(((s + 1) / (nSignIns + 1)) * 7 * 86400_000) - rng.int(60) * 1000;
    const failed = rng.chance(0.08);
    const office = OFFICES[rng.int(OFFICES.length)];
    const risk = rng.pick(riskStates);
    add('signIn', {
      id: rng.guid(),
      createdDateTime: iso(created),
      userDisplayName: user.displayName,
      userPrincipalName: user.userPrincipalName,
      userId: user.id,
      appId: app ? app.appId : '00000002-0000-0ff1-ce00-000000000000',
      appDisplayName: app ? app.displayName : 'Office 365 Exchange Online',
      ipAddress: `${20 + rng.int(200)}.${rng.int(255)}.${rng.int(255)}.${1 + rng.int(254)}`,
      clientAppUsed: rng.chance(0.8) ? 'Browser' : 'Mobile Apps and Desktop clients',
      correlationId: rng.guid(),
      conditionalAccessStatus: rng.pick(['success', 'notApplied', 'success']),
      isInteractive: rng.chance(0.7),
      riskDetail: 'none',
      riskLevelAggregated: risk,
      riskLevelDuringSignIn: risk,
      riskState: risk === 'none' ? 'none' : 'atRisk',
      riskEventTypes: [],
      riskEventTypes_v2: [],
      resourceDisplayName: 'Microsoft Graph',
      resourceId: MS_GRAPH_APP_ID,
      status: failed
        ? {
            errorCode: 50126,
            failureReason: 'Invalid username or password or Invalid on-premise username or password.',
            additionalDetails: null,
          }
        : { errorCode: 0, failureReason: 'Other.', additionalDetails: null },
      deviceDetail: {
        deviceId: '',
        displayName: null,
        operatingSystem: rng.pick(['Windows 10', 'iOS 17', 'Android']),
        browser: rng.pick(['Edge 122.0.0', 'Chrome 123.0.0', 'Safari 17']),
        isCompliant: null,
        isManaged: null,
        trustType: null,
      },
      location: {
        city: office.city,
        state: office.state,
        countryOrRegion: office.usage,
        geoCoordinates: { altitude: null, latitude: 47.6 + rng.next(), longitude: -122.3 + rng.next() },
      },
      appliedConditionalAccessPolicies: [],
    });
  }

  // Directory audits.
  const activities = [
    'Add user',
    'Update user',
    'Add member to group',
    'Remove member from group',
    'Add app role assignment to service principal',
    'Update application',
  ];
  for (let a = 0; a < nAudits; a++) {
    const target = pickUser();
    add('directoryAudit', {
      id: `Directory_${rng.guid().replace(/-/g, '').toUpperCase().slice(0, 20)}_${a}`,
      activityDateTime: iso(now - Math.floor(((a + 1) / (nAudits + 1)) * 14 * 86400_000)),
      activityDisplayName: rng.pick(activities),
      additionalDetails: [],
      category: 'UserManagement',
      correlationId: rng.guid(),
      initiatedBy: {
        app: null,
        user: {
          id: users[0].id,
          displayName: users[0].displayName,
          userPrincipalName: users[0].userPrincipalName,
          ipAddress: null,
        },
      },
      loggedByService: 'Core Directory',
      operationType: 'Update',
      result: 'success',
      resultReason: '',
      targetResources: [
        {
          id: target.id,
          displayName: target.displayName,
          type: 'User',
          userPrincipalName: target.userPrincipalName,
          modifiedProperties: [],
        },
      ],
    });
  }

  // Conditional access policies.
  const finance = groups.find((x) => String(x.displayName).includes('Finance')) ?? groups[0];
  const breakGlass = String(users[0].id);
  const caTemplates: Json[] = [
    {
      displayName: 'Require MFA for administrators',
      state: 'enabled',
      users: {
        includeUsers: [],
        excludeUsers: [breakGlass],
        includeGroups: [],
        excludeGroups: [],
        includeRoles: [GLOBAL_ADMIN_TEMPLATE, PRIVILEGED_ROLE_ADMIN_TEMPLATE],
        excludeRoles: [],
      },
      clientAppTypes: ['all'],
      grant: { operator: 'OR', builtInControls: ['mfa'] },
    },
    {
      displayName: 'Block legacy authentication',
      state: 'enabled',
      users: {
        includeUsers: ['All'],
        excludeUsers: [breakGlass],
        includeGroups: [],
        excludeGroups: [],
        includeRoles: [],
        excludeRoles: [],
      },
      clientAppTypes: ['exchangeActiveSync', 'other'],
      grant: { operator: 'OR', builtInControls: ['block'] },
    },
    {
      displayName: 'Require compliant device for Finance',
      state: 'enabledForReportingButNotEnforced',
      users: {
        includeUsers: [],
        excludeUsers: [],
        includeGroups: [finance.id],
        excludeGroups: [],
        includeRoles: [],
        excludeRoles: [],
      },
      clientAppTypes: ['all'],
      grant: { operator: 'AND', builtInControls: ['compliantDevice'] },
    },
    {
      displayName: 'Sign-in risk: require MFA',
      state: 'enabled',
      users: {
        includeUsers: ['All'],
        excludeUsers: [],
        includeGroups: [],
        excludeGroups: [],
        includeRoles: [],
        excludeRoles: [],
      },
      clientAppTypes: ['all'],
      grant: { operator: 'OR', builtInControls: ['mfa'] },
      risk: ['high', 'medium'],
    },
    {
      displayName: 'Block access from untrusted countries',
      state: 'disabled',
      users: {
        includeUsers: ['All'],
        excludeUsers: [breakGlass],
        includeGroups: [],
        excludeGroups: [],
        includeRoles: [],
        excludeRoles: [],
      },
      clientAppTypes: ['all'],
      grant: { operator: 'OR', builtInControls: ['block'] },
      locations: true,
    },
  ];
  for (let c = 0; c < nCa; c++) {
    const t = caTemplates[c % caTemplates.length];
    const created = base + rng.int(600 * 86400) * 1000;
    add('conditionalAccessPolicy', {
      id: rng.guid(),
      templateId: null,
      displayName: c < caTemplates.length ? t.displayName : `${t.displayName} ${c}`,
      createdDateTime: iso(created),
      modifiedDateTime: iso(created + 30 * 86400_000),
      state: t.state,
      sessionControls: null,
      conditions: {
        userRiskLevels: [],
        signInRiskLevels: (t.risk as string[] | undefined) ?? [],
        clientAppTypes: t.clientAppTypes,
        platforms: null,
        locations: t.locations ? { includeLocations: ['All'], excludeLocations: ['AllTrusted'] } : null,
        applications: { includeApplications: ['All'], excludeApplications: [], includeUserActions: [] },
        users: t.users,
      },
      grantControls: {
        operator: (t.grant as Json).operator,
        builtInControls: (t.grant as Json).builtInControls,
        customAuthenticationFactors: [],
        termsOfUse: [],
      },
    });
  }

  // Write: tenant row, links, then objects, each with its own seq. Sorted by key so the B-tree
  // inserts stay local (random GUID order thrashes the page cache at 100k+ rows).
  links.sort((a, b) =>
    a.kind < b.kind
      ? -1
      : a.kind > b.kind
        ? 1
        : a.source < b.source
          ? -1
          : a.source > b.source
            ? 1
            : a.target < b.target
              ? -1
              : 1,
  );
  const idOf = (o: Pending) => o.data.id as string;
  objects.sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : idOf(a) < idOf(b) ? -1 : 1));
  const debug = process.env.DEVTENANT_SEED_DEBUG ? { wall: Date.now(), cpu: process.cpuUsage() } : undefined;
  if (debug) process.stderr.write(`seed: generated in ${debug.wall - started} ms\n`);
  const rows = objects.length + links.length;
  const bulk = enterBulkLoad(db, rows, options.bulk ?? rows >= BULK_ROWS);
  try {
    db.transaction(() => {
      db.prepare('DELETE FROM objects WHERE tenant_id = ?').run(tenantId);
      db.prepare('DELETE FROM links WHERE tenant_id = ?').run(tenantId);
      db.prepare('DELETE FROM tenants WHERE tenant_id = ?').run(tenantId);
      let seq = 0;
      for (const sql of bulk.indexes) db.exec(`DROP INDEX IF EXISTS ${indexName(sql)}`);
      const insLink = db.prepare(
        'INSERT OR IGNORE INTO links (tenant_id, kind, source_id, target_id, target_type, state, seq) VALUES (?, ?, ?, ?, ?, 1, ?)',
      );
      for (const l of links) insLink.run(tenantId, l.kind, l.source, l.target, l.targetType, ++seq);
      const insObj = db.prepare(
        `INSERT INTO objects (tenant_id, type, id, seq, state, deleted_at, parent_id, ukey, name, sort_time, data)
         VALUES (?, ?, ?, ?, 1, NULL, ?, ?, ?, ?, ?)`,
      );
      for (const o of objects) {
        const c = derivedColumns(o.type, o.data);
        insObj.run(
          tenantId,
          o.type,
          String(o.data.id),
          ++seq,
          c.parentId,
          c.ukey,
          c.name,
          c.sortTime,
          JSON.stringify(o.data),
        );
      }
      for (const sql of bulk.indexes) db.exec(sql);
      db.prepare(
        `INSERT INTO tenants (tenant_id, domain, display_name, seed, premium, seq, created_at, faults) VALUES (?, ?, ?, ?, ?, ?, ?, '{}')`,
      ).run(tenantId, domain, orgName, seed, options.premium === false ? 0 : 1, seq, iso(now));
    }).immediate();
  } finally {
    leaveBulkLoad(db, bulk);
  }

  const counts: Record<string, number> = {};
  for (const o of objects) counts[o.type] = (counts[o.type] ?? 0) + 1;
  if (debug) {
    const cpu = process.cpuUsage(debug.cpu);
    process.stderr.write(
      `seed: written in ${Date.now() - debug.wall} ms (cpu ${Math.round((cpu.user + cpu.system) / 1000)} ms)\n`,
    );
  }
  return { tenantId, domain, seed, counts, links: links.length, ms: Date.now() - started };
}
