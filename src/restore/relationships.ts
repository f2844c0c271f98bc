// Relationships as facts (the same shape as the store's edges), seen from one object: its group
// and AU memberships, its members, owners, directory role and app role assignments, a user's
// manager. The planner compares the facts at the restore point with the live ones: add what is
// missing, remove extra.
import type { ObjectType } from '../domain.ts';
import { type GraphClient, GraphError } from '../graph/gateway.ts';
import type { EdgeRecord, Store } from '../store/store.ts';
import { collectionPath, itemPath, quoteFilter, typeFromOData } from './graph-paths.ts';

export type RelationKind = 'member' | 'owner' | 'roleAssignment' | 'appRoleAssignment' | 'manager';

export interface RelationFact {
  kind: RelationKind;
  /** Group/AU (member), owned object (owner), role definition (roleAssignment), resource SP (appRoleAssignment), user (manager). */
  sourceId: string;
  sourceType: ObjectType;
  /** Member, owner, principal or manager. */
  targetId: string;
  targetType?: ObjectType;
  directoryScopeId?: string;
  appRoleId?: string;
  /** Live assignment id (needed to remove an assignment). */
  assignmentId?: string;
}

/** A view of the relationships of one object. */
export type Perspective =
  | 'memberOf'
  | 'members'
  | 'owners'
  | 'principalRoles'
  | 'roleAssignments'
  | 'principalAppRoles'
  | 'appRoleAssignedTo'
  /** A user's manager (one at most; a manager's direct reports are theirs, not restored with it). */
  | 'manager';

export const PERSPECTIVES_BY_TYPE: Partial<Record<ObjectType, Perspective[]>> = {
  user: ['memberOf', 'principalRoles', 'principalAppRoles', 'manager'],
  group: ['members', 'owners', 'memberOf', 'principalRoles', 'principalAppRoles'],
  servicePrincipal: ['owners', 'memberOf', 'principalRoles', 'appRoleAssignedTo'],
  application: ['owners'],
  administrativeUnit: ['members'],
  device: ['memberOf'],
  roleDefinition: ['roleAssignments'],
};

export type RelationOption = 'withMemberships' | 'withOwners' | 'withRoleAssignments';

export const OPTION_OF: Record<Perspective, RelationOption> = {
  memberOf: 'withMemberships',
  members: 'withMemberships',
  owners: 'withOwners',
  principalRoles: 'withRoleAssignments',
  roleAssignments: 'withRoleAssignments',
  principalAppRoles: 'withRoleAssignments',
  appRoleAssignedTo: 'withRoleAssignments',
  manager: 'withMemberships',
};

export function factKey(f: RelationFact): string {
  return [f.kind, f.sourceId, f.targetId, f.directoryScopeId ?? '', f.appRoleId ?? ''].join('|');
}

function edgeToFact(e: EdgeRecord): RelationFact {
  const attrs = e.attrs ?? {};
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    kind: e.kind,
    sourceId: e.sourceId,
    sourceType: e.sourceType,
    targetId: e.targetId,
    targetType: typeFromOData(e.targetType),
    directoryScopeId: e.kind === 'roleAssignment' ? (str(attrs.directoryScopeId) ?? '/') : undefined,
    appRoleId:
      e.kind === 'appRoleAssignment'
        ? (str(attrs.appRoleId) ?? '00000000-0000-0000-0000-000000000000')
        : undefined,
    assignmentId: str(attrs.assignmentId),
  };
}

const MEMBER_CONTAINERS: ReadonlySet<ObjectType> = new Set(['group', 'administrativeUnit']);

/** Facts of `objectId` seen from `perspective`, as the backup recorded them at `at`. */
export async function factsAt(
  store: Store,
  tenantId: string,
  objectId: string,
  perspective: Perspective,
  at: string,
): Promise<RelationFact[]> {
  const q = (query: Parameters<Store['listEdges']>[1]) => store.listEdges(tenantId, { ...query, at });
  let edges: EdgeRecord[];
  switch (perspective) {
    case 'memberOf':
      edges = (await q({ targetId: objectId, kind: 'member' })).filter((e) =>
        MEMBER_CONTAINERS.has(e.sourceType),
      );
      break;
    case 'members':
      edges = await q({ sourceId: objectId, kind: 'member' });
      break;
    case 'owners':
      edges = await q({ sourceId: objectId, kind: 'owner' });
      break;
    case 'principalRoles':
      edges = await q({ targetId: objectId, kind: 'roleAssignment' });
      break;
    case 'roleAssignments':
      edges = await q({ sourceId: objectId, kind: 'roleAssignment' });
      break;
    case 'principalAppRoles':
      edges = await q({ targetId: objectId, kind: 'appRoleAssignment' });
      break;
    case 'appRoleAssignedTo':
      edges = await q({ sourceId: objectId, kind: 'appRoleAssignment' });
      break;
    case 'manager':
      edges = await q({ sourceId: objectId, kind: 'manager' });
      break;
  }
  return dedupe(edges.map(edgeToFact));
}

function dedupe(facts: RelationFact[]): RelationFact[] {
  const seen = new Map<string, RelationFact>();
  for (const f of facts) if (!seen.has(factKey(f))) seen.set(factKey(f), f);
  return [...seen.values()];
}

type Raw = Record<string, unknown>;

async function listAll(client: GraphClient, path: string): Promise<Raw[]> {
  const out: Raw[] = [];
  for await (const page of client.pages<Raw>(path)) out.push(...page.value);
  return out;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function roleFact(a: Raw): RelationFact {
  return {
    kind: 'roleAssignment',
    sourceId: str(a.roleDefinitionId),
    sourceType: 'roleDefinition',
    targetId: str(a.principalId),
    directoryScopeId: str(a.directoryScopeId) || '/',
    assignmentId: str(a.id),
  };
}

function appRoleFact(a: Raw): RelationFact {
  return {
    kind: 'appRoleAssignment',
    sourceId: str(a.resourceId),
    sourceType: 'servicePrincipal',
    targetId: str(a.principalId),
    targetType: typeFromOData(a.principalType) ?? undefined,
    appRoleId: str(a.appRoleId) || '00000000-0000-0000-0000-000000000000',
    assignmentId: str(a.id),
  };
}

/** An endpoint this Graph does not serve (the dev tenant lacks a few navigation segments). */
function unsupported(error: unknown): boolean {
  return error instanceof GraphError && error.status === 400 && /segment/i.test(error.message);
}

/**
 * Facts of the live object `objectId` (in the client's tenant) seen from `perspective`. When
 * `/memberOf` or `/appRoleAssignments` is not served, the candidates' own lists are read instead
 * (each candidate group, AU or resource is asked whether the object is in it).
 */
export async function liveFacts(
  client: GraphClient,
  type: ObjectType,
  objectId: string,
  perspective: Perspective,
  candidates: RelationFact[] = [],
): Promise<RelationFact[]> {
  return new LiveRelations(client).facts(type, objectId, perspective, candidates);
}

/** The Graph list holding the facts of `objectId` seen from `perspective`. */
export function liveListPath(type: ObjectType, objectId: string, perspective: Perspective): string {
  const base = itemPath(type, objectId);
  switch (perspective) {
    case 'memberOf':
    case 'members':
    case 'owners':
      return `${base}/${perspective}?$select=id`;
    case 'principalRoles':
      return `${collectionPath('roleAssignment')}?$filter=principalId eq ${quoteFilter(objectId)}`;
    case 'roleAssignments':
      return `${collectionPath('roleAssignment')}?$filter=roleDefinitionId eq ${quoteFilter(objectId)}`;
    case 'principalAppRoles':
      return `${base}/appRoleAssignments`;
    case 'appRoleAssignedTo':
      return `${base}/appRoleAssignedTo`;
    case 'manager':
      return `${base}/manager?$select=id`;
  }
}

/**
 * The rows of one answer to a `liveListPath` read, or undefined when it must be read alone (more
 * pages, an error). The manager is one object, not a list: 404 means the user has none.
 */
export function rowsOfAnswer(
  perspective: Perspective,
  answer: { status: number; body?: unknown } | undefined,
): Raw[] | undefined {
  if (!answer) return undefined;
  if (perspective === 'manager') {
    if (answer.status === 404) return [];
    const body = answer.body as Raw | undefined;
    return answer.status === 200 && body && typeof body.id === 'string' ? [body] : undefined;
  }
  const body = answer.body as { value?: Raw[]; '@odata.nextLink'?: string } | undefined;
  return answer.status === 200 && Array.isArray(body?.value) && !body['@odata.nextLink']
    ? body.value
    : undefined;
}

/** Facts from the rows of `liveListPath` (all pages). */
export function factsFromRows(
  type: ObjectType,
  objectId: string,
  perspective: Perspective,
  rows: Raw[],
): RelationFact[] {
  switch (perspective) {
    case 'memberOf':
      return rows
        .map((r) => ({ r, t: typeFromOData(r['@odata.type']) }))
        .filter(({ t }) => t === 'group' || t === 'administrativeUnit')
        .map(({ r, t }) => ({
          kind: 'member' as const,
          sourceId: str(r.id),
          sourceType: t as ObjectType,
          targetId: objectId,
          targetType: type,
        }));
    case 'members':
    case 'owners':
      return rows.map((r) => ({
        kind: perspective === 'members' ? ('member' as const) : ('owner' as const),
        sourceId: objectId,
        sourceType: type,
        targetId: str(r.id),
        targetType: typeFromOData(r['@odata.type']),
      }));
    case 'principalRoles':
    case 'roleAssignments':
      return rows.map(roleFact);
    case 'principalAppRoles':
    case 'appRoleAssignedTo':
      return rows.map(appRoleFact);
    case 'manager':
      return rows.slice(0, 1).map((r) => ({
        kind: 'manager' as const,
        sourceId: objectId,
        sourceType: type,
        targetId: str(r.id),
        targetType: typeFromOData(r['@odata.type']) ?? 'user',
      }));
  }
}

async function liveFactsDirect(
  client: GraphClient,
  type: ObjectType,
  objectId: string,
  perspective: Perspective,
): Promise<RelationFact[]> {
  if (perspective === 'manager') {
    try {
      const manager = await client.get<Raw>(liveListPath(type, objectId, perspective));
      return factsFromRows(type, objectId, perspective, [manager]);
    } catch (error) {
      if (error instanceof GraphError && error.status === 404) return [];
      throw error;
    }
  }
  const rows = await listAll(client, liveListPath(type, objectId, perspective));
  return factsFromRows(type, objectId, perspective, rows);
}

/** Facts to add (at T, not live) and to remove (live, not at T). */
export function compareFacts(
  desired: RelationFact[],
  live: RelationFact[],
): { add: RelationFact[]; remove: RelationFact[] } {
  const liveKeys = new Map(live.map((f) => [factKey(f), f]));
  const desiredKeys = new Set(desired.map(factKey));
  return {
    add: desired.filter((f) => !liveKeys.has(factKey(f))),
    remove: live.filter((f) => !desiredKeys.has(factKey(f))),
  };
}

/**
 * Live relationship reads for one plan: each list is read once (a group's members serve every
 * member restored with it), and an endpoint this Graph does not serve is not asked again.
 */
export class LiveRelations {
  private readonly cache = new Map<string, Promise<RelationFact[]>>();
  private readonly unsupportedViews = new Set<Perspective>();
  constructor(readonly client: GraphClient) {}

  private list(type: ObjectType, id: string, perspective: Perspective): Promise<RelationFact[]> {
    const key = `${type}|${id}|${perspective}`;
    let hit = this.cache.get(key);
    if (!hit) {
      hit = liveFactsDirect(this.client, type, id, perspective);
      this.cache.set(key, hit);
    }
    return hit;
  }

  /**
   * Reads many lists ahead through $batch (20 per request) and keeps the complete answers; a
   * list with more pages or any other answer is left to `facts` (read alone, with its fallbacks).
   */
  async prefetch(reads: Omit<ListRead, 'candidates'>[]): Promise<void> {
    const todo = reads.filter((r) => !this.cache.has(`${r.type}|${r.id}|${r.perspective}`));
    if (todo.length < 2) return;
    let answers: Awaited<ReturnType<GraphClient['batch']>>;
    try {
      answers = await this.client.batch(
        todo.map((r, i) => ({
          id: String(i),
          method: 'GET' as const,
          url: liveListPath(r.type, r.id, r.perspective),
        })),
      );
    } catch {
      return; // Each list is then read alone by `facts`, which reports its own error.
    }
    todo.forEach((r, i) => {
      const rows = rowsOfAnswer(r.perspective, answers[i]);
      if (rows) {
        this.cache.set(
          `${r.type}|${r.id}|${r.perspective}`,
          Promise.resolve(factsFromRows(r.type, r.id, r.perspective, rows)),
        );
      }
    });
  }

  async facts(
    type: ObjectType,
    id: string,
    perspective: Perspective,
    candidates: RelationFact[] = [],
  ): Promise<RelationFact[]> {
    const viaCandidates = perspective === 'memberOf' || perspective === 'principalAppRoles';
    if (!this.unsupportedViews.has(perspective)) {
      try {
        return await this.list(type, id, perspective);
      } catch (error) {
        if (!viaCandidates || !unsupported(error)) throw error;
        this.unsupportedViews.add(perspective);
      }
    }
    const out: RelationFact[] = [];
    const seen = new Set<string>();
    for (const c of candidates) {
      if (seen.has(c.sourceId)) continue;
      seen.add(c.sourceId);
      try {
        if (perspective === 'memberOf') {
          const members = await this.list(c.sourceType, c.sourceId, 'members');
          out.push(...members.filter((m) => m.targetId === id).map((m) => ({ ...m, targetType: type })));
        } else {
          const assigned = await this.list('servicePrincipal', c.sourceId, 'appRoleAssignedTo');
          out.push(...assigned.filter((a) => a.targetId === id));
        }
      } catch (error) {
        if (!(error instanceof GraphError && error.status === 404)) throw error;
      }
    }
    return out;
  }
}

export interface ListRead {
  type: ObjectType;
  id: string;
  perspective: Perspective;
  /** For views Graph may not serve directly (see LiveRelations.facts). */
  candidates?: RelationFact[];
}

/**
 * Many relationship lists at once: one $batch (20 lists per request); a list with more pages,
 * or one the batch did not answer with 200, is read alone (paging, fallbacks, its own error).
 */
export async function readLiveLists(
  client: GraphClient,
  reads: ListRead[],
): Promise<(RelationFact[] | Error)[]> {
  const answers =
    reads.length > 1
      ? await client.batch(
          reads.map((r, i) => ({
            id: String(i),
            method: 'GET' as const,
            url: liveListPath(r.type, r.id, r.perspective),
          })),
        )
      : [];
  const relations = new LiveRelations(client);
  const out: (RelationFact[] | Error)[] = [];
  for (let i = 0; i < reads.length; i++) {
    const r = reads[i];
    const rows = rowsOfAnswer(r.perspective, answers[i]);
    if (rows) {
      out.push(factsFromRows(r.type, r.id, r.perspective, rows));
      continue;
    }
    try {
      out.push(await relations.facts(r.type, r.id, r.perspective, r.candidates ?? []));
    } catch (error) {
      out.push(error instanceof Error ? error : new Error(String(error)));
    }
  }
  return out;
}
