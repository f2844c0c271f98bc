// Where each restorable object type lives in Graph v1.0, and how its relationships are written.
import type { ObjectType } from '../domain.ts';

const COLLECTIONS: Partial<Record<ObjectType, string>> = {
  user: '/users',
  group: '/groups',
  application: '/applications',
  servicePrincipal: '/servicePrincipals',
  administrativeUnit: '/directory/administrativeUnits',
  device: '/devices',
  roleDefinition: '/roleManagement/directory/roleDefinitions',
  roleAssignment: '/roleManagement/directory/roleAssignments',
  conditionalAccessPolicy: '/identity/conditionalAccess/policies',
};

/** Types Entra keeps in the recycle bin for 30 days (everything else is deleted for good). */
export const SOFT_DELETABLE: ReadonlySet<ObjectType> = new Set([
  'user',
  'group',
  'application',
  'servicePrincipal',
  'administrativeUnit',
]);

export function collectionPath(type: ObjectType): string {
  const path = COLLECTIONS[type];
  if (!path) throw new Error(`object type '${type}' has no Graph collection the restore can write`);
  return path;
}

export function itemPath(type: ObjectType, id: string): string {
  return `${collectionPath(type)}/${encodeURIComponent(id)}`;
}

/** `@odata.id` of a directory object, as Graph wants it in `$ref` bodies. */
export function directoryObjectRef(id: string): { '@odata.id': string } {
  return { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${id}` };
}

/** Maps '#microsoft.graph.user' (or 'user') to the product's object type. */
export function typeFromOData(odataType: unknown): ObjectType | undefined {
  if (typeof odataType !== 'string') return undefined;
  const name = odataType.replace(/^#?microsoft\.graph\./, '');
  const known: Record<string, ObjectType> = {
    user: 'user',
    group: 'group',
    servicePrincipal: 'servicePrincipal',
    application: 'application',
    device: 'device',
    administrativeUnit: 'administrativeUnit',
    directoryRole: 'directoryRole',
    orgContact: 'user',
  };
  return known[name];
}

export function odataTypeOf(type: ObjectType): string {
  return `#microsoft.graph.${type}`;
}

export function quoteFilter(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
