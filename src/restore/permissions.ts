// Application permissions each restore step needs (graph-behaviour.md §6.4). The first name is
// the one a plan reports as missing; any listed one is sufficient.
import type { ObjectType } from '../domain.ts';
import type { StepKind } from './restore-types.ts';

const OBJECT_WRITE: Partial<Record<ObjectType, string[]>> = {
  user: ['User.ReadWrite.All', 'Directory.ReadWrite.All'],
  group: ['Group.ReadWrite.All', 'Directory.ReadWrite.All'],
  application: ['Application.ReadWrite.All'],
  servicePrincipal: ['Application.ReadWrite.All'],
  administrativeUnit: ['AdministrativeUnit.ReadWrite.All', 'Directory.ReadWrite.All'],
  device: ['Device.ReadWrite.All', 'Directory.ReadWrite.All'],
  roleDefinition: ['RoleManagement.ReadWrite.Directory'],
  roleAssignment: ['RoleManagement.ReadWrite.Directory'],
  conditionalAccessPolicy: ['Policy.ReadWrite.ConditionalAccess'],
};

/** Permissions that satisfy a step of `kind` writing to an object of `targetType`. */
export function permissionsFor(kind: StepKind, targetType: ObjectType): string[] {
  switch (kind) {
    case 'skip':
    case 'reportOnly':
      return [];
    case 'addMember':
    case 'removeMember':
    case 'addOwner':
    case 'removeOwner':
      return targetType === 'group'
        ? ['GroupMember.ReadWrite.All', 'Group.ReadWrite.All', 'Directory.ReadWrite.All']
        : (OBJECT_WRITE[targetType] ?? []);
    case 'addAuMember':
      return ['AdministrativeUnit.ReadWrite.All', 'Directory.ReadWrite.All'];
    case 'addRoleAssignment':
    case 'removeRoleAssignment':
      return ['RoleManagement.ReadWrite.Directory'];
    case 'addAppRoleAssignment':
    case 'removeAppRoleAssignment':
      return ['AppRoleAssignment.ReadWrite.All'];
    default:
      return OBJECT_WRITE[targetType] ?? [];
  }
}

/** The permission to name when none of `needed` is granted; undefined when one is. */
export function missingPermission(
  needed: string[] | undefined,
  granted: ReadonlySet<string>,
): string | undefined {
  if (!needed || needed.length === 0) return undefined;
  return needed.some((p) => granted.has(p)) ? undefined : needed[0];
}
