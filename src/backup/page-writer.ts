// Turns a collected page into one store commit: a version only where the canonical hash
// changed, a tombstone for each deletion, edges opened and closed with validity intervals.
// Deterministic ids and hash comparison make a replayed page write nothing twice.
import { emptyCounts, type GraphObject, type ObjectType, type TypeCounts } from '../domain.ts';
import type { GraphClient } from '../graph/gateway.ts';
import type { EdgeRecord, ObjectRecord, PageCommit, Store, VersionRecord } from '../store/store.ts';
import { canonicalize, contentHash, TOMBSTONE_HASH } from './canonical.ts';
import type { CollectedPage, EdgeChange, EdgeTarget, ObjectChange } from './collectors/collector.ts';
import { edgeIdFor, edgeKey, versionIdFor } from './ids.ts';
import { TYPE_SPECS } from './type-specs.ts';

export interface WriterContext {
  store: Store;
  tenantId: string;
  client: GraphClient;
  runId: string;
  /** The run's capture instant (its first start): versions and edges of this run carry it. */
  capturedAt: string;
}

export type CountsByType = Partial<Record<ObjectType, TypeCounts>>;

export interface BuiltPage {
  commit: Omit<PageCommit, 'run'>;
  counts: CountsByType;
}

function bump(counts: CountsByType, type: ObjectType, field: keyof TypeCounts, by = 1): void {
  const c = counts[type] ?? emptyCounts();
  c[field] += by;
  counts[type] = c;
}

/** Later than both the run's capture instant and the object's last change (keeps version order). */
function nextCapturedAt(w: WriterContext, rec: ObjectRecord | undefined): string {
  if (rec && rec.lastChangedAt >= w.capturedAt)
    return new Date(Date.parse(rec.lastChangedAt) + 1).toISOString();
  return w.capturedAt;
}

export function objectRecordFor(
  tenantId: string,
  type: ObjectType,
  content: GraphObject,
  version: VersionRecord,
  previous: ObjectRecord | undefined,
): ObjectRecord {
  const spec = TYPE_SPECS[type];
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const displayName =
    str(content.displayName) ??
    str(content.userPrincipalName) ??
    (type === 'signIn'
      ? `${str(content.userDisplayName) ?? ''} ${str(content.createdDateTime) ?? ''}`.trim()
      : undefined) ??
    content.id;
  const keys = new Set<string>([displayName.toLowerCase(), content.id.toLowerCase()]);
  for (const field of spec.searchFields) {
    const v = str(content[field]);
    if (v) keys.add(v.toLowerCase());
  }
  const summary: Record<string, unknown> = {};
  for (const field of spec.summaryFields) if (content[field] !== undefined) summary[field] = content[field];
  return {
    tenantId,
    objectType: type,
    objectId: content.id,
    displayName,
    searchKeys: [...keys],
    summary,
    deleted: false,
    latestVersionId: version.versionId,
    latestHash: version.hash,
    firstSeenAt: previous?.firstSeenAt ?? version.capturedAt,
    lastChangedAt: version.capturedAt,
  };
}

/** Soft (in the recycle bin) or hard, by asking Graph's deletedItems; undefined when Graph will not say. */
async function lookupDeletions(
  client: GraphClient,
  ids: string[],
): Promise<Map<string, 'soft' | 'hard' | undefined>> {
  const out = new Map<string, 'soft' | 'hard' | undefined>();
  if (ids.length === 0) return out;
  const answers = await client.batch(
    ids.map((id, i) => ({
      id: String(i),
      method: 'GET' as const,
      url: `/directory/deletedItems/${id}?$select=id`,
    })),
  );
  answers.forEach((a, i) => {
    out.set(ids[i], a.status === 200 ? 'soft' : a.status === 404 ? 'hard' : undefined);
  });
  return out;
}

/** Content of an object's newest non-tombstone version (base for merging a partial delta entry). */
async function latestContent(w: WriterContext, rec: ObjectRecord): Promise<GraphObject | undefined> {
  if (!rec.deleted) {
    const v = await w.store.getVersion(w.tenantId, rec.objectId, rec.latestVersionId);
    if (v?.content) return v.content;
  }
  const versions = await w.store.listVersions(w.tenantId, rec.objectId, 5);
  return versions.find((v) => v.content)?.content ?? undefined;
}

export async function buildCommit(w: WriterContext, page: CollectedPage): Promise<BuiltPage> {
  const counts: CountsByType = {};
  const versions: VersionRecord[] = [];
  const records = new Map<string, ObjectRecord>();
  const contents = new Map<string, GraphObject>();
  const existing = await loadExisting(w, page.changes);
  const deletedSources: { type: ObjectType; id: string }[] = [];
  const keyOf = (type: ObjectType, id: string) => `${type}|${id}`;

  const lookupIds = page.changes
    .filter((c) => c.deleted === 'lookup' && TYPE_SPECS[c.type].softDelete)
    .filter((c) => {
      const rec = existing.get(keyOf(c.type, c.id));
      return rec && !rec.deleted;
    })
    .map((c) => c.id);
  const lookedUp = await lookupDeletions(w.client, lookupIds);

  for (const change of page.changes) {
    const key = keyOf(change.type, change.id);
    const rec = records.get(key) ?? existing.get(key);
    if (change.deleted) {
      if (!change.reconciled) bump(counts, change.type, 'seen');
      if (!rec || rec.deleted) {
        if (!change.reconciled) bump(counts, change.type, 'unchanged');
        continue;
      }
      const kind = !TYPE_SPECS[change.type].softDelete
        ? 'hard'
        : change.deleted === 'lookup'
          ? lookedUp.get(change.id)
          : change.deleted;
      const capturedAt = nextCapturedAt(w, rec);
      const version: VersionRecord = {
        tenantId: w.tenantId,
        objectType: change.type,
        objectId: change.id,
        versionId: versionIdFor(capturedAt, TOMBSTONE_HASH),
        hash: TOMBSTONE_HASH,
        content: null,
        deleted: true,
        ...(kind ? { deletionKind: kind } : {}),
        capturedAt,
        runId: w.runId,
        source: 'backup',
      };
      versions.push(version);
      const next: ObjectRecord = {
        ...rec,
        deleted: true,
        deletedAt: capturedAt,
        latestVersionId: version.versionId,
        latestHash: TOMBSTONE_HASH,
        lastChangedAt: capturedAt,
      };
      if (kind) next.deletionKind = kind;
      else delete next.deletionKind;
      records.set(key, next);
      contents.delete(key);
      deletedSources.push({ type: change.type, id: change.id });
      bump(counts, change.type, 'deleted');
      continue;
    }
    if (!change.object) continue;
    bump(counts, change.type, 'seen');
    let raw: Record<string, unknown> = change.object;
    if (change.partial && rec) {
      const base = contents.get(key) ?? (await latestContent(w, rec));
      if (base) raw = { ...base, ...change.object };
    }
    const content = canonicalize(change.type, raw);
    const hash = contentHash(content);
    if (rec && !rec.deleted && rec.latestHash === hash) {
      bump(counts, change.type, 'unchanged');
      continue;
    }
    const capturedAt = nextCapturedAt(w, rec);
    const version: VersionRecord = {
      tenantId: w.tenantId,
      objectType: change.type,
      objectId: change.id,
      versionId: versionIdFor(capturedAt, hash),
      hash,
      content,
      deleted: false,
      capturedAt,
      runId: w.runId,
      source: 'backup',
    };
    versions.push(version);
    records.set(key, objectRecordFor(w.tenantId, change.type, content, version, rec));
    contents.set(key, content);
    bump(counts, change.type, rec ? 'changed' : 'created');
  }

  const edges = await applyEdges(w, page.edges, deletedSources);
  for (const f of page.failed ?? []) bump(counts, f.type, 'failed');
  return {
    commit: {
      versions,
      objects: [...records.values()],
      edgesAdded: edges.added,
      edgesRemoved: edges.removed,
    },
    counts,
  };
}

async function loadExisting(w: WriterContext, changes: ObjectChange[]): Promise<Map<string, ObjectRecord>> {
  const byType = new Map<ObjectType, Set<string>>();
  for (const c of changes) {
    const set = byType.get(c.type) ?? new Set<string>();
    set.add(c.id);
    byType.set(c.type, set);
  }
  const out = new Map<string, ObjectRecord>();
  for (const [type, ids] of byType) {
    const found = await w.store.getObjects(w.tenantId, type, [...ids]);
    for (const [id, rec] of found) out.set(`${type}|${id}`, rec);
  }
  return out;
}

interface EdgeDelta {
  added: EdgeRecord[];
  removed: { edgeId: string; removedAt: string }[];
}

async function applyEdges(
  w: WriterContext,
  changes: EdgeChange[],
  deletedSources: { type: ObjectType; id: string }[],
): Promise<EdgeDelta> {
  // Alive edges per source|kind, loaded once per page and updated as the page's changes apply.
  const alive = new Map<string, Map<string, EdgeRecord>>();
  const added = new Map<string, EdgeRecord>();
  const removed = new Map<string, string>();
  const at = w.capturedAt;

  const load = async (sourceId: string, kind: EdgeChange['kind']) => {
    const k = `${sourceId}|${kind}`;
    let m = alive.get(k);
    if (!m) {
      m = new Map();
      for (const e of await w.store.listEdges(w.tenantId, { sourceId, kind })) {
        m.set(edgeKey(e.targetId, discriminatorOf(e)), e);
      }
      alive.set(k, m);
    }
    return m;
  };
  const close = (m: Map<string, EdgeRecord>, key: string) => {
    const e = m.get(key);
    if (!e) return;
    m.delete(key);
    if (added.has(e.edgeId) && e.addedAt === at) {
      // Opened and closed within this page: keep it as a zero-length interval.
      added.set(e.edgeId, { ...e, removedAt: at });
      return;
    }
    removed.set(e.edgeId, at);
  };
  const open = (m: Map<string, EdgeRecord>, change: EdgeChange, t: EdgeTarget) => {
    const key = edgeKey(t.targetId, t.discriminator);
    if (m.has(key)) return;
    const edgeId = edgeIdFor(change.sourceId, change.kind, t.targetId, at, t.discriminator);
    removed.delete(edgeId);
    const edge: EdgeRecord = {
      tenantId: w.tenantId,
      edgeId,
      sourceType: change.sourceType,
      sourceId: change.sourceId,
      kind: change.kind,
      targetId: t.targetId,
      ...(t.targetType ? { targetType: t.targetType } : {}),
      ...(t.attrs ? { attrs: t.attrs } : {}),
      addedAt: at,
      removedAt: null,
      runId: w.runId,
    };
    added.set(edgeId, edge);
    m.set(key, edge);
  };

  for (const change of changes) {
    const m = await load(change.sourceId, change.kind);
    if (change.mode === 'replace') {
      const wanted = new Map(change.targets.map((t) => [edgeKey(t.targetId, t.discriminator), t]));
      for (const key of [...m.keys()]) if (!wanted.has(key)) close(m, key);
      for (const t of wanted.values()) open(m, change, t);
    } else {
      for (const t of change.targets) {
        if (t.removed) close(m, edgeKey(t.targetId, t.discriminator));
        else open(m, change, t);
      }
    }
  }
  // A deleted object keeps no live relationships: neither its own (members, owners) nor those
  // naming it (its memberships, ownerships, app role assignments), as in Entra.
  for (const src of deletedSources) {
    const edges = [
      ...(await w.store.listEdges(w.tenantId, { sourceId: src.id })),
      ...(await w.store.listEdges(w.tenantId, { targetId: src.id })),
    ];
    for (const e of edges) {
      const m = await load(e.sourceId, e.kind);
      close(m, edgeKey(e.targetId, discriminatorOf(e)));
    }
  }
  return {
    added: [...added.values()],
    removed: [...removed].map(([edgeId, removedAt]) => ({ edgeId, removedAt })),
  };
}

/** The discriminator an edge was stored with (assignment edges carry their assignment id). */
export function discriminatorOf(e: Pick<EdgeRecord, 'kind' | 'attrs'>): string | undefined {
  if (e.kind !== 'appRoleAssignment' && e.kind !== 'roleAssignment') return undefined;
  const id = e.attrs?.assignmentId;
  return typeof id === 'string' ? id : undefined;
}
