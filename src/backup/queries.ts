// Reading the backup: an object at time T with its relationships at T, version history with
// per-version property diffs, changes since T, and the whole tenant at T. Used by the CLI, the
// bot, the tab and restore.
import type { AppContext } from '../app-context.ts';
import type { GraphObject, ObjectType } from '../domain.ts';
import type { EdgeRecord, ObjectRecord, VersionRecord } from '../store/store.ts';
import { diffObjects, type PropertyChange } from './object-diff.ts';

export interface ObjectAt {
  record: ObjectRecord;
  /** The version in force at T (undefined: the object did not exist yet). */
  version: VersionRecord | undefined;
  /** Its content (null when deleted at T or not yet existing). */
  content: GraphObject | null;
  existed: boolean;
  deletedAtT: boolean;
  /** Edges alive at T where the object is the source (members, owners…) or the target (memberOf…). */
  outgoing: EdgeRecord[];
  incoming: EdgeRecord[];
}

export async function getObjectAt(
  ctx: AppContext,
  tenantId: string,
  record: ObjectRecord,
  at?: string,
): Promise<ObjectAt> {
  const store = ctx.store;
  const version = at
    ? await store.getVersionAt(tenantId, record.objectId, at)
    : await store.getVersion(tenantId, record.objectId, record.latestVersionId);
  const query = at ? { at } : {};
  const [outgoing, incoming] = await Promise.all([
    store.listEdges(tenantId, { sourceId: record.objectId, ...query }),
    store.listEdges(tenantId, { targetId: record.objectId, ...query }),
  ]);
  return {
    record,
    version,
    content: version?.content ?? null,
    existed: !!version,
    deletedAtT: !!version?.deleted,
    outgoing,
    incoming,
  };
}

export interface HistoryEntry {
  versionId: string;
  capturedAt: string;
  runId: string;
  source: VersionRecord['source'];
  kind: 'created' | 'changed' | 'deleted' | 'restored';
  deletionKind?: 'soft' | 'hard';
  hash: string;
  /** Properties changed from the previous version. */
  changes: PropertyChange[];
}

function kindOf(prev: VersionRecord | undefined, v: VersionRecord): HistoryEntry['kind'] {
  if (v.deleted) return 'deleted';
  if (!prev) return 'created';
  return prev.deleted ? 'restored' : 'changed';
}

function entryOf(prev: VersionRecord | undefined, v: VersionRecord): HistoryEntry {
  return {
    versionId: v.versionId,
    capturedAt: v.capturedAt,
    runId: v.runId,
    source: v.source,
    kind: kindOf(prev, v),
    ...(v.deletionKind ? { deletionKind: v.deletionKind } : {}),
    hash: v.hash,
    changes: v.deleted ? [] : diffObjects(prev?.deleted ? null : (prev?.content ?? null), v.content),
  };
}

/** Versions of an object, newest first, each with its diff against the one before. */
export async function getHistory(
  ctx: AppContext,
  tenantId: string,
  objectId: string,
  options: { limit?: number } = {},
): Promise<HistoryEntry[]> {
  const limit = options.limit ?? 50;
  const versions = await ctx.store.listVersions(tenantId, objectId, limit + 1);
  const out: HistoryEntry[] = [];
  for (let i = 0; i < Math.min(limit, versions.length); i++) out.push(entryOf(versions[i + 1], versions[i]));
  return out;
}

export interface ChangeEntry extends HistoryEntry {
  objectType: ObjectType;
  objectId: string;
  displayName: string;
}

/** Versions captured in (since, to], oldest first, with what changed in each. */
export async function listChangesSince(
  ctx: AppContext,
  tenantId: string,
  since: string,
  options: { to?: string; types?: ObjectType[]; limit?: number } = {},
): Promise<ChangeEntry[]> {
  const to = options.to ?? new Date(ctx.now().getTime() + 1000).toISOString();
  const limit = options.limit ?? 500;
  const out: ChangeEntry[] = [];
  let continuation: string | undefined;
  do {
    const page = await ctx.store.listChanges(tenantId, {
      from: since,
      to,
      ...(options.types ? { types: options.types } : {}),
      limit: Math.min(500, limit - out.length),
      continuation,
    });
    for (const v of page.items) {
      const prev = await ctx.store.getVersionAt(
        tenantId,
        v.objectId,
        new Date(Date.parse(v.capturedAt) - 1).toISOString(),
      );
      const rec = await ctx.store.getObject(tenantId, v.objectType, v.objectId);
      out.push({
        ...entryOf(prev, v),
        objectType: v.objectType,
        objectId: v.objectId,
        displayName: rec?.displayName ?? v.objectId,
      });
    }
    continuation = page.continuation;
  } while (continuation && out.length < limit);
  return out;
}

/** Every object alive at T (content as then), type by type; streamed. */
export async function* snapshotAt(
  ctx: AppContext,
  tenantId: string,
  at: string,
  options: { types?: ObjectType[] } = {},
): AsyncIterable<{ type: ObjectType; record: ObjectRecord; content: GraphObject }> {
  const types = options.types ?? (Object.keys(await ctx.store.countObjects(tenantId)) as ObjectType[]);
  for (const type of types) {
    let continuation: string | undefined;
    do {
      const page = await ctx.store.listObjects(tenantId, {
        type,
        deleted: 'all',
        sort: 'id',
        limit: 500,
        continuation,
      });
      for (const record of page.items) {
        if (record.firstSeenAt > at) continue;
        const v = await ctx.store.getVersionAt(tenantId, record.objectId, at);
        if (v?.content && !v.deleted) yield { type, record, content: v.content };
      }
      continuation = page.continuation;
    } while (continuation);
  }
}

/** Edges alive at T (all kinds). */
export function edgesAt(ctx: AppContext, tenantId: string, at: string): Promise<EdgeRecord[]> {
  return ctx.store.listEdges(tenantId, { at });
}

/** An ISO time, or a duration back from now ('90m', '12h', '7d', '2w'). */
export function parseTimeOrDuration(text: string, now: Date): string {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d|w)$/i.exec(text.trim());
  if (m) {
    const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[
      m[2].toLowerCase() as 's' | 'm' | 'h' | 'd' | 'w'
    ];
    return new Date(now.getTime() - Number(m[1]) * unit).toISOString();
  }
  const t = Date.parse(text);
  if (Number.isNaN(t)) {
    throw new Error(
      `"${text}" is neither a time (e.g. 2025-03-01T12:00:00Z) nor a duration (e.g. 90m, 12h, 7d)`,
    );
  }
  return new Date(t).toISOString();
}
