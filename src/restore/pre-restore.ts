// Before a restore overwrites a live object, its current state is saved as a 'pre-restore'
// version (properties plus the relationships the restore touches), so the restore can be undone
// by restoring that version. An object the restore brings into existence gets a tombstone.
import { createHash } from 'node:crypto';
import type { GraphObject, ObjectType } from '../domain.ts';
import type { GraphClient } from '../graph/gateway.ts';
import type { Store, VersionRecord } from '../store/store.ts';
import { itemPath } from './graph-paths.ts';
import { type LiveState, readLive, selectQuery, stripAnnotations } from './live-reader.ts';
import { type Perspective, type RelationFact, readLiveLists } from './relationships.ts';
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
  setManager: 'manager',
  removeManager: 'manager',
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

export interface CaptureTarget {
  objectType: ObjectType;
  objectId: string;
  /** Relationship views the restore writes to (recorded with the properties). */
  perspectives: Perspective[];
  /** Properties the restore changes (read with $select where Graph needs it). */
  properties: string[];
  /** The object does not exist before the restore: record its absence instead of reading it. */
  absent?: 'soft' | 'hard';
}

export interface Captured {
  versionId: string;
  /** The live state just read (the step may reuse it); absent when an earlier capture was reused. */
  live?: LiveState;
}

/**
 * Saves the live state of each target before the first step overwriting it (one store commit;
 * plain objects read through one $batch). An existing capture is reused: a resumed restore must
 * not capture its own writes.
 */
export async function capturePreRestore(input: {
  store: Store;
  client: GraphClient;
  tenantId: string;
  restoreId: string;
  now: string;
  targets: CaptureTarget[];
}): Promise<Map<string, Captured>> {
  const out = new Map<string, Captured>();
  const versions: VersionRecord[] = [];
  const toRead: CaptureTarget[] = [];
  const version = (t: CaptureTarget, live: LiveState, content: GraphObject | null): VersionRecord => ({
    tenantId: input.tenantId,
    objectType: t.objectType,
    objectId: t.objectId,
    versionId: preRestoreVersionId(input.restoreId, t.objectId),
    hash: content ? hashOf(content) : 'tombstone',
    content,
    deleted: content === null,
    ...(content === null
      ? { deletionKind: t.absent ?? (live.state === 'softDeleted' ? 'soft' : 'hard') }
      : {}),
    capturedAt: input.now,
    runId: input.restoreId,
    source: 'pre-restore',
  });
  for (const t of input.targets) {
    const versionId = preRestoreVersionId(input.restoreId, t.objectId);
    if (out.has(t.objectId)) continue;
    if (await input.store.getVersion(input.tenantId, t.objectId, versionId)) {
      out.set(t.objectId, { versionId });
    } else if (t.absent) {
      versions.push(version(t, { state: 'absent' }, null));
      out.set(t.objectId, { versionId });
    } else {
      toRead.push(t);
      out.set(t.objectId, { versionId });
    }
  }
  const lives = await readMany(input.client, toRead);
  // The relationships the restore touches, of every live target: read together.
  const listReads = toRead
    .filter((t) => lives.get(t.objectId)?.state === 'live')
    .flatMap((t) =>
      t.perspectives.map((perspective) => ({ type: t.objectType, id: t.objectId, perspective })),
    );
  const lists = await readLiveLists(input.client, listReads);
  const listOf = new Map(listReads.map((r, i) => [`${r.id}|${r.perspective}`, lists[i]]));
  for (const t of toRead) {
    const live = lives.get(t.objectId) ?? { state: 'absent' };
    let content: GraphObject | null = null;
    if (live.state === 'live') {
      const relations: Partial<Record<Perspective, RelationFact[]>> = {};
      for (const p of t.perspectives) {
        const facts = listOf.get(`${t.objectId}|${p}`);
        // An unreadable list stops the step: the undo record must be complete before a write.
        if (facts instanceof Error) throw facts;
        relations[p] = facts ?? [];
      }
      content = { ...live.object, ...(t.perspectives.length ? { [RELATIONSHIPS_KEY]: relations } : {}) };
    }
    versions.push(version(t, live, content));
    out.set(t.objectId, { versionId: preRestoreVersionId(input.restoreId, t.objectId), live });
  }
  if (versions.length) {
    await input.store.commitPage(input.tenantId, { versions, objects: [], edgesAdded: [], edgesRemoved: [] });
  }
  return out;
}

/** Reads live objects through $batch; anything but a 200 is re-read alone (recycle bin, errors). */
async function readMany(client: GraphClient, targets: CaptureTarget[]): Promise<Map<string, LiveState>> {
  const out = new Map<string, LiveState>();
  const batchable = targets.filter((t) => t.objectType !== 'conditionalAccessPolicy');
  if (batchable.length > 1) {
    const answers = await client.batch(
      batchable.map((t, i) => ({
        id: String(i),
        method: 'GET' as const,
        url: `${itemPath(t.objectType, t.objectId)}${selectQuery(t.objectType, t.properties)}`,
      })),
    );
    answers.forEach((a, i) => {
      if (a.status === 200 && a.body && typeof a.body === 'object') {
        out.set(batchable[i].objectId, {
          state: 'live',
          object: stripAnnotations(a.body as Record<string, unknown>),
        });
      }
    });
  }
  for (const t of targets) {
    if (!out.has(t.objectId))
      out.set(t.objectId, await readLive(client, t.objectType, t.objectId, t.properties));
  }
  return out;
}
