// Reads the live object a restore writes to: live, in the recycle bin, or gone.
import type { GraphObject, ObjectType } from '../domain.ts';
import { type GraphClient, GraphError } from '../graph/gateway.ts';
import { collectionPath, itemPath, quoteFilter, SOFT_DELETABLE } from './graph-paths.ts';
import { selectableProperties } from './writable-properties.ts';

export type LiveState =
  | { state: 'live'; object: GraphObject }
  | { state: 'softDeleted'; object: GraphObject | null }
  | { state: 'absent' };

/** Types whose default GET returns a subset of properties: the diff needs `$select`. */
const NEEDS_SELECT: ReadonlySet<ObjectType> = new Set(['user', 'group']);

export function stripAnnotations(raw: Record<string, unknown>): GraphObject {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) if (!k.startsWith('@odata') && !k.includes('@odata.')) out[k] = v;
  return out as GraphObject;
}

export function isNotFound(error: unknown): boolean {
  return error instanceof GraphError && error.status === 404;
}

export function selectQuery(type: ObjectType, snapshotKeys: string[]): string {
  return NEEDS_SELECT.has(type) ? `?$select=${selectableProperties(type, snapshotKeys).join(',')}` : '';
}

export async function readLive(
  client: GraphClient,
  type: ObjectType,
  id: string,
  snapshotKeys: string[],
): Promise<LiveState> {
  try {
    const raw = await client.get<Record<string, unknown>>(
      `${itemPath(type, id)}${selectQuery(type, snapshotKeys)}`,
    );
    return { state: 'live', object: stripAnnotations(raw) };
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  if (!SOFT_DELETABLE.has(type)) return { state: 'absent' };
  try {
    const raw = await client.get<Record<string, unknown>>(
      `/directory/deletedItems/${encodeURIComponent(id)}${selectQuery(type, snapshotKeys)}`,
    );
    return { state: 'softDeleted', object: stripAnnotations(raw) };
  } catch (error) {
    if (isNotFound(error)) return { state: 'absent' };
    throw error;
  }
}

/**
 * Finds the object another tenant holds for a source object (cross-tenant restore): users by
 * their mapped UPN, groups by mailNickname; other types are always created.
 */
export async function findInTarget(
  client: GraphClient,
  type: ObjectType,
  key: { userPrincipalName?: string; mailNickname?: string },
  snapshotKeys: string[],
): Promise<GraphObject | undefined> {
  try {
    if (type === 'user' && key.userPrincipalName) {
      const raw = await client.get<Record<string, unknown>>(
        `${itemPath('user', key.userPrincipalName)}${selectQuery(type, snapshotKeys)}`,
      );
      return stripAnnotations(raw);
    }
    if (type === 'group' && key.mailNickname) {
      const page = await client.getPage<Record<string, unknown>>(
        `${collectionPath('group')}?$filter=mailNickname eq ${quoteFilter(key.mailNickname)}&$select=${selectableProperties(type, snapshotKeys).join(',')}`,
      );
      return page.value[0] ? stripAnnotations(page.value[0]) : undefined;
    }
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  return undefined;
}

/** Finds an object created by an interrupted create step (resume adopts it instead of creating twice). */
export async function findCreated(
  client: GraphClient,
  type: ObjectType,
  body: Record<string, unknown>,
): Promise<GraphObject | undefined> {
  const by = (field: string) => (typeof body[field] === 'string' ? (body[field] as string) : undefined);
  const filterField =
    type === 'user'
      ? 'userPrincipalName'
      : type === 'group'
        ? 'mailNickname'
        : type === 'servicePrincipal'
          ? 'appId'
          : 'displayName';
  const value = by(filterField);
  if (!value) return undefined;
  try {
    const page = await client.getPage<Record<string, unknown>>(
      `${collectionPath(type)}?$filter=${filterField} eq ${quoteFilter(value)}`,
    );
    return page.value.length === 1 && page.value[0] ? stripAnnotations(page.value[0]) : undefined;
  } catch (error) {
    if (isNotFound(error) || (error instanceof GraphError && error.status === 400)) return undefined;
    throw error;
  }
}
