// Before a restore overwrites a live object, its current state is saved as a 'pre-restore'
// version (properties plus the relationships the restore touches), so the restore can be undone
// by restoring that version. An object the restore brings into existence gets a tombstone.
import { createHash } from 'node:crypto';
import type { GraphObject, ObjectType } from '../domain.ts';
import type { GraphClient } from '../graph/gateway.ts';
import type { Store, VersionRecord } from '../store/store.ts';
import { readLive } from './live-reader.ts';
import { liveFacts, type Perspective, type RelationFact } from './relationships.ts';
import type { RestoreStep, StepKind } from './restore-types.ts';
import { RELATIONSHIPS_KEY } from './snapshot-reader.ts';
import { normalise } from './values.ts';

const PERSPECTIVE_OF_KIND: Partial<Record<StepKind, Perspective>> = {
  addMember: 'members',
  addAuMember: 'members',
  removeMember: 'members',
  addOwner: 'owners',
  removeOwner: 'owners',
  addRoleAssignment: 'roleAssignments',
  removeRoleAssignment: 'roleAssignments',
  addAppRoleAssignment: 'appRoleAssignedTo',
  removeAppRoleAssignment: 'appRoleAssignedTo',
};

/** Kinds that change an existing object (its state is saved first). */
export const OVERWRITING: ReadonlySet<StepKind> = new Set([
  'patch',
  'delete',
  ...(Object.keys(PERSPECTIVE_OF_KIND) as StepKind[]),
]);

export function preRestoreVersionId(restoreId: string, objectId: string): string {
  return `pre-restore~${restoreId}~${objectId}`;
}

/** Relationship views of `objectId` that the plan's steps write to. */
export function touchedPerspectives(steps: RestoreStep[], objectId: string): Perspective[] {
  const out = new Set<Perspective>();
  for (const s of steps) {
    const p = PERSPECTIVE_OF_KIND[s.kind];
    if (p && s.target.objectId === objectId) out.add(p);
  }
  return [...out];
}

function hashOf(content: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(normalise(content) ?? null))
    .digest('hex');
}

async function save(store: Store, version: VersionRecord): Promise<void> {
  await store.commitPage(version.tenantId, {
    versions: [version],
    objects: [],
    edgesAdded: [],
    edgesRemoved: [],
  });
}

/**
 * Saves the live state of `objectId` before the first overwriting step. Returns the version id;
 * an existing capture is reused (a resumed restore must not capture its own writes).
 */
export async function capturePreRestore(input: {
  store: Store;
  client: GraphClient;
  tenantId: string;
  restoreId: string;
  objectType: ObjectType;
  objectId: string;
  perspectives: Perspective[];
  /** Properties the restore changes (read with $select where Graph needs it). */
  properties: string[];
  now: string;
}): Promise<string> {
  const versionId = preRestoreVersionId(input.restoreId, input.objectId);
  const existing = await input.store.getVersion(input.tenantId, input.objectId, versionId);
  if (existing) return versionId;
  const live = await readLive(input.client, input.objectType, input.objectId, input.properties);
  let content: GraphObject | null = null;
  if (live.state === 'live') {
    const relations: Partial<Record<Perspective, RelationFact[]>> = {};
    for (const p of input.perspectives)
      relations[p] = await liveFacts(input.client, input.objectType, input.objectId, p);
    content = { ...live.object, ...(input.perspectives.length ? { [RELATIONSHIPS_KEY]: relations } : {}) };
  }
  await save(input.store, {
    tenantId: input.tenantId,
    objectType: input.objectType,
    objectId: input.objectId,
    versionId,
    hash: content ? hashOf(content) : 'tombstone',
    content,
    deleted: content === null,
    ...(content === null ? { deletionKind: live.state === 'softDeleted' ? 'soft' : 'hard' } : {}),
    capturedAt: input.now,
    runId: input.restoreId,
    source: 'pre-restore',
  });
  return versionId;
}

/** Records that an object did not exist before the restore (it was created or came back from the recycle bin). */
export async function recordAbsence(input: {
  store: Store;
  tenantId: string;
  restoreId: string;
  objectType: ObjectType;
  objectId: string;
  deletionKind: 'soft' | 'hard';
  now: string;
}): Promise<string> {
  const versionId = preRestoreVersionId(input.restoreId, input.objectId);
  const existing = await input.store.getVersion(input.tenantId, input.objectId, versionId);
  if (!existing) {
    await save(input.store, {
      tenantId: input.tenantId,
      objectType: input.objectType,
      objectId: input.objectId,
      versionId,
      hash: 'tombstone',
      content: null,
      deleted: true,
      deletionKind: input.deletionKind,
      capturedAt: input.now,
      runId: input.restoreId,
      source: 'pre-restore',
    });
  }
  return versionId;
}
