// Backed-up objects: the paged, searchable tables; an object's versions; one version with its
// changed properties and the relationships (memberships, owners, roles, manager and direct
// reports) alive at that moment.
import type { AppContext } from '../../app-context.ts';
import { isObjectType, type ObjectType } from '../../domain.ts';
import type { RestifyServer } from '../../server/http-server.ts';
import type { EdgeRecord, ObjectRecord, VersionRecord } from '../../store/store.ts';
import { type ApiDeps, notFound, parseParams, parseQuery, readRoute } from '../http-helpers.ts';
import type { ProductPorts } from '../product-ports.ts';
import { objectListQuery, objectParams, versionParams } from '../schemas.ts';

const MAX_RELATIONS = 500;

export function mountObjectRoutes(server: RestifyServer, deps: ApiDeps, ports: ProductPorts): void {
  const { ctx } = deps;

  server.get(
    '/api/tab/objects',
    readRoute(deps, async (req, caller) => {
      const q = parseQuery(objectListQuery, req);
      const page = await ctx.store.listObjects(caller.principal.tenantId, {
        type: q.type,
        search: q.search?.trim() || undefined,
        deleted: q.deleted ?? 'all',
        sort: q.sort ?? 'name',
        descending: q.desc === 'true',
        limit: q.limit ?? 50,
        continuation: q.continuation,
      });
      return { items: page.items.map(objectRow), continuation: page.continuation };
    }),
  );

  server.get(
    '/api/tab/objects/:type/:id',
    readRoute(deps, async (req, caller) => {
      const { type, id } = parseParams(objectParams, req);
      const tenantId = caller.principal.tenantId;
      const object = await ctx.store.getObject(tenantId, type, id);
      if (!object) throw notFound(`The ${type} ${id}`);
      const versions = await ctx.store.listVersions(tenantId, id, 500);
      return {
        object: objectRow(object),
        versions: versions
          .filter((v) => v.objectType === type)
          .map((v) => ({
            versionId: v.versionId,
            capturedAt: v.capturedAt,
            deleted: v.deleted,
            deletionKind: v.deletionKind,
            source: v.source,
            runId: v.runId,
          })),
      };
    }),
  );

  server.get(
    '/api/tab/objects/:type/:id/versions/:versionId',
    readRoute(deps, async (req, caller) => {
      const { type, id, versionId } = parseParams(versionParams, req);
      const tenantId = caller.principal.tenantId;
      const version = await ctx.store.getVersion(tenantId, id, versionId);
      if (!version || version.objectType !== type) throw notFound('That version');
      const previous = await previousVersion(ctx, tenantId, version);
      return {
        version: {
          versionId: version.versionId,
          capturedAt: version.capturedAt,
          deleted: version.deleted,
          deletionKind: version.deletionKind,
          source: version.source,
          content: version.content,
        },
        previous: previous ? { versionId: previous.versionId, capturedAt: previous.capturedAt } : undefined,
        changes: previous ? ports.diffVersions(previous.content, version.content) : [],
        relations: await relationsAt(ctx, tenantId, type, id, version.capturedAt),
        authMethods: type === 'user' ? await authMethodsAt(ctx, tenantId, id, version.capturedAt) : undefined,
      };
    }),
  );
}

export function objectRow(o: ObjectRecord) {
  return {
    objectType: o.objectType,
    objectId: o.objectId,
    displayName: o.displayName,
    summary: o.summary,
    deleted: o.deleted,
    deletedAt: o.deletedAt,
    deletionKind: o.deletionKind,
    lastChangedAt: o.lastChangedAt,
    firstSeenAt: o.firstSeenAt,
  };
}

async function previousVersion(ctx: AppContext, tenantId: string, version: VersionRecord) {
  const versions = await ctx.store.listVersions(tenantId, version.objectId, 500);
  const index = versions.findIndex((v) => v.versionId === version.versionId);
  return index >= 0 ? versions[index + 1] : undefined;
}

export interface RelationRow {
  id: string;
  objectType?: ObjectType;
  displayName: string;
  kind: string;
  since: string;
  attrs?: Record<string, unknown>;
}

/** Relationships alive at `at`, grouped as the detail page shows them, with display names. */
async function relationsAt(ctx: AppContext, tenantId: string, type: ObjectType, id: string, at: string) {
  const [incoming, outgoing] = await Promise.all([
    ctx.store.listEdges(tenantId, { targetId: id, at }),
    ctx.store.listEdges(tenantId, { sourceId: id, at }),
  ]);
  const names = await resolveNames(ctx, tenantId, [...incoming, ...outgoing]);
  const row = (e: EdgeRecord, side: 'source' | 'target', kind: string = e.kind): RelationRow => {
    const otherId = side === 'source' ? e.sourceId : e.targetId;
    const otherType = side === 'source' ? e.sourceType : graphTypeToObjectType(e.targetType);
    return {
      id: otherId,
      objectType: otherType,
      displayName: names.get(otherId) ?? otherId,
      kind,
      since: e.addedAt,
      attrs: e.attrs,
    };
  };
  const cap = (rows: RelationRow[]) => rows.slice(0, MAX_RELATIONS);
  return {
    memberOf: cap(
      incoming
        .filter((e) => e.kind === 'member' && e.sourceType !== 'directoryRole')
        .map((e) => row(e, 'source')),
    ),
    roles: cap(
      incoming
        .filter(
          (e) => e.kind === 'roleAssignment' || (e.kind === 'member' && e.sourceType === 'directoryRole'),
        )
        .map((e) => row(e, 'source')),
    ),
    appRoles: cap(incoming.filter((e) => e.kind === 'appRoleAssignment').map((e) => row(e, 'source'))),
    ownerOf: cap(incoming.filter((e) => e.kind === 'owner').map((e) => row(e, 'source'))),
    members: cap(outgoing.filter((e) => e.kind === 'member').map((e) => row(e, 'target'))),
    owners: cap(outgoing.filter((e) => e.kind === 'owner').map((e) => row(e, 'target'))),
    assignments: cap(
      outgoing
        .filter((e) => e.kind === 'roleAssignment' || e.kind === 'appRoleAssignment')
        .map((e) => row(e, 'target')),
    ),
    manager: cap(outgoing.filter((e) => e.kind === 'manager').map((e) => row(e, 'target'))),
    directReports: cap(
      incoming.filter((e) => e.kind === 'manager').map((e) => row(e, 'source', 'directReport')),
    ),
    truncated: incoming.length + outgoing.length > MAX_RELATIONS,
    type,
  };
}

function graphTypeToObjectType(odataType: string | undefined): ObjectType | undefined {
  const name = odataType?.replace('#microsoft.graph.', '');
  return name && isObjectType(name) ? name : undefined;
}

async function resolveNames(
  ctx: AppContext,
  tenantId: string,
  edges: EdgeRecord[],
): Promise<Map<string, string>> {
  const byType = new Map<ObjectType, Set<string>>();
  const add = (t: ObjectType | undefined, id: string) => {
    if (!t) return;
    if (!byType.has(t)) byType.set(t, new Set());
    byType.get(t)?.add(id);
  };
  for (const e of edges.slice(0, MAX_RELATIONS * 4)) {
    add(e.sourceType, e.sourceId);
    add(graphTypeToObjectType(e.targetType) ?? 'user', e.targetId);
  }
  const names = new Map<string, string>();
  await Promise.all(
    [...byType].map(async ([t, ids]) => {
      const found = await ctx.store.getObjects(tenantId, t, [...ids]);
      for (const [oid, rec] of found) names.set(oid, rec.displayName);
    }),
  );
  return names;
}

/** The user's authentication method metadata (a separate object, `<userId>/authenticationMethods`) at `at`. */
async function authMethodsAt(ctx: AppContext, tenantId: string, userId: string, at: string) {
  const version = await ctx.store.getVersionAt(tenantId, `${userId}/authenticationMethods`, at);
  if (!version || version.deleted || !version.content)
    return { capturedAt: version?.capturedAt, methods: [] };
  const content = version.content as Record<string, unknown>;
  const methods = Array.isArray(content.methods)
    ? content.methods
    : Array.isArray(content.value)
      ? content.value
      : [];
  return { capturedAt: version.capturedAt, methods: methods.slice(0, 100) as Record<string, unknown>[] };
}
