// Value rules shared by both store implementations: canonical timestamps, opaque continuation
// tokens, search text, limits. Both stores call these so they answer the same way.
import type {
  EdgeRecord,
  ObjectRecord,
  RestoreRecord,
  RoundStateChunk,
  RunRecord,
  VersionHead,
  VersionRecord,
} from './store.ts';

/** Rejected input (bad timestamp, bad continuation token): a caller error, not a store fault. */
export class StoreInputError extends Error {
  override readonly name = 'StoreInputError';
}

/**
 * Canonical ISO-8601 UTC with milliseconds ('2024-05-01T10:00:00.000Z'), so that timestamps
 * compare correctly as strings in SQL and Cosmos queries.
 */
export function toIso(value: string, field: string): string {
  const ms = Date.parse(value);
  if (typeof value !== 'string' || Number.isNaN(ms)) {
    throw new StoreInputError(`${field}: '${String(value)}' is not a valid ISO-8601 timestamp`);
  }
  return new Date(ms).toISOString();
}

function optionalIso(value: string | undefined, field: string): string | undefined {
  return value === undefined ? undefined : toIso(value, field);
}

export function normalizeVersion(v: VersionRecord): VersionRecord {
  return { ...v, capturedAt: toIso(v.capturedAt, 'version.capturedAt') };
}

export function normalizeObject(o: ObjectRecord): ObjectRecord {
  return {
    ...o,
    searchKeys: searchKeysOf(o),
    firstSeenAt: toIso(o.firstSeenAt, 'object.firstSeenAt'),
    lastChangedAt: toIso(o.lastChangedAt, 'object.lastChangedAt'),
    ...(o.deletedAt === undefined ? {} : { deletedAt: toIso(o.deletedAt, 'object.deletedAt') }),
  };
}

export function normalizeEdge(e: EdgeRecord): EdgeRecord {
  return {
    ...e,
    addedAt: toIso(e.addedAt, 'edge.addedAt'),
    removedAt: e.removedAt === null ? null : toIso(e.removedAt, 'edge.removedAt'),
  };
}

export function normalizeRun(r: RunRecord): RunRecord {
  const { etag: _etag, ...rest } = r;
  return {
    ...rest,
    createdAt: toIso(r.createdAt, 'run.createdAt'),
    dueAt: toIso(r.dueAt, 'run.dueAt'),
    ...(r.lease ? { lease: { ...r.lease, expiresAt: toIso(r.lease.expiresAt, 'run.lease.expiresAt') } } : {}),
  };
}

export function normalizeRestore(r: RestoreRecord): RestoreRecord {
  const { etag: _etag, ...rest } = r;
  return {
    ...rest,
    requestedAt: toIso(r.requestedAt, 'restore.requestedAt'),
    ...(r.lease
      ? { lease: { ...r.lease, expiresAt: toIso(r.lease.expiresAt, 'restore.lease.expiresAt') } }
      : {}),
  };
}

export { optionalIso };

/** Lower-cased, de-duplicated search keys: always the display name and id, plus what the caller gave. */
export function searchKeysOf(o: Pick<ObjectRecord, 'displayName' | 'objectId' | 'searchKeys'>): string[] {
  const keys = [o.displayName, o.objectId, ...(o.searchKeys ?? [])]
    .filter((k): k is string => typeof k === 'string' && k.length > 0)
    .map((k) => k.toLowerCase());
  return [...new Set(keys)];
}

/** Newline cannot occur in a search term, so a match never spans two keys. */
export const SEARCH_KEY_SEPARATOR = '\n';

/**
 * The text searched: '\n' before each key (the search keys and each word of the display name),
 * so `'\n' + term` finds a key starting with the term.
 */
export function searchTextOf(o: ObjectRecord): string {
  return searchKeysOfText(o)
    .map((k) => SEARCH_KEY_SEPARATOR + k)
    .join('');
}

/** Search keys plus the display name's words (so 'ad' finds 'Alice Adams' by its last name). */
export function searchKeysOfText(o: ObjectRecord): string[] {
  const keys = searchKeysOf(o);
  const words = (o.displayName ?? '')
    .toLowerCase()
    .split(/\s+/)
    .filter((w) => w.length > 0);
  return [...new Set([...keys, ...words])];
}

/** Terms shorter than this match the start of a key (prefix); longer ones match anywhere (substring). */
export const SUBSTRING_MIN_LENGTH = 3;

/** What to look for in the search text: the term itself, or '\n' + term for a prefix match. */
export function searchNeedle(term: string): string {
  return term.length < SUBSTRING_MIN_LENGTH ? SEARCH_KEY_SEPARATOR + term : term;
}

/** The search term as matched: trimmed, lower-cased, control characters dropped, at most 200 chars. */
export function normalizeSearchTerm(search: string | undefined): string | undefined {
  if (search === undefined) return undefined;
  const term = [...search]
    .filter((ch) => {
      const code = ch.charCodeAt(0);
      return code >= 0x20 && code !== 0x7f;
    })
    .join('')
    .trim()
    .toLowerCase();
  return term === '' ? undefined : term.slice(0, 200);
}

export function clampLimit(limit: number | undefined, fallback: number, max: number): number {
  if (limit === undefined) return fallback;
  if (!Number.isFinite(limit) || limit < 1)
    throw new StoreInputError(`limit: ${limit} must be a positive number`);
  return Math.min(Math.floor(limit), max);
}

/** Opaque continuation: base64url JSON tagged with what it continues, so a token cannot be replayed elsewhere. */
export function encodeContinuation(kind: string, position: unknown[]): string {
  return Buffer.from(JSON.stringify({ k: kind, p: position }), 'utf8').toString('base64url');
}

export function decodeContinuation(kind: string, token: string): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw new StoreInputError('continuation: not a token this store issued');
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    (parsed as { k?: unknown }).k !== kind ||
    !Array.isArray((parsed as { p?: unknown }).p)
  ) {
    throw new StoreInputError(`continuation: not a token for this query (${kind})`);
  }
  return (parsed as { p: unknown[] }).p;
}

export function positionString(position: unknown[], index: number): string {
  const value = position[index];
  if (typeof value !== 'string') throw new StoreInputError('continuation: malformed token');
  return value;
}

export function positionNumber(position: unknown[], index: number): number {
  const value = position[index];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new StoreInputError('continuation: malformed token');
  }
  return value;
}

/** The source object id of an edge id (`${sourceId}|${kind}|${targetId}|${addedAt}`). */
export function edgeSourceId(edgeId: string): string {
  const i = edgeId.indexOf('|');
  if (i <= 0)
    throw new StoreInputError(`edgeId: '${edgeId}' is not of the form sourceId|kind|targetId|addedAt`);
  return edgeId.slice(0, i);
}

/** Canonical JSON: object keys sorted, so equal values hash equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** Rejects a record that names another tenant than the call: no call can write across tenants. */
export function assertTenant<T extends { tenantId: string }>(tenantId: string, record: T, what: string): T {
  if (record.tenantId !== tenantId) {
    throw new StoreInputError(
      `${what} of tenant ${record.tenantId} refused in a call for tenant ${tenantId}`,
    );
  }
  return record;
}

/** A round-state chunk checked before it is stored: a bad one is refused, naming why. */
export function normalizeRoundState(chunk: RoundStateChunk, runId: string | undefined): RoundStateChunk {
  const what = `round-state chunk ${chunk.stream}#${chunk.seq}`;
  if (typeof chunk.stream !== 'string' || chunk.stream === '')
    throw new StoreInputError(`${what} refused: its stream name is empty`);
  if (!Number.isSafeInteger(chunk.seq) || chunk.seq < 0)
    throw new StoreInputError(`${what} refused: seq must be a non-negative integer`);
  if (typeof chunk.data !== 'string') throw new StoreInputError(`${what} refused: data must be a string`);
  if (runId !== undefined && chunk.runId !== runId)
    throw new StoreInputError(`${what} of run ${chunk.runId} refused in a commit of run ${runId}`);
  return { runId: chunk.runId, stream: chunk.stream, seq: chunk.seq, data: chunk.data };
}

/** A done stream's chunks to drop: only the committing run's, and a named stream. */
export function normalizeRoundStateDone(
  done: { runId: string; stream: string },
  runId: string | undefined,
): { runId: string; stream: string } {
  if (typeof done.stream !== 'string' || done.stream === '')
    throw new StoreInputError('round-state drop refused: its stream name is empty');
  if (runId !== undefined && done.runId !== runId)
    throw new StoreInputError(`round-state drop of run ${done.runId} refused in a commit of run ${runId}`);
  return { runId: done.runId, stream: done.stream };
}

/** The newest of each object's backup versions among `rows`, keyed `${objectType}|${objectId}`. */
export function newestHeads(rows: (VersionHead & { source?: unknown })[]): Map<string, VersionHead> {
  const out = new Map<string, VersionHead>();
  for (const r of rows) {
    if (r.source !== 'backup') continue;
    const key = `${r.objectType}|${r.objectId}`;
    const cur = out.get(key);
    const newer =
      !cur ||
      r.capturedAt > cur.capturedAt ||
      (r.capturedAt === cur.capturedAt && r.versionId > cur.versionId);
    if (newer)
      out.set(key, {
        objectType: r.objectType,
        objectId: r.objectId,
        versionId: r.versionId,
        hash: r.hash,
        capturedAt: r.capturedAt,
      });
  }
  return out;
}
