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

/** Finds an object by id, UPN, appId, mailNickname or display name (CLI and control API). */
export function findObject(
  dir: TenantDirectory,
  type: StoredType,
  key: string,
  states: number[] = [ACTIVE],
): StoredObject {
  const candidates: (StoredObject | undefined)[] = [dir.get(type, key)];
  if (type === 'user' || type === 'group' || type === 'application' || type === 'servicePrincipal')
    candidates.push(
      ...(
        dir.db
          .prepare(
            'SELECT id FROM objects WHERE tenant_id = ? AND type = ? AND (ukey = ? OR name = ?) ORDER BY state = 1 DESC LIMIT 5',
          )
          .all(dir.tenantId, type, key.toLowerCase(), key) as { id: string }[]
      ).map((r) => dir.get(type, r.id)),
    );
  else candidates.push(dir.findActiveByName(type, key));
  const found = candidates.find((c): c is StoredObject => !!c && states.includes(c.state));
  if (!found)
    throw new GraphHttpError(
      404,
      'Request_ResourceNotFound',
      `No ${type} '${key}' in tenant ${dir.tenantId}.`,
    );
  return found;
}
