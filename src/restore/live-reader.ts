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

export interface LiveProbe {
  type: ObjectType;
  id: string;
  /** Snapshot keys (the `$select` of types whose default GET omits properties). */
  keys: string[];
  /** The backup saw it soft-deleted: ask the recycle bin first (one read instead of two). */
  likelyDeleted?: boolean;
}

/** Types Graph serves inside $batch here (conditional access policies are read alone). */
const BATCH_READABLE = (type: ObjectType) => type !== 'conditionalAccessPolicy';

function deletedPath(probe: LiveProbe): string {
  return `/directory/deletedItems/${encodeURIComponent(probe.id)}${selectQuery(probe.type, probe.keys)}`;
}

function livePath(probe: LiveProbe): string {
  return `${itemPath(probe.type, probe.id)}${selectQuery(probe.type, probe.keys)}`;
}

/**
 * The live state of many objects through $batch (20 reads per request): each object is first
 * looked for where the backup last saw it (live, or the recycle bin), then in the other place
 * only when that answers 404. Anything but 200/404 in a batch is re-read alone for its error.
 */
export async function readLiveMany(client: GraphClient, probes: LiveProbe[]): Promise<LiveState[]> {
  const out: (LiveState | undefined)[] = probes.map(() => undefined);
  const batchable = probes.map((p, i) => ({ p, i })).filter(({ p }) => BATCH_READABLE(p.type));
  type Round = { p: LiveProbe; i: number; where: 'live' | 'deleted' }[];
  let round: Round = batchable.map(({ p, i }) => ({
    p,
    i,
    where: p.likelyDeleted && SOFT_DELETABLE.has(p.type) ? 'deleted' : 'live',
  }));
  const tried = new Map<number, Set<string>>();
  while (round.length > 0) {
    const answers =
      round.length === 1
        ? [await single(client, round[0].where === 'live' ? livePath(round[0].p) : deletedPath(round[0].p))]
        : await client.batch(
            round.map((r, k) => ({
              id: String(k),
              method: 'GET' as const,
              url: r.where === 'live' ? livePath(r.p) : deletedPath(r.p),
            })),
          );
    const next: Round = [];
    round.forEach((r, k) => {
      const a = answers[k];
      const seen = tried.get(r.i) ?? new Set<string>();
      seen.add(r.where);
      tried.set(r.i, seen);
      if (a && a.status === 200 && a.body && typeof a.body === 'object') {
        const object = stripAnnotations(a.body as Record<string, unknown>);
        out[r.i] = r.where === 'live' ? { state: 'live', object } : { state: 'softDeleted', object };
      } else if (a && a.status === 404) {
        const other = r.where === 'live' ? 'deleted' : 'live';
        if (!seen.has(other) && (other === 'live' || SOFT_DELETABLE.has(r.p.type)))
          next.push({ ...r, where: other });
        else out[r.i] = { state: 'absent' };
      }
      // Other answers (errors): left undefined, read alone below so the error surfaces as thrown.
    });
    round = next;
  }
  for (let i = 0; i < probes.length; i++) {
    if (!out[i]) out[i] = await readLive(client, probes[i].type, probes[i].id, probes[i].keys);
  }
  return out as LiveState[];
}

/** One GET shaped like a batch answer (a single read needs no $batch envelope). */
async function single(client: GraphClient, path: string): Promise<{ status: number; body?: unknown }> {
  try {
    return { status: 200, body: await client.get<Record<string, unknown>>(path) };
  } catch (error) {
    if (isNotFound(error)) return { status: 404 };
    if (error instanceof GraphError) return { status: error.status };
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
