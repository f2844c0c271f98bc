// Reads the version a restore brings back: the one at time T (newest captured at or before T),
// or an explicit version (undo restores a pre-restore version). A tombstone at T means "restore
// what was deleted": the newest live version before it is used, relationships just before it.
import type { GraphObject } from '../domain.ts';
import type { Store, VersionRecord } from '../store/store.ts';
import type { Perspective, RelationFact } from './relationships.ts';
import type { RestoreObjectRef } from './restore-types.ts';

/** Key in a pre-restore version's content holding the relationships the restore overwrote. */
export const RELATIONSHIPS_KEY = '@entraBackup.relationships';

export interface Snapshot {
  version: VersionRecord;
  /** Null when the version is an absence (a pre-restore tombstone: the object did not exist). */
  content: GraphObject | null;
  /** Instant at which relationships are read from edges. */
  relationsAt: string;
  /** Relationships recorded in a pre-restore version (replace edges when present). */
  recordedRelations?: Partial<Record<Perspective, RelationFact[]>>;
  warnings: string[];
}

export class SnapshotNotFoundError extends Error {
  override readonly name = 'SnapshotNotFoundError';
  readonly code = 'SNAPSHOT_NOT_FOUND';
}

function isIsoTime(value: string): boolean {
  return /^\d{4}-\d{2}-\d{2}/.test(value) && !Number.isNaN(Date.parse(value));
}

function stripRelations(content: GraphObject): {
  content: GraphObject;
  relations?: Snapshot['recordedRelations'];
} {
  if (!(RELATIONSHIPS_KEY in content)) return { content };
  const { [RELATIONSHIPS_KEY]: relations, ...rest } = content;
  return { content: rest as GraphObject, relations: relations as Snapshot['recordedRelations'] };
}

export async function readSnapshot(
  store: Store,
  tenantId: string,
  ref: RestoreObjectRef,
  at: string,
): Promise<Snapshot> {
  const versionId = ref.versionId ?? (isIsoTime(at) ? undefined : at);
  let version: VersionRecord | undefined;
  if (versionId) {
    version = await store.getVersion(tenantId, ref.objectId, versionId);
    if (!version)
      throw new SnapshotNotFoundError(`no version '${versionId}' of ${ref.objectType} ${ref.objectId}`);
  } else {
    version = await store.getVersionAt(tenantId, ref.objectId, new Date(at).toISOString());
    if (!version) {
      throw new SnapshotNotFoundError(`no backup of ${ref.objectType} ${ref.objectId} at or before ${at}`);
    }
  }
  if (version.objectType !== ref.objectType) {
    throw new SnapshotNotFoundError(
      `object ${ref.objectId} is a ${version.objectType}, not a ${ref.objectType}`,
    );
  }
  const warnings: string[] = [];
  if (version.content && !version.deleted) {
    const { content, relations } = stripRelations(version.content);
    const relationsAt = versionId ? version.capturedAt : new Date(at).toISOString();
    return { version, content, relationsAt, recordedRelations: relations, warnings };
  }
  // A pre-restore tombstone means "did not exist before the restore": restoring it deletes.
  if (version.source === 'pre-restore')
    return { version, content: null, relationsAt: version.capturedAt, warnings };
  // A backup tombstone: bring back the last state before the deletion.
  const history = await store.listVersions(tenantId, ref.objectId, 200);
  const before = history.find((v) => !v.deleted && v.content && v.capturedAt < version.capturedAt);
  if (!before?.content) {
    throw new SnapshotNotFoundError(
      `${ref.objectType} ${ref.objectId} has no backed-up state before its deletion`,
    );
  }
  const justBefore = new Date(Date.parse(version.capturedAt) - 1).toISOString();
  warnings.push(
    `${ref.objectType} ${ref.objectId} was deleted at the chosen time; restoring its last state (${before.capturedAt})`,
  );
  const { content, relations } = stripRelations(before.content);
  return { version: before, content, relationsAt: justBefore, recordedRelations: relations, warnings };
}
