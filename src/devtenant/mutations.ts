// State changes of the dev tenant shared by the Graph write endpoints, the control API, the CLI
// and the test handle: delete (soft where Graph soft-deletes), restore, purge, membership with
// directory-role/role-assignment kept in step, incidents. Each runs in one transaction.
import { randomUUID } from 'node:crypto';
import {
  ACTIVE,
  type Json,
  LINK_ACTIVE,
  LINK_REMOVED,
  LINK_SUSPENDED,
  PURGED,
  SOFT_DELETED,
  type StoredObject,
  type TenantDirectory,
  toObject,
} from './directory.ts';
import { errors, GraphHttpError } from './graph-errors.ts';
import { roleAssignmentId } from './ids.ts';
import {
  isSoftDeleted,
  type LinkKind,
  type ResourceDef,
  resourceByType,
  type StoredType,
} from './resources.ts';
import { GLOBAL_ADMIN_TEMPLATE, ROLE_TEMPLATES } from './seed-data.ts';

export const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

function defOf(type: StoredType): ResourceDef {
  return resourceByType(type) as ResourceDef;
}

const PRINCIPAL_TYPES = ['User', 'Group', 'ServicePrincipal'] as const;

/**
 * Entra's audit entry of an app role grant or removal: its activity name per principal type, the
 * principal and the resource service principal as target resources, AppRole.Id and
 * ServicePrincipal.ObjectID among the modified properties (the backup engine finds service
 * principals whose assignments changed outside delta this way).
 */
function appRoleAuditShape(activity: string, a: StoredObject): Json {
  const added = activity.startsWith('Add');
  const pType = PRINCIPAL_TYPES.find((t) => t === a.data.principalType) ?? 'User';
  const noun = { User: 'user', Group: 'group', ServicePrincipal: 'service principal' }[pType];
  const quoted = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : null);
  const change = (name: string, value: unknown) => ({
    displayName: name,
    oldValue: added ? null : quoted(value),
    newValue: added ? quoted(value) : null,
  });
  return {
    activityDisplayName: added
      ? pType === 'User'
        ? 'Add app role assignment grant to user'
        : `Add app role assignment to ${noun}`
      : `Remove app role assignment from ${noun}`,
    category:
      pType === 'User' ? 'UserManagement' : pType === 'Group' ? 'GroupManagement' : 'ApplicationManagement',
    operationType: added ? 'Assign' : 'Unassign',
    targetResources: [
      {
        id: a.data.principalId,
        displayName: a.data.principalDisplayName ?? null,
        type: pType,
        modifiedProperties: [
          change('AppRole.Id', a.data.appRoleId),
          change('ServicePrincipal.ObjectID', a.data.resourceId),
          change('ServicePrincipal.DisplayName', a.data.resourceDisplayName),
        ],
      },
      {
        id: a.data.resourceId,
        displayName: a.data.resourceDisplayName ?? null,
        type: 'ServicePrincipal',
        modifiedProperties: [],
      },
    ],
  };
}

/** Records a directory audit entry, as Entra does for every change. */
export function audit(
  dir: TenantDirectory,
  activity: string,
  target: StoredObject,
  now: Date,
  actor = 'Dev tenant',
): void {
  const appRole = target.type === 'appRoleAssignment' ? appRoleAuditShape(activity, target) : {};
  dir.insert('directoryAudit', {
    id: `Directory_${randomUUID()}`,
    activityDateTime: iso(now),
    activityDisplayName: activity,
    additionalDetails: [],
    category:
      target.type === 'user' ? 'UserManagement' : target.type === 'group' ? 'GroupManagement' : 'Other',
    correlationId: randomUUID(),
    initiatedBy: {
      app: { displayName: actor, appId: null, servicePrincipalId: null, servicePrincipalName: null },
      user: null,
    },
    loggedByService: 'Core Directory',
    operationType: activity.split(' ')[0],
    result: 'success',
    resultReason: '',
    targetResources: [
      {
        id: target.id,
        displayName: target.data.displayName ?? null,
        type: target.type,
        modifiedProperties: [],
      },
    ],
    ...appRole,
  });
}

/** Assignments that name a principal: hidden with it in the recycle bin, gone when it is purged. */
function assignmentsOf(dir: TenantDirectory, principalId: string): StoredObject[] {
  const roleRows = dir.db
    .prepare(
      "SELECT id FROM objects WHERE tenant_id = ? AND type = 'roleAssignment' AND parent_id = ? AND state != 0",
    )
    .all(dir.tenantId, principalId) as { id: string }[];
  const appRows = dir.db
    .prepare(
      "SELECT id FROM objects WHERE tenant_id = ? AND type = 'appRoleAssignment' AND state != 0 AND (json_extract(data, '$.principalId') = ? OR parent_id = ?)",
    )
    .all(dir.tenantId, principalId, principalId) as { id: string }[];
  return [
    ...roleRows.map((r) => dir.get('roleAssignment', r.id) as StoredObject),
    ...appRows.map((r) => dir.get('appRoleAssignment', r.id) as StoredObject),
  ];
}

export function deleteObject(dir: TenantDirectory, obj: StoredObject, now: Date): 'soft' | 'hard' {
  const def = defOf(obj.type);
  if (obj.type === 'directoryRole') throw errors.badRequest('Directory roles cannot be deleted.');
  if (obj.type === 'roleDefinition' && obj.data.isBuiltIn === true)
    throw errors.badRequest('Built-in role definitions cannot be deleted.');
  const soft = isSoftDeleted(def, obj.data);
  dir.transaction(() => {
    if (soft) {
      dir.setState(obj, SOFT_DELETED, iso(now), { ...obj.data, deletedDateTime: iso(now) });
      for (const l of dir.linksTo(obj.id))
        if (l.state === LINK_ACTIVE)
          dir.putLink(l.kind, l.sourceId, l.targetId, l.targetType, LINK_SUSPENDED);
      for (const a of assignmentsOf(dir, obj.id))
        if (a.state === ACTIVE) dir.setState(a, SOFT_DELETED, iso(now), a.data);
    } else {
      purgeRows(dir, obj);
    }
    if (obj.type === 'roleAssignment') syncRoleMembership(dir, obj.data, false, now);
    audit(dir, `Delete ${obj.type}`, obj, now);
  });
  return soft ? 'soft' : 'hard';
}

function purgeRows(dir: TenantDirectory, obj: StoredObject): void {
  dir.setState(obj, PURGED, obj.deletedAt, { id: obj.id });
  for (const l of dir.linksTo(obj.id))
    if (l.state !== LINK_REMOVED) dir.putLink(l.kind, l.sourceId, l.targetId, l.targetType, LINK_REMOVED);
  for (const l of dir.linksFrom(obj.id))
    dir.putLink(l.kind, l.sourceId, l.targetId, l.targetType, LINK_REMOVED);
  for (const a of assignmentsOf(dir, obj.id)) {
    if (a.type === 'roleAssignment') syncRoleMembership(dir, a.data, false, new Date());
    dir.setState(a, PURGED, a.deletedAt, { id: a.id });
  }
}

/** Permanently deletes an object from the recycle bin. */
export function purgeObject(dir: TenantDirectory, obj: StoredObject, now: Date): void {
  if (obj.state !== SOFT_DELETED) throw errors.notFound(obj.id);
  dir.transaction(() => {
    purgeRows(dir, obj);
    audit(dir, `Hard delete ${obj.type}`, obj, now);
  });
}

/** Restores from the recycle bin keeping the object id, memberships and assignments. */
export function restoreObject(dir: TenantDirectory, obj: StoredObject, now: Date): StoredObject {
  if (obj.state !== SOFT_DELETED) throw errors.notFound(obj.id);
  if (obj.type === 'user') {
    const clash = dir.findActiveByKey('user', String(obj.data.userPrincipalName).toLowerCase());
    if (clash) throw errors.duplicateValue('userPrincipalName');
  }
  if (obj.type === 'group' && obj.data.mailNickname) {
    const clash = dir.findActiveByKey('group', String(obj.data.mailNickname).toLowerCase());
    if (clash) throw errors.duplicateValue('mailNickname');
  }
  return dir.transaction(() => {
    const restored = dir.setState(obj, ACTIVE, null, { ...obj.data, deletedDateTime: null });
    for (const l of dir.linksTo(obj.id)) {
      if (l.state !== LINK_SUSPENDED) continue;
      const source = dir.getById(l.sourceId);
      dir.putLink(
        l.kind,
        l.sourceId,
        l.targetId,
        l.targetType,
        source && source.state !== PURGED ? LINK_ACTIVE : LINK_REMOVED,
      );
    }
    for (const a of assignmentsOf(dir, obj.id))
      if (a.state === SOFT_DELETED) dir.setState(a, ACTIVE, null, a.data);
    audit(dir, `Restore ${obj.type}`, obj, now);
    return restored;
  });
}

export function updateObject(dir: TenantDirectory, obj: StoredObject, patch: Json, now: Date): StoredObject {
  return dir.transaction(() => {
    const data = { ...obj.data, ...patch };
    if (obj.type === 'conditionalAccessPolicy') data.modifiedDateTime = iso(now);
    const updated = dir.update(obj, data);
    audit(dir, `Update ${obj.type}`, updated, now);
    return updated;
  });
}

export function createObject(dir: TenantDirectory, type: StoredType, data: Json, now: Date): StoredObject {
  return dir.transaction(() => {
    const created = dir.insert(type, data);
    if (type === 'roleAssignment') syncRoleMembership(dir, data, true, now);
    if (type !== 'directoryAudit') audit(dir, `Add ${type}`, created, now);
    return created;
  });
}

/** Adds a member/owner link; Graph's 400 if it exists. Directory roles also get a role assignment. */
export function addLink(
  dir: TenantDirectory,
  kind: LinkKind,
  source: StoredObject,
  target: StoredObject,
  now: Date,
): void {
  const existing = dir.getLink(kind, source.id, target.id);
  if (existing && existing.state === LINK_ACTIVE) throw errors.duplicateRef(kind);
  if (source.id === target.id) throw errors.badRequest('An object cannot be a member of itself.');
  dir.transaction(() => {
    dir.putLink(kind, source.id, target.id, target.type, LINK_ACTIVE);
    if (source.type === 'directoryRole') {
      const tpl = String(source.data.roleTemplateId);
      const id = roleAssignmentId(tpl, target.id, '/');
      if (!dir.get('roleAssignment', id) || dir.get('roleAssignment', id)?.state !== ACTIVE)
        dir.insert('roleAssignment', {
          id,
          principalId: target.id,
          roleDefinitionId: tpl,
          directoryScopeId: '/',
          appScopeId: null,
          resourceScope: '/',
          condition: null,
        });
    }
    audit(dir, `Add ${kind === 'owners' ? 'owner' : 'member'} to ${source.type}`, source, now);
  });
}

export function removeLink(
  dir: TenantDirectory,
  kind: LinkKind,
  source: StoredObject,
  targetId: string,
  now: Date,
): void {
  const existing = dir.getLink(kind, source.id, targetId);
  if (!existing || existing.state !== LINK_ACTIVE) throw errors.notFound(targetId);
  dir.transaction(() => {
    dir.putLink(kind, source.id, targetId, existing.targetType, LINK_REMOVED);
    if (source.type === 'directoryRole') {
      const a = dir.get(
        'roleAssignment',
        roleAssignmentId(String(source.data.roleTemplateId), targetId, '/'),
      );
      if (a && a.state === ACTIVE) dir.setState(a, PURGED, null, { id: a.id });
    }
    audit(dir, `Remove ${kind === 'owners' ? 'owner' : 'member'} from ${source.type}`, source, now);
  });
}

/** The user's active manager link, if any (single-valued: at most one is active). */
export function managerOf(dir: TenantDirectory, userId: string): StoredObject | undefined {
  const link = dir.listLinks('manager', userId, '', 1)[0];
  const target = link ? dir.get('user', link.targetId) : undefined;
  return target?.state === ACTIVE ? target : undefined;
}

/**
 * PUT /users/{id}/manager/$ref: replaces the manager (the old link is removed, so users delta
 * with $select=manager reports the old manager @removed and the new one). 204 also when the same
 * manager is set again, as Graph answers.
 */
export function setManager(dir: TenantDirectory, user: StoredObject, manager: StoredObject, now: Date): void {
  if (user.type !== 'user') throw errors.badRequest('Only users have a manager.');
  if (manager.type !== 'user')
    throw errors.badRequest("The manager must be a user (organizational contacts aren't simulated).");
  if (manager.id === user.id) throw errors.badRequest('A user cannot be their own manager.');
  dir.transaction(() => {
    const current = dir.listLinks('manager', user.id, '', 10);
    if (current.some((l) => l.targetId === manager.id)) return;
    for (const l of current) dir.putLink('manager', user.id, l.targetId, l.targetType, LINK_REMOVED);
    dir.putLink('manager', user.id, manager.id, 'user', LINK_ACTIVE);
    audit(dir, 'Set user manager', user, now);
  });
}

/** DELETE /users/{id}/manager/$ref: 404 when the user has no manager. */
export function removeManager(dir: TenantDirectory, user: StoredObject, now: Date): void {
  const current = dir.listLinks('manager', user.id, '', 10);
  if (!current.length) throw errors.notFound('manager');
  dir.transaction(() => {
    for (const l of current) dir.putLink('manager', user.id, l.targetId, l.targetType, LINK_REMOVED);
    audit(dir, 'Remove user manager', user, now);
  });
}

/** Active users whose manager is `managerId`, ordered by id. */
export function directReportsOf(dir: TenantDirectory, managerId: string): StoredObject[] {
  const rows = dir.db
    .prepare(
      `SELECT o.* FROM links l JOIN objects o ON o.tenant_id = l.tenant_id AND o.type = 'user' AND o.id = l.source_id
       WHERE l.tenant_id = ? AND l.target_id = ? AND l.kind = 'manager' AND l.state = 1 AND o.state = 1
       ORDER BY o.id`,
    )
    .all(dir.tenantId, managerId) as Parameters<typeof toObject>[0][];
  return rows.map(toObject);
}

/** A tenant-scope assignment of a built-in role is also membership of its (activated) directory role. */
function syncRoleMembership(dir: TenantDirectory, assignment: Json, added: boolean, now: Date): void {
  if (assignment.directoryScopeId !== '/') return;
  const tpl = ROLE_TEMPLATES.find((t) => t.id === assignment.roleDefinitionId);
  if (!tpl) return;
  let role = dir.findActiveByKey('directoryRole', tpl.id);
  const principal = dir.getById(String(assignment.principalId));
  if (!principal) return;
  if (!role) {
    if (!added) return;
    role = dir.insert('directoryRole', {
      id: randomUUID(),
      deletedDateTime: null,
      description: tpl.description,
      displayName: tpl.displayName,
      roleTemplateId: tpl.id,
    });
  }
  const link = dir.getLink('members', role.id, principal.id);
  if (added && link?.state !== LINK_ACTIVE)
    dir.putLink('members', role.id, principal.id, principal.type, LINK_ACTIVE);
  if (!added && link?.state === LINK_ACTIVE)
    dir.putLink('members', role.id, principal.id, principal.type, LINK_REMOVED);
  void now;
}

/** Mass deletion for demos: soft-deletes `count` users (never Global Administrators). */
export function incidentDeleteUsers(dir: TenantDirectory, count: number, now: Date): string[] {
  const protectedIds = new Set(
    (
      dir.db
        .prepare(
          "SELECT parent_id FROM objects WHERE tenant_id = ? AND type = 'roleAssignment' AND state = 1 AND json_extract(data, '$.roleDefinitionId') = ?",
        )
        .all(dir.tenantId, GLOBAL_ADMIN_TEMPLATE) as { parent_id: string }[]
    ).map((r) => r.parent_id),
  );
  const rows = dir.db
    .prepare(
      "SELECT id FROM objects WHERE tenant_id = ? AND type = 'user' AND state = 1 ORDER BY seq DESC, id LIMIT ?",
    )
    .all(dir.tenantId, count + protectedIds.size) as { id: string }[];
  const ids = rows
    .map((r) => r.id)
    .filter((id) => !protectedIds.has(id))
    .slice(0, count);
  dir.transaction(() => {
    for (const id of ids) {
      const obj = dir.get('user', id);
      if (obj && obj.state === ACTIVE) deleteObject(dir, obj, now);
    }
  });
  return ids;
}

const KEYED_TYPES: StoredType[] = ['user', 'group', 'application', 'servicePrincipal'];
const MAIL_TYPES: StoredType[] = ['user', 'group'];

function label(o: StoredObject): string {
  const d = o.data;
  const key = d.userPrincipalName ?? d.mailNickname ?? d.appId;
  return `${o.id}  ${String(d.displayName ?? '')}${key ? ` <${String(key)}>` : ''}`;
}

/** Escapes LIKE wildcards of a user-typed prefix. */
const likePrefix = (s: string) => `${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * Finds an object (CLI, control API, tests) by, in order: id; exact UPN, mailNickname or appId;
 * exact display name; exact mail; then a prefix of the display name or of the UPN/mailNickname
 * (case-insensitive), which must be unique: an ambiguous prefix is a 400 listing candidates.
 */
export function findObject(
  dir: TenantDirectory,
  type: StoredType,
  key: string,
  states: number[] = [ACTIVE],
): StoredObject {
  const inStates = (o: StoredObject | undefined): o is StoredObject => !!o && states.includes(o.state);
  const byId = dir.get(type, key);
  if (inStates(byId)) return byId;
  const rows = (sql: string, ...params: unknown[]) =>
    (
      dir.db
        .prepare(
          `SELECT * FROM objects WHERE tenant_id = ? AND type = ? AND ${sql} ORDER BY state = 1 DESC, id`,
        )
        .all(dir.tenantId, type, ...params) as Parameters<typeof toObject>[0][]
    )
      .map(toObject)
      .filter(inStates);
  const exact = [
    ...(KEYED_TYPES.includes(type)
      ? rows('ukey = ?', type === 'servicePrincipal' || type === 'application' ? key : key.toLowerCase())
      : []),
    ...rows('name = ?', key),
  ];
  if (exact.length) return exact[0];
  if (MAIL_TYPES.includes(type) && key.includes('@')) {
    const byMail = rows("lower(json_extract(data, '$.mail')) = ?", key.toLowerCase());
    if (byMail.length) return byMail[0];
  }
  const prefix = likePrefix(key);
  const found = new Map<string, StoredObject>();
  for (const o of rows("name LIKE ? ESCAPE '\\'", prefix)) found.set(o.id, o);
  if (KEYED_TYPES.includes(type))
    for (const o of rows("ukey LIKE ? ESCAPE '\\'", prefix.toLowerCase())) found.set(o.id, o);
  const candidates = [...found.values()];
  if (candidates.length === 1) return candidates[0];
  if (candidates.length > 1) {
    const shown = candidates.slice(0, 10).map(label);
    const more = candidates.length > 10 ? `\n  … and ${candidates.length - 10} more` : '';
    throw new GraphHttpError(
      400,
      'AmbiguousName',
      `'${key}' matches ${candidates.length} ${type}s; give the id, the full name or a longer prefix:\n  ${shown.join('\n  ')}${more}`,
    );
  }
  throw new GraphHttpError(
    404,
    'Request_ResourceNotFound',
    `No ${type} '${key}' in tenant ${dir.tenantId} (looked up by id, ${KEYED_TYPES.includes(type) ? 'UPN/mailNickname/appId, ' : ''}display name${MAIL_TYPES.includes(type) ? ', mail' : ''} and their prefixes).`,
  );
}
