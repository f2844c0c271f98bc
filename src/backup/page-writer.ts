// Turns a collected page into one store commit: a version only where the canonical hash
// changed, a tombstone for each deletion, edges opened and closed with validity intervals.
// Deterministic ids and hash comparison make a replayed page write nothing twice.
// Two kinds of replay need more than that:
// - a store whose failed commit may leave part of a page (Cosmos DB) can hold a version the
//   object record does not name yet: the next run reuses it rather than writing it again;
// - a page replayed within the same run (a resumed run, a restarted full listing) meets objects
//   this run already wrote: they count as the created/changed/deleted they were, not unchanged.
import { emptyCounts, type GraphObject, type ObjectType, type TypeCounts } from '../domain.ts';
import type { GraphClient } from '../graph/gateway.ts';
import type {
  EdgeRecord,
  ObjectRecord,
  PageCommit,
  Store,
  VersionHead,
  VersionRecord,
} from '../store/store.ts';
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

/**
 * Objects each stream execution wrote or counted as written (one writer context lives for one
 * execution of a stream). Only those: an object this run did not write never needs the check.
 */
const metBy = new WeakMap<WriterContext, Set<string>>();

function metSet(w: WriterContext): Set<string> {
  let met = metBy.get(w);
  if (!met) {
    met = new Set();
    metBy.set(w, met);
  }
  return met;
}

/**
 * The count an object meeting its stored state gets: 'unchanged', unless this run wrote that
 * state (a replayed page, after a takeover) and this execution has not met the object yet: then
 * what the write was, as an uninterrupted run would have counted it.
 */
function replayCount(w: WriterContext, rec: ObjectRecord, firstMeeting: boolean): keyof TypeCounts {
  if (!firstMeeting || rec.lastChangedAt < w.capturedAt) return 'unchanged';
  if (rec.deleted) return 'deleted';
  return rec.firstSeenAt >= w.capturedAt ? 'created' : 'changed';
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

  const met = metSet(w);
  for (const change of page.changes) {
    const key = keyOf(change.type, change.id);
    const rec = records.get(key) ?? existing.get(key);
    // A repeated entry of a full round (a split group) met the writer on an earlier page of the
    // round, maybe before a resume: counted then.
    const firstMeeting = !met.has(key) && !change.repeated;
    if (change.deleted) {
      if (!change.reconciled) bump(counts, change.type, 'seen');
      if (!rec || rec.deleted) {
        const count = rec ? replayCount(w, rec, firstMeeting) : 'unchanged';
        if (count !== 'unchanged') met.add(key);
        if (count !== 'unchanged' || !change.reconciled) bump(counts, change.type, count);
        continue;
      }
      met.add(key);
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
      const count = replayCount(w, rec, firstMeeting);
      if (count !== 'unchanged') met.add(key);
      bump(counts, change.type, count);
      continue;
    }
    met.add(key);
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
  const kept = w.store.commitsMayBePartial
    ? await reuseLeftVersions(w, versions, records, existing)
    : versions;
  return {
    commit: {
      versions: kept,
      objects: [...records.values()],
      edgesAdded: edges.added,
      edgesRemoved: edges.removed,
    },
    counts,
  };
}

/** Stored versions read at once when looking for versions a failed commit left behind. */
const LEFT_VERSION_READS = 8;

/**
 * A failed commit on a non-transactional store may have written a version and not the object
 * record naming it. When the object's newest stored backup version is newer than its record and
 * has the hash about to be written, that version is the one: reuse it (the record now names it)
 * instead of writing the same content a second time under a new capture time.
 */
async function reuseLeftVersions(
  w: WriterContext,
  versions: VersionRecord[],
  records: Map<string, ObjectRecord>,
  existing: Map<string, ObjectRecord>,
): Promise<VersionRecord[]> {
  const first = new Map<string, VersionRecord>();
  for (const v of versions) {
    const key = `${v.objectType}|${v.objectId}`;
    if (!first.has(key)) first.set(key, v);
  }
  const candidates = [...first.entries()];
  const replaced = new Map<VersionRecord, VersionHead>();
  const consider = (key: string, v: VersionRecord, stored: VersionHead | undefined) => {
    const known = existing.get(key)?.lastChangedAt ?? '';
    if (!stored || stored.hash !== v.hash || stored.versionId === v.versionId) return;
    if (stored.capturedAt <= known) return;
    replaced.set(v, stored);
  };
  if (w.store.newestBackupVersions && candidates.length) {
    // One read for the page where the store can (Cosmos DB: one query, not one per version).
    const newest = await w.store.newestBackupVersions(
      w.tenantId,
      candidates.map(([, v]) => v.objectId),
    );
    for (const [key, v] of candidates) consider(key, v, newest.get(key));
  }
  for (let i = 0; i < candidates.length && !w.store.newestBackupVersions; i += LEFT_VERSION_READS) {
    await Promise.all(
      candidates.slice(i, i + LEFT_VERSION_READS).map(async ([key, v]) => {
        const stored = (await w.store.listVersions(w.tenantId, v.objectId, 5)).find(
          (s) => s.source === 'backup' && s.objectType === v.objectType,
        );
        consider(key, v, stored);
      }),
    );
  }
  if (replaced.size === 0) return versions;
  for (const [v, stored] of replaced) {
    const key = `${v.objectType}|${v.objectId}`;
    const rec = records.get(key);
    if (!rec || rec.latestVersionId !== v.versionId) continue;
    const next: ObjectRecord = {
      ...rec,
      latestVersionId: stored.versionId,
      lastChangedAt: stored.capturedAt,
      firstSeenAt: existing.has(key) ? rec.firstSeenAt : stored.capturedAt,
    };
    if (next.deleted) next.deletedAt = stored.capturedAt;
    records.set(key, next);
  }
  return versions.filter((v) => !replaced.has(v));
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

/** Patches naming more targets than this look them up one by one (see applyEdges). */
const TARGET_LOOKUP_MIN = 100;

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

  // A large patch (a slice of a 50,000-member group's listing: 50 pages of 1,000) looks up only
  // the targets it names: loading the group's whole alive set for every slice reads and holds it
  // 50 times over. Targets looked up so far per source|kind; a whole load later keeps their state.
  const checked = new Map<string, Set<string>>();
  const complete = new Set<string>();
  const load = async (sourceId: string, kind: EdgeChange['kind']) => {
    const k = `${sourceId}|${kind}`;
    let m = alive.get(k);
    if (!m || !complete.has(k)) {
      const seen = checked.get(k);
      m ??= new Map();
      for (const e of await w.store.listEdges(w.tenantId, { sourceId, kind })) {
        if (!seen?.has(e.targetId)) m.set(edgeKey(e.targetId, discriminatorOf(e)), e);
      }
      alive.set(k, m);
      complete.add(k);
    }
    return m;
  };
  const loadTargets = async (change: EdgeChange) => {
    const k = `${change.sourceId}|${change.kind}`;
    if (change.targets.length <= TARGET_LOOKUP_MIN || complete.has(k))
      return load(change.sourceId, change.kind);
    const m = alive.get(k) ?? new Map<string, EdgeRecord>();
    alive.set(k, m);
    const seen = checked.get(k) ?? new Set<string>();
    checked.set(k, seen);
    for (const t of change.targets) {
      if (seen.has(t.targetId)) continue;
      seen.add(t.targetId);
      const query = { sourceId: change.sourceId, kind: change.kind, targetId: t.targetId };
      for (const e of await w.store.listEdges(w.tenantId, query))
        m.set(edgeKey(e.targetId, discriminatorOf(e)), e);
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

  // A reconciliation page (a full round's whole membership per source, no deletions) is compared
  // in the store where it can (diffAliveEdges): nothing read back but what changes.
  const perKey = new Map<string, number>();
  for (const c of changes)
    perKey.set(`${c.sourceId}|${c.kind}`, (perKey.get(`${c.sourceId}|${c.kind}`) ?? 0) + 1);
  const diffable = (c: EdgeChange) =>
    w.store.diffAliveEdges !== undefined &&
    c.mode === 'replace' &&
    deletedSources.length === 0 &&
    perKey.get(`${c.sourceId}|${c.kind}`) === 1 &&
    c.targets.every((t) => t.discriminator === undefined);

  // Where the store reads many sources at once (Cosmos DB), the relationships the page's changes
  // load are read in one query, not one per source and kind.
  if (w.store.listAliveEdgesOfSources) {
    const keys = new Map<string, string>();
    for (const c of changes) {
      if (w.store.diffAliveEdges && diffable(c)) continue;
      if (c.mode === 'patch' && c.targets.length > TARGET_LOOKUP_MIN) continue;
      keys.set(`${c.sourceId}|${c.kind}`, c.sourceId);
    }
    if (keys.size > 1) {
      const edges = await w.store.listAliveEdgesOfSources(w.tenantId, [...new Set(keys.values())]);
      for (const k of keys.keys()) {
        alive.set(k, new Map());
        complete.add(k);
      }
      for (const e of edges)
        alive.get(`${e.sourceId}|${e.kind}`)?.set(edgeKey(e.targetId, discriminatorOf(e)), e);
    }
  }

  for (const change of changes) {
    if (w.store.diffAliveEdges && diffable(change)) {
      const diff = await w.store.diffAliveEdges(w.tenantId, {
        sourceId: change.sourceId,
        kind: change.kind,
        targetIds: change.targets.map((t) => t.targetId),
      });
      // The key is in this page once and not loaded: none of its edges were opened in it.
      for (const e of diff.stale) removed.set(e.edgeId, at);
      if (diff.missing.length) {
        const byId = new Map(change.targets.map((t) => [t.targetId, t]));
        const m = new Map<string, EdgeRecord>();
        for (const id of diff.missing) {
          const t = byId.get(id);
          if (t) open(m, change, t);
        }
      }
      continue;
    }
    const m =
      change.mode === 'replace' ? await load(change.sourceId, change.kind) : await loadTargets(change);
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
