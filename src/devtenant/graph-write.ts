// Write endpoints with Graph's validation: required and read-only properties, unknown
// properties, uniqueness, group type matrix, the 20-reference limit, duplicate member adds,
// 404 for missing references, non-GUID role assignment ids, secrets shown only once.
import { randomBytes, randomUUID } from 'node:crypto';
import { prefersMinimal } from './delta.ts';
import { ACTIVE, type Json, type StoredObject } from './directory.ts';
import type { GraphResponse, HandlerContext } from './graph-context.ts';
import { errors, GraphHttpError } from './graph-errors.ts';
import { appRoleAssignmentId, isGuid, roleAssignmentId } from './ids.ts';
import { addLink, createObject, deleteObject, iso, updateObject } from './mutations.ts';
import { contextUrl, project, selection } from './projection.ts';
import { hasPermission, type LinkKind, type ResourceDef, resourceByType, typeName } from './resources.ts';

const UPN_RE = /^[A-Za-z0-9'.\-_!#^~]+@[A-Za-z0-9.-]+$/;
const NICK_FORBIDDEN = /[@()\\[\]";:.<>, \s]/;

function bodyObject(ctx: HandlerContext): Json {
  const b = ctx.req.body;
  if (!b || typeof b !== 'object' || Array.isArray(b))
    throw errors.badRequest('The request body must be a JSON object.');
  return b as Json;
}

/** Unknown and read-only properties are rejected; annotations (@odata.*) are allowed where used. */
function checkProperties(def: ResourceDef, body: Json, allowedExtra: string[] = []): void {
  for (const key of Object.keys(body)) {
    if (key.startsWith('@odata.') || allowedExtra.includes(key)) continue;
    if (key.endsWith('@odata.bind'))
      throw errors.badRequest(`Property '${key}' is not supported on this request.`);
    if (!def.properties.includes(key) && !def.singleOnly?.includes(key))
      throw errors.badRequest(
        `Property '${key}' does not exist as a declared property or extension property.`,
      );
    if (def.readOnly.includes(key))
      throw errors.badRequest(`Property '${key}' is read-only and cannot be set.`);
  }
}

function requireProps(def: ResourceDef, body: Json): void {
  for (const p of def.required)
    if (body[p] === undefined || body[p] === null || body[p] === '')
      throw errors.badRequest(`Property '${p}' is required when creating the object.`);
}

/** Parses `@odata.id` / bind URLs ending in a GUID: https://graph.microsoft.com/v1.0/directoryObjects/{id}. */
export function refTarget(ctx: HandlerContext, url: unknown): StoredObject {
  if (typeof url !== 'string')
    throw errors.badRequest("The '@odata.id' property is required and must be a URL.");
  const m =
    /\/(?:v1\.0|beta)\/(?:directoryObjects|users|groups|servicePrincipals|devices|applications|contacts|orgContacts)\/([^/?#]+)$/i.exec(
      url,
    );
  if (!m) throw errors.badRequest(`Invalid URL format specified in @odata.id: '${url}'.`);
  const id = decodeURIComponent(m[1]);
  if (!isGuid(id)) throw errors.invalidId(id);
  const target = ctx.dir.getById(id);
  if (!target || target.state !== ACTIVE || !resourceByType(target.type)?.directoryObject)
    throw errors.notFound(id);
  return target;
}

function created(ctx: HandlerContext, def: ResourceDef, obj: StoredObject, setPath = def.set): GraphResponse {
  const location = `${ctx.base}/${setPath}/${obj.id}`;
  // OData's minimal create answer (only when the fault setting opts in; Graph answers 201).
  if (ctx.preferMinimalOnCreate && prefersMinimal(ctx.req.headers))
    return {
      status: 204,
      headers: { location, 'odata-entityid': location, 'preference-applied': 'return=minimal' },
      objects: 1,
    };
  const sel = selection(def, undefined, false, { roles: ctx.caller.roles, premium: true });
  return {
    status: 201,
    headers: { location },
    body: {
      '@odata.context': contextUrl(ctx.base, setPath, undefined, true),
      ...project(obj.data, sel.props),
    },
    objects: 1,
  };
}

function checkUpn(ctx: HandlerContext, upn: unknown, selfId?: string): void {
  if (typeof upn !== 'string' || !UPN_RE.test(upn))
    throw errors.badRequest(`Invalid value specified for property 'userPrincipalName' of resource 'User'.`);
  const domain = upn.split('@')[1].toLowerCase();
  if (domain !== ctx.dir.tenant().domain)
    throw errors.badRequest(
      'The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization.',
    );
  const clash = ctx.dir.findActiveByKey('user', upn.toLowerCase());
  if (clash && clash.id !== selfId) throw errors.duplicateValue('userPrincipalName');
}

function checkNickname(ctx: HandlerContext, nick: unknown, selfId?: string): void {
  if (
    typeof nick !== 'string' ||
    !nick ||
    nick.length > 64 ||
    NICK_FORBIDDEN.test(nick) ||
    /[^\x20-\x7e]/.test(nick)
  )
    throw errors.badRequest("Invalid value specified for property 'mailNickname' of resource 'Group'.");
  const clash = ctx.dir.findActiveByKey('group', nick.toLowerCase());
  if (clash && clash.id !== selfId) throw errors.duplicateValue('mailNickname');
}

function binds(
  ctx: HandlerContext,
  body: Json,
  kinds: LinkKind[],
): { kind: LinkKind; target: StoredObject }[] {
  const out: { kind: LinkKind; target: StoredObject }[] = [];
  for (const kind of kinds) {
    const v = body[`${kind}@odata.bind`];
    if (v === undefined) continue;
    if (!Array.isArray(v)) throw errors.badRequest(`'${kind}@odata.bind' must be an array of URLs.`);
    for (const url of v) out.push({ kind, target: refTarget(ctx, url) });
  }
  if (out.length > 20)
    throw errors.badRequest('A maximum of 20 relationships can be added in a single request.');
  return out;
}

export function createEntity(ctx: HandlerContext, def: ResourceDef, parent?: StoredObject): GraphResponse {
  const body = bodyObject(ctx);
  const now = ctx.now;
  switch (def.type) {
    case 'user': {
      checkProperties(def, body);
      requireProps(def, body);
      const pp = body.passwordProfile as Json | null;
      if (!pp || typeof pp !== 'object' || typeof pp.password !== 'string' || !pp.password)
        throw errors.badRequest("Property 'passwordProfile.password' is required when creating a user.");
      if (typeof body.displayName !== 'string' || body.displayName.length > 256)
        throw errors.badRequest("Invalid value specified for property 'displayName' of resource 'User'.");
      checkUpn(ctx, body.userPrincipalName);
      const data: Json = {
        ...body,
        id: randomUUID(),
        passwordProfile: null,
        createdDateTime: iso(now),
        deletedDateTime: null,
        userType: body.userType ?? 'Member',
        businessPhones: body.businessPhones ?? [],
        proxyAddresses: body.mail ? [`SMTP:${body.mail}`] : [],
        identities: [
          {
            signInType: 'userPrincipalName',
            issuer: ctx.dir.tenant().domain,
            issuerAssignedId: body.userPrincipalName,
          },
        ],
      };
      return created(ctx, def, createObject(ctx.dir, 'user', data, now));
    }
    case 'group': {
      checkProperties(def, body, ['members@odata.bind', 'owners@odata.bind']);
      requireProps(def, body);
      const groupTypes = Array.isArray(body.groupTypes) ? (body.groupTypes as unknown[]) : [];
      const unified = groupTypes.includes('Unified');
      if (typeof body.displayName !== 'string' || body.displayName.length > 256)
        throw errors.badRequest("Invalid value specified for property 'displayName' of resource 'Group'.");
      if (unified && body.mailEnabled !== true)
        throw errors.badRequest('Microsoft 365 groups must be mail-enabled (mailEnabled: true).');
      if (!unified && body.mailEnabled === true)
        throw errors.badRequest(
          'Mail-enabled security groups and distribution groups cannot be created through Microsoft Graph.',
        );
      if (!unified && body.securityEnabled !== true)
        throw errors.badRequest('A group that is not a Microsoft 365 group must be security-enabled.');
      if (groupTypes.includes('DynamicMembership') && typeof body.membershipRule !== 'string')
        throw errors.badRequest("Property 'membershipRule' is required for dynamic groups.");
      if (
        body.isAssignableToRole === true &&
        !hasPermission(ctx.caller.roles, [['RoleManagement.ReadWrite.Directory']])
      )
        throw errors.denied();
      checkNickname(ctx, body.mailNickname);
      const refs = binds(ctx, body, ['members', 'owners']);
      const data: Json = {
        ...body,
        id: randomUUID(),
        createdDateTime: iso(now),
        renewedDateTime: iso(now),
        deletedDateTime: null,
        groupTypes,
        mail: body.mailEnabled ? `${body.mailNickname}@${ctx.dir.tenant().domain}` : null,
        proxyAddresses: body.mailEnabled ? [`SMTP:${body.mailNickname}@${ctx.dir.tenant().domain}`] : [],
        securityIdentifier: `S-1-12-1-${randomBytes(4).readUInt32LE(0)}`,
      };
      delete data['members@odata.bind'];
      delete data['owners@odata.bind'];
      const obj = ctx.dir.transaction(() => {
        const o = createObject(ctx.dir, 'group', data, now);
        for (const r of refs) addLink(ctx.dir, r.kind, o, r.target, now);
        return o;
      });
      return created(ctx, def, obj);
    }
    case 'application': {
      checkProperties(def, body);
      requireProps(def, body);
      const data: Json = {
        web: { redirectUris: [] },
        spa: { redirectUris: [] },
        publicClient: { redirectUris: [] },
        appRoles: [],
        identifierUris: [],
        keyCredentials: [],
        requiredResourceAccess: [],
        tags: [],
        signInAudience: 'AzureADMyOrg',
        ...body,
        id: randomUUID(),
        appId: randomUUID(),
        createdDateTime: iso(now),
        deletedDateTime: null,
        passwordCredentials: [],
        publisherDomain: ctx.dir.tenant().domain,
      };
      return created(ctx, def, createObject(ctx.dir, 'application', data, now));
    }
    case 'servicePrincipal': {
      checkProperties(def, body);
      requireProps(def, body);
      const app = ctx.dir.findActiveByKey('application', String(body.appId));
      if (!app)
        throw errors.badRequest(
          `The appId '${String(body.appId)}' of the service principal does not reference a valid application object.`,
        );
      if (ctx.dir.findActiveByKey('servicePrincipal', String(body.appId)))
        throw errors.duplicateValue('appId');
      const data: Json = {
        accountEnabled: true,
        appRoleAssignmentRequired: false,
        tags: [],
        keyCredentials: [],
        ...body,
        id: randomUUID(),
        appDisplayName: app.data.displayName,
        displayName: body.displayName ?? app.data.displayName,
        appOwnerOrganizationId: ctx.dir.tenantId,
        appRoles: app.data.appRoles ?? [],
        servicePrincipalNames: [body.appId],
        servicePrincipalType: 'Application',
        signInAudience: app.data.signInAudience,
        createdDateTime: iso(now),
        deletedDateTime: null,
        passwordCredentials: [],
      };
      return created(ctx, def, createObject(ctx.dir, 'servicePrincipal', data, now));
    }
    case 'device': {
      checkProperties(def, body);
      requireProps(def, body);
      const data: Json = {
        ...body,
        id: randomUUID(),
        createdDateTime: iso(now),
        registrationDateTime: iso(now),
        deletedDateTime: null,
      };
      return created(ctx, def, createObject(ctx.dir, 'device', data, now));
    }
    case 'administrativeUnit': {
      checkProperties(def, body);
      requireProps(def, body);
      return created(
        ctx,
        def,
        createObject(
          ctx.dir,
          'administrativeUnit',
          { visibility: null, membershipType: null, ...body, id: randomUUID(), deletedDateTime: null },
          now,
        ),
        'directory/administrativeUnits',
      );
    }
    case 'directoryRole': {
      checkProperties(def, body);
      requireProps(def, body);
      const tpl = ctx.dir.get('roleDefinition', String(body.roleTemplateId));
      if (tpl?.data.isBuiltIn !== true) throw errors.notFound(String(body.roleTemplateId));
      if (ctx.dir.findActiveByKey('directoryRole', String(body.roleTemplateId)))
        throw errors.badRequest('The directory role is already activated.');
      const data: Json = {
        id: randomUUID(),
        deletedDateTime: null,
        description: tpl.data.description,
        displayName: tpl.data.displayName,
        roleTemplateId: tpl.id,
      };
      return created(ctx, def, createObject(ctx.dir, 'directoryRole', data, now));
    }
    case 'roleDefinition': {
      checkProperties(def, body);
      requireProps(def, body);
      if (!Array.isArray(body.rolePermissions))
        throw errors.badRequest("Property 'rolePermissions' must be an array.");
      const id = randomUUID();
      const data: Json = {
        description: null,
        resourceScopes: ['/'],
        version: null,
        ...body,
        id,
        isBuiltIn: false,
        templateId: body.templateId ?? id,
      };
      return created(
        ctx,
        def,
        createObject(ctx.dir, 'roleDefinition', data, now),
        'roleManagement/directory/roleDefinitions',
      );
    }
    case 'roleAssignment': {
      checkProperties(def, body);
      requireProps(def, body);
      if (body.directoryScopeId === undefined && body.appScopeId === undefined)
        throw errors.badRequest("Either 'directoryScopeId' or 'appScopeId' must be specified.");
      const roleDef = ctx.dir.get('roleDefinition', String(body.roleDefinitionId));
      if (!roleDef || roleDef.state !== ACTIVE) throw errors.notFound(String(body.roleDefinitionId));
      const principal = ctx.dir.getById(String(body.principalId));
      if (
        !principal ||
        principal.state !== ACTIVE ||
        !['user', 'group', 'servicePrincipal'].includes(principal.type)
      )
        throw errors.notFound(String(body.principalId));
      if (principal.type === 'group' && principal.data.isAssignableToRole !== true)
        throw errors.badRequest('Only groups with isAssignableToRole set to true can be assigned to a role.');
      const scope = String(body.directoryScopeId ?? body.appScopeId);
      const id = roleAssignmentId(roleDef.id, principal.id, scope);
      const existing = ctx.dir.get('roleAssignment', id);
      if (existing && existing.state === ACTIVE)
        throw errors.badRequest(
          'A conflicting object with one or more of the specified property values is present in the directory.',
        );
      const data: Json = {
        id,
        principalId: principal.id,
        roleDefinitionId: roleDef.id,
        directoryScopeId: body.directoryScopeId ?? null,
        appScopeId: body.appScopeId ?? null,
        resourceScope: scope,
        condition: null,
      };
      return created(
        ctx,
        def,
        createObject(ctx.dir, 'roleAssignment', data, now),
        'roleManagement/directory/roleAssignments',
      );
    }
    case 'appRoleAssignment': {
      if (!parent) throw errors.noRoute(ctx.req.path);
      checkProperties(def, body);
      requireProps(def, body);
      if (body.resourceId !== parent.id)
        throw errors.badRequest("The 'resourceId' must be the service principal in the request URL.");
      const principal = ctx.dir.getById(String(body.principalId));
      if (
        !principal ||
        principal.state !== ACTIVE ||
        !['user', 'group', 'servicePrincipal'].includes(principal.type)
      )
        throw errors.notFound(String(body.principalId));
      const roles = (parent.data.appRoles as { id: string }[] | undefined) ?? [];
      const appRoleId = String(body.appRoleId);
      if (appRoleId !== '00000000-0000-0000-0000-000000000000' && !roles.some((r) => r.id === appRoleId))
        throw errors.badRequest('Permission being assigned was not found on application');
      const id = appRoleAssignmentId(principal.id, parent.id, appRoleId);
      if (ctx.dir.get('appRoleAssignment', id)?.state === ACTIVE)
        throw errors.badRequest('Permission being assigned already exists on the object');
      const data: Json = {
        id,
        appRoleId,
        createdDateTime: iso(now),
        deletedDateTime: null,
        principalDisplayName: principal.data.displayName ?? null,
        principalId: principal.id,
        principalType:
          principal.type === 'user' ? 'User' : principal.type === 'group' ? 'Group' : 'ServicePrincipal',
        resourceDisplayName: parent.data.displayName ?? null,
        resourceId: parent.id,
      };
      return created(
        ctx,
        def,
        createObject(ctx.dir, 'appRoleAssignment', data, now),
        `servicePrincipals('${parent.id}')/appRoleAssignedTo`,
      );
    }
    case 'conditionalAccessPolicy': {
      checkProperties(def, body);
      requireProps(def, body);
      if (!['enabled', 'disabled', 'enabledForReportingButNotEnforced'].includes(String(body.state)))
        throw errors.badRequest(
          "Invalid value specified for property 'state' of resource 'conditionalAccessPolicy'.",
        );
      const data: Json = {
        sessionControls: null,
        grantControls: null,
        templateId: null,
        ...body,
        id: randomUUID(),
        createdDateTime: iso(now),
        modifiedDateTime: null,
      };
      return created(
        ctx,
        def,
        createObject(ctx.dir, 'conditionalAccessPolicy', data, now),
        'identity/conditionalAccess/policies',
      );
    }
    default:
      throw errors.methodNotAllowed();
  }
}

export function patchEntity(ctx: HandlerContext, def: ResourceDef, obj: StoredObject): GraphResponse {
  const body = bodyObject(ctx);
  if (
    def.type === 'signIn' ||
    def.type === 'directoryAudit' ||
    def.type === 'appRoleAssignment' ||
    def.type === 'roleAssignment'
  )
    throw errors.methodNotAllowed();
  if (def.type === 'roleDefinition' && obj.data.isBuiltIn === true)
    throw errors.badRequest('Built-in role definitions cannot be modified.');
  if (def.type === 'group' && (obj.data.groupTypes as string[]).length === 0 && obj.data.mailEnabled === true)
    throw errors.badRequest(
      'Mail-enabled security groups and distribution groups cannot be updated through Microsoft Graph.',
    );
  checkProperties(def, body, def.type === 'group' ? ['members@odata.bind', 'owners@odata.bind'] : []);
  if ('displayName' in body && (body.displayName === null || body.displayName === ''))
    throw errors.badRequest("Property 'displayName' cannot be cleared.");
  if (def.type === 'user' && 'userPrincipalName' in body) checkUpn(ctx, body.userPrincipalName, obj.id);
  if (def.type === 'group' && 'mailNickname' in body) checkNickname(ctx, body.mailNickname, obj.id);
  if (
    def.type === 'conditionalAccessPolicy' &&
    'state' in body &&
    !['enabled', 'disabled', 'enabledForReportingButNotEnforced'].includes(String(body.state))
  )
    throw errors.badRequest(
      "Invalid value specified for property 'state' of resource 'conditionalAccessPolicy'.",
    );
  const patch: Json = { ...body };
  if (def.type === 'user' && patch.passwordProfile) patch.passwordProfile = null;
  const refs = def.type === 'group' ? binds(ctx, body, ['members', 'owners']) : [];
  for (const r of refs) {
    const link = ctx.dir.getLink(r.kind, obj.id, r.target.id);
    if (link?.state === 1) throw errors.duplicateRef(r.kind);
  }
  delete patch['members@odata.bind'];
  delete patch['owners@odata.bind'];
  for (const k of Object.keys(patch)) if (k.startsWith('@odata.')) delete patch[k];
  ctx.dir.transaction(() => {
    const updated = Object.keys(patch).length ? updateObject(ctx.dir, obj, patch, ctx.now) : obj;
    for (const r of refs) addLink(ctx.dir, r.kind, updated, r.target, ctx.now);
  });
  return { status: 204 };
}

export function deleteEntity(ctx: HandlerContext, def: ResourceDef, obj: StoredObject): GraphResponse {
  if (def.type === 'signIn' || def.type === 'directoryAudit') throw errors.methodNotAllowed();
  if (
    def.type === 'administrativeUnit' ||
    def.type === 'user' ||
    def.type === 'group' ||
    def.type === 'application' ||
    def.type === 'servicePrincipal' ||
    def.type === 'device' ||
    def.type === 'roleAssignment' ||
    def.type === 'roleDefinition' ||
    def.type === 'conditionalAccessPolicy' ||
    def.type === 'appRoleAssignment'
  ) {
    deleteObject(ctx.dir, obj, ctx.now);
    return { status: 204 };
  }
  throw errors.methodNotAllowed();
}

/** POST /applications/{id}/addPassword: the secret is returned here and never again. */
export function addPassword(ctx: HandlerContext, app: StoredObject): GraphResponse {
  const body = (ctx.req.body && typeof ctx.req.body === 'object' ? ctx.req.body : {}) as Json;
  const input = (body.passwordCredential ?? {}) as Json;
  const secret = randomBytes(30).toString('base64url').slice(0, 40);
  const start = input.startDateTime ? new Date(String(input.startDateTime)) : ctx.now;
  const end = input.endDateTime
    ? new Date(String(input.endDateTime))
    : new Date(start.getTime() + 730 * 86400_000);
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()))
    throw errors.badRequest('Invalid startDateTime or endDateTime.');
  const cred: Json = {
    customKeyIdentifier: null,
    displayName: input.displayName ?? null,
    endDateTime: iso(end),
    hint: secret.slice(0, 3),
    keyId: randomUUID(),
    secretText: null,
    startDateTime: iso(start),
  };
  const list = [...((app.data.passwordCredentials as Json[] | undefined) ?? []), cred];
  updateObject(ctx.dir, app, { passwordCredentials: list }, ctx.now);
  return {
    status: 200,
    body: {
      '@odata.context': `${ctx.base}/$metadata#microsoft.graph.passwordCredential`,
      ...cred,
      secretText: secret,
    },
    objects: 1,
  };
}

export function removePassword(ctx: HandlerContext, app: StoredObject): GraphResponse {
  const keyId = (ctx.req.body as Json | undefined)?.keyId;
  const list = (app.data.passwordCredentials as Json[] | undefined) ?? [];
  if (typeof keyId !== 'string' || !list.some((c) => c.keyId === keyId)) throw errors.notFound(String(keyId));
  updateObject(ctx.dir, app, { passwordCredentials: list.filter((c) => c.keyId !== keyId) }, ctx.now);
  return { status: 204 };
}

export function checkRefWrite(ctx: HandlerContext, source: StoredObject): void {
  if (
    source.type === 'group' &&
    source.data.isAssignableToRole === true &&
    !hasPermission(ctx.caller.roles, [['RoleManagement.ReadWrite.Directory']])
  )
    throw errors.denied();
  if (
    source.type === 'group' &&
    (source.data.groupTypes as string[]).length === 0 &&
    source.data.mailEnabled === true
  )
    throw errors.badRequest(
      'Members of mail-enabled security groups and distribution groups cannot be changed through Microsoft Graph.',
    );
  if (source.type === 'group' && (source.data.groupTypes as string[]).includes('DynamicMembership'))
    throw errors.badRequest('Members of dynamic groups cannot be changed manually.');
}

export function typeLabel(def: ResourceDef): string {
  return typeName(def);
}

export { GraphHttpError };
