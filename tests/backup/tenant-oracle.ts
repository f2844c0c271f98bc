// Independent view of the tenant for tests: read through Graph's plain list endpoints (not
// delta) and compare with what the store holds, object by object and edge by edge.
import { canonicalize, contentHash } from '../../src/backup/canonical.ts';
import { pacerFor } from '../../src/backup/collectors/pacers.ts';
import { GROUP_SELECT, TYPE_SPECS, USER_SELECT } from '../../src/backup/type-specs.ts';
import type { ObjectType } from '../../src/domain.ts';
import type { GraphClient } from '../../src/graph/gateway.ts';
import type { Store } from '../../src/store/store.ts';

type Item = Record<string, unknown> & { id: string };

async function listAll(client: GraphClient, path: string): Promise<Item[]> {
  const out: Item[] = [];
  for await (const page of client.pages<Item>(path)) out.push(...page.value);
  return out;
}

export interface TenantView {
  /** type → id → content hash (users, groups) or '' (ids only). */
  objects: Map<ObjectType, Map<string, string>>;
  /** `${sourceId}|${kind}|${targetId}` */
  edges: Set<string>;
}

const LISTS: [ObjectType, string, boolean][] = [
  // $expand=manager: each user's manager (an edge), taken off before hashing (not a property).
  ['user', `/users?$top=999&$select=${USER_SELECT.join(',')}&$expand=manager`, true],
  ['group', `/groups?$top=999&$select=${GROUP_SELECT.join(',')}`, true],
  ['application', '/applications?$top=999&$select=id', false],
  ['servicePrincipal', '/servicePrincipals?$top=999&$select=id', false],
  ['device', '/devices?$top=999&$select=id', false],
  ['administrativeUnit', '/directory/administrativeUnits?$top=999&$select=id', false],
  ['directoryRole', '/directoryRoles', false],
  ['roleDefinition', '/roleManagement/directory/roleDefinitions', false],
  ['roleAssignment', '/roleManagement/directory/roleAssignments', false],
  ['conditionalAccessPolicy', '/identity/conditionalAccess/policies', false],
];

/** Reads the live tenant: objects of the listed types and every relationship the backup keeps. */
export async function readTenant(client: GraphClient): Promise<TenantView> {
  const objects = new Map<ObjectType, Map<string, string>>();
  const edges = new Set<string>();
  // Conditional Access last: the relationship reads below give its per-second limit time to pass.
  const ordered = [
    ...LISTS.filter((l) => l[0] !== 'conditionalAccessPolicy'),
    ...LISTS.filter((l) => l[0] === 'conditionalAccessPolicy'),
  ];
  const readList = async ([type, path, hashed]: (typeof LISTS)[number]) => {
    // Conditional Access allows 1 request per second per tenant and answers 429 without
    // Retry-After: take a turn of the engine's own pacer (shared in this process) rather than
    // wait out a throttled retry.
    if (type === 'conditionalAccessPolicy') await pacerFor(client.tenantId, TYPE_SPECS[type]).take();
    const items = await listAll(client, path);
    if (type === 'user') {
      for (const u of items) {
        const manager = u.manager as { id?: string } | null | undefined;
        if (manager?.id) edges.add(`${u.id}|manager|${manager.id}`);
        delete u.manager;
      }
    }
    objects.set(type, new Map(items.map((i) => [i.id, hashed ? contentHash(canonicalize(type, i)) : ''])));
    if (type === 'roleAssignment') {
      for (const a of items) edges.add(`${a.roleDefinitionId}|roleAssignment|${a.principalId}#${a.id}`);
    }
  };
  for (const list of ordered.slice(0, -1)) await readList(list);
  const rel = async (type: ObjectType, base: string, segment: string, kind: string) => {
    for (const id of objects.get(type)?.keys() ?? []) {
      for (const m of await listAll(client, `${base}/${id}/${segment}`)) {
        if (kind === 'appRoleAssignment') edges.add(`${id}|${kind}|${m.principalId}#${m.id}`);
        else edges.add(`${id}|${kind}|${m.id}`);
      }
    }
  };
  await rel('group', '/groups', 'members', 'member');
  await rel('group', '/groups', 'owners', 'owner');
  await rel('application', '/applications', 'owners', 'owner');
  await rel('servicePrincipal', '/servicePrincipals', 'owners', 'owner');
  await rel('servicePrincipal', '/servicePrincipals', 'appRoleAssignedTo', 'appRoleAssignment');
  await rel('device', '/devices', 'registeredOwners', 'owner');
  await rel('administrativeUnit', '/directory/administrativeUnits', 'members', 'member');
  await rel('directoryRole', '/directoryRoles', 'members', 'member');
  await readList(ordered[ordered.length - 1]);
  return { objects, edges };
}

/** The same view from the store, at a point in time (default: now). */
export async function readStore(store: Store, tenantId: string, at?: string): Promise<TenantView> {
  const objects = new Map<ObjectType, Map<string, string>>();
  for (const [type, , hashed] of LISTS) {
    const m = new Map<string, string>();
    let continuation: string | undefined;
    do {
      const page = await store.listObjects(tenantId, {
        type,
        deleted: 'all',
        sort: 'id',
        limit: 1000,
        continuation,
      });
      for (const rec of page.items) {
        if (at) {
          const v = await store.getVersionAt(tenantId, rec.objectId, at);
          if (v && !v.deleted) m.set(rec.objectId, hashed ? v.hash : '');
        } else if (!rec.deleted) {
          m.set(rec.objectId, hashed ? rec.latestHash : '');
        }
      }
      continuation = page.continuation;
    } while (continuation);
    objects.set(type, m);
  }
  const edges = new Set<string>();
  for (const e of await store.listEdges(tenantId, at ? { at } : {})) {
    const id = typeof e.attrs?.assignmentId === 'string' ? `#${e.attrs.assignmentId}` : '';
    edges.add(`${e.sourceId}|${e.kind}|${e.targetId}${id}`);
  }
  return { objects, edges };
}

/** Differences, readable in a failing assertion (empty = identical). */
export function compareViews(expected: TenantView, actual: TenantView): string[] {
  const out: string[] = [];
  for (const [type, exp] of expected.objects) {
    const act = actual.objects.get(type) ?? new Map();
    for (const [id, hash] of exp) {
      if (!act.has(id)) out.push(`missing ${type} ${id}`);
      else if (act.get(id) !== hash) out.push(`content differs: ${type} ${id}`);
    }
    for (const id of act.keys()) if (!exp.has(id)) out.push(`extra ${type} ${id}`);
  }
  for (const e of expected.edges) if (!actual.edges.has(e)) out.push(`missing edge ${e}`);
  for (const e of actual.edges) if (!expected.edges.has(e)) out.push(`extra edge ${e}`);
  return out;
}
