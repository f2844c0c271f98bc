// The restore planner: reads the version at T from the store and the live object through Graph,
// and emits the ordered steps the restore will execute (the preview an admin approves). No writes.
// Order: recycle-bin restores (keep ids) → creates (new ids, remapped at run time) → patches →
// owners → memberships → managers → role assignments → reports and skips → deletes (undo only).
import { randomUUID } from 'node:crypto';
import type { AppContext } from '../app-context.ts';
import { authMethodsObjectId } from '../backup/collectors/auth-methods-collector.ts';
import type { GraphObject, ObjectType } from '../domain.ts';
import { findInTarget, type LiveState, readLiveMany } from './live-reader.ts';
import { createBody, credentialsOf, desiredContent, diffProperties } from './object-bodies.ts';
import { groupKind, NOT_WRITABLE_GROUP_REASON, ObjectDescriber } from './object-describer.ts';
import { missingPermission, permissionsFor } from './permissions.ts';
import { describeReturning, RecycleBinRelations } from './recycle-bin-relations.ts';
import {
  compareFacts,
  factKey,
  factsAt,
  LiveRelations,
  OPTION_OF,
  PERSPECTIVES_BY_TYPE,
  type Perspective,
  type RelationFact,
} from './relationships.ts';
import {
  type ObjectDiff,
  parseRestoreRequest,
  type RestoreObjectRef,
  type RestorePlan,
  type RestoreRequest,
  type RestoreStep,
  type StepKind,
} from './restore-types.ts';
import { readSnapshot, type Snapshot } from './snapshot-reader.ts';
import { remapIds } from './values.ts';
import { isRestorableType } from './writable-properties.ts';

/** Creation/patch order: what others refer to first. */
const TYPE_ORDER: ObjectType[] = [
  'roleDefinition',
  'application',
  'servicePrincipal',
  'administrativeUnit',
  'group',
  'user',
  'device',
  'conditionalAccessPolicy',
  'roleAssignment',
];

const PHASES: StepKind[][] = [
  ['restoreFromRecycleBin'],
  ['verifyReturned'],
  ['create'],
  ['patch'],
  ['addOwner'],
  ['addMember', 'addAuMember'],
  ['setManager'],
  ['addRoleAssignment', 'addAppRoleAssignment'],
  ['removeMember', 'removeOwner', 'removeRoleAssignment', 'removeAppRoleAssignment', 'removeManager'],
  ['reportOnly', 'skip'],
  ['delete'],
];

const NOT_RESTORABLE_REASON: Partial<Record<ObjectType, string>> = {
  signIn: 'sign-in logs are read-only records: nothing to restore',
  directoryRole: 'directory roles are activated by assigning them: restore the role assignments instead',
  device:
    'a deleted device cannot be brought back through Graph: devices have no recycle bin, and a registration created through Graph would not hold the keys that live on the device; re-join or re-register the device, then restore its group memberships',
};

interface PlannedObject {
  ref: RestoreObjectRef;
  snapshot: Snapshot;
  /** Content to write (domain-mapped, overrides applied); null = the object must not exist. */
  desired: Record<string, unknown> | null;
  live: LiveState;
  /** Id written to: the source id, or the target tenant's id of a matched object. */
  writeId: string;
  /** Re-created (new id) by this restore. */
  creates: boolean;
  /** Comes back from the recycle bin by this restore. */
  recycles: boolean;
  displayName: string;
}

class StepList {
  private readonly byPhase = new Map<StepKind, { step: RestoreStep; key?: string }[]>();
  private readonly relationKeys = new Set<string>();
  add(step: Omit<RestoreStep, 'stepId'>, relationKey?: string): void {
    if (relationKey) {
      if (this.relationKeys.has(relationKey)) return;
      this.relationKeys.add(relationKey);
    }
    const list = this.byPhase.get(step.kind) ?? [];
    list.push({ step: { stepId: '', ...step }, key: relationKey });
    this.byPhase.set(step.kind, list);
  }
  /** Appends another list's steps (a relationship planned from both of its ends appears once). */
  merge(other: StepList): void {
    for (const entries of other.byPhase.values()) for (const e of entries) this.add(e.step, e.key);
  }
  ordered(): RestoreStep[] {
    const out: RestoreStep[] = [];
    for (const phase of PHASES)
      for (const kind of phase) out.push(...(this.byPhase.get(kind) ?? []).map((e) => e.step));
    const width = String(out.length).length;
    return out.map((s, i) => ({ ...s, stepId: `s${String(i + 1).padStart(Math.max(3, width), '0')}` }));
  }
}

function nameOf(content: Record<string, unknown> | null | undefined, fallback: string): string {
  const n = content?.displayName ?? content?.userPrincipalName;
  return typeof n === 'string' && n ? n : fallback;
}

/** Objects planned at once (Graph reads overlap; the gateway limits concurrency per tenant). */
const PLAN_CONCURRENCY = 8;

async function mapPool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export class RestorePlanningError extends Error {
  override readonly name = 'RestorePlanningError';
  readonly code = 'RESTORE_PLANNING_FAILED';
}

/** Plans a restore (a dry run: reads only). The plan is what approvers see and what the worker runs. */
export async function planRestore(
  ctx: AppContext,
  input: RestoreRequest | Record<string, unknown>,
): Promise<RestorePlan> {
  const request = parseRestoreRequest(input);
  const { tenantId, options } = request;
  const writeTenantId = options.targetTenantId ?? tenantId;
  const crossTenant = writeTenantId !== tenantId;
  const now = ctx.now().toISOString();
  const warnings: string[] = [];
  if (crossTenant && !(await ctx.store.getSettings(writeTenantId))) {
    throw new RestorePlanningError(`target tenant '${writeTenantId}' is not managed by this product`);
  }
  const client = ctx.graph.forRestore(writeTenantId);
  const granted = new Set(await client.grantedRoles());
  const describer = new ObjectDescriber(ctx.store, tenantId, now);

  // 1. Each object: restore point, live state, what the restore does to it. The live states of
  // objects restored in place are read together ($batch), each first where the backup saw it.
  const read = await mapPool(request.objects, PLAN_CONCURRENCY, async (ref) => {
    const snapshot = await readSnapshot(ctx.store, tenantId, ref, request.at);
    const desired = snapshot.content ? desiredContent(ref.objectType, snapshot.content, options) : null;
    const keys = Object.keys(snapshot.content ?? {});
    const probe = isRestorableType(ref.objectType) && ref.objectType !== 'roleAssignment' && !options.asNew;
    let found: GraphObject | undefined;
    if (probe && crossTenant) found = await findInTarget(client, ref.objectType, desired ?? {}, keys);
    const record =
      probe && !crossTenant ? await ctx.store.getObject(tenantId, ref.objectType, ref.objectId) : undefined;
    return { ref, snapshot, desired, keys, probe, found, likelyDeleted: record?.deletionKind === 'soft' };
  });
  const inPlace = read.filter((r) => r.probe && !crossTenant);
  const lives = await readLiveMany(
    client,
    inPlace.map((r) => ({
      type: r.ref.objectType,
      id: r.ref.objectId,
      keys: r.keys,
      likelyDeleted: r.likelyDeleted,
    })),
  );
  const liveOf = new Map(inPlace.map((r, i) => [r, lives[i]]));
  const objects: PlannedObject[] = read.map((r) => {
    const { ref, snapshot, desired } = r;
    warnings.push(...snapshot.warnings);
    let live: LiveState = liveOf.get(r) ?? { state: 'absent' };
    let writeId = ref.objectId;
    if (r.found) {
      live = { state: 'live', object: r.found };
      writeId = r.found.id;
    }
    const restorable = isRestorableType(ref.objectType) && !NOT_RESTORABLE_REASON[ref.objectType];
    const recycles = restorable && options.withObject && live.state === 'softDeleted' && desired !== null;
    const creates =
      restorable &&
      options.withObject &&
      live.state === 'absent' &&
      desired !== null &&
      ref.objectType !== 'roleAssignment';
    return {
      ref,
      snapshot,
      desired,
      live,
      writeId,
      creates,
      recycles,
      displayName: nameOf(desired ?? snapshot.version.content, ref.objectId),
    };
  });

  // Ids known before execution: cross-tenant matches. Created ids are remapped at run time.
  const staticIdMap: Record<string, string> = {};
  for (const o of objects) if (o.writeId !== o.ref.objectId) staticIdMap[o.ref.objectId] = o.writeId;
  const inRequest = new Map(objects.map((o) => [o.ref.objectId, o]));
  const recycleBin = new RecycleBinRelations(ctx.store, tenantId, describer, (id) => inRequest.get(id));
  for (const o of objects) {
    if (!o.recycles) continue;
    await recycleBin.load(o.ref.objectType, o.ref.objectId, coveredPerspectives(o, request), (p) =>
      desiredFacts(ctx, request, o, p),
    );
  }
  const notes: string[] = [];

  const diff: Record<string, ObjectDiff> = {};

  // 2. Object steps: planned concurrently into per-object lists, merged in a fixed order.
  const ordered = [...objects].sort(
    (a, b) => TYPE_ORDER.indexOf(a.ref.objectType) - TYPE_ORDER.indexOf(b.ref.objectType),
  );
  // The live relationships of objects restored in place, read ahead together ($batch).
  const relations = new LiveRelations(client);
  await relations.prefetch(
    objects
      .filter((o) => !o.creates && o.live.state === 'live')
      .flatMap((o) =>
        coveredPerspectives(o, request).map((perspective) => ({
          type: o.ref.objectType,
          id: o.writeId,
          perspective,
        })),
      ),
  );
  const perObject = await mapPool(ordered, PLAN_CONCURRENCY, async (o) => {
    const steps = new StepList();
    await planObject(o, steps);
    return steps;
  });
  const steps = new StepList();
  for (const list of perObject) steps.merge(list);

  async function planObject(o: PlannedObject, steps: StepList): Promise<void> {
    const type = o.ref.objectType;
    const target = { objectType: type, objectId: o.writeId, displayName: o.displayName };
    const liveObject = o.live.state === 'absent' ? null : o.live.object;
    const delta = o.desired
      ? diffProperties(type, o.desired, o.live.state === 'absent' ? null : (liveObject ?? null))
      : undefined;
    diff[o.ref.objectId] = {
      objectType: type,
      displayName: o.displayName,
      liveState: o.live.state,
      versionId: o.snapshot.version.versionId,
      capturedAt: o.snapshot.version.capturedAt,
      changes: delta?.changes ?? [],
    };

    if (type === 'roleAssignment') {
      await planRoleAssignmentObject(o, relations, steps, crossTenant, inRequest, describer);
      return;
    }
    if (type === 'authenticationMethods') {
      steps.add({
        kind: 'reportOnly',
        target,
        details: { what: 'authenticationMethods', methods: methodsOf(o.snapshot.content) },
        expected: {},
        skipReason:
          'authentication methods are reported only: secrets cannot be restored; the user re-registers them',
      });
      return;
    }
    const notRestorable = NOT_RESTORABLE_REASON[type];
    if (notRestorable || !isRestorableType(type)) {
      if (type !== 'device' || o.live.state === 'absent') {
        steps.add({
          kind: 'skip',
          target,
          details: {},
          expected: {},
          skipReason: notRestorable ?? `${type} cannot be restored`,
        });
        return;
      }
    }
    if (type === 'group' && o.desired) {
      const reason = NOT_WRITABLE_GROUP_REASON[groupKind(o.desired)];
      if (reason) {
        steps.add({ kind: 'skip', target, details: {}, expected: {}, skipReason: reason });
        return;
      }
    }
    if (type === 'roleDefinition' && o.desired?.isBuiltIn === true) {
      diff[o.ref.objectId].changes = diff[o.ref.objectId].changes.map((c) => ({ ...c, writable: false }));
      if (!options.withRoleAssignments) {
        steps.add({
          kind: 'skip',
          target,
          details: {},
          expected: {},
          skipReason: 'built-in roles cannot be changed',
        });
      }
      await planRelations(
        o,
        relations,
        ctx,
        request,
        steps,
        crossTenant,
        inRequest,
        describer,
        staticIdMap,
        warnings,
        recycleBin,
      );
      return;
    }

    // Undo of a create / recycle-bin restore: the object did not exist before.
    if (o.desired === null) {
      if (o.live.state === 'live') {
        steps.add({ kind: 'delete', target, details: {}, expected: { state: 'live' } });
      }
      return;
    }
    if (!options.withObject && o.live.state !== 'live') {
      steps.add({
        kind: 'skip',
        target,
        details: {},
        expected: {},
        skipReason:
          o.live.state === 'softDeleted'
            ? 'the object is in the recycle bin: choose "with object" to restore it'
            : 'the object no longer exists: choose "with object" to re-create it',
      });
      return;
    }
    if (o.recycles) {
      const returning = await recycleBin.describe(o.ref.objectId);
      steps.add({
        kind: 'restoreFromRecycleBin',
        target,
        details: { returnsWithObject: returning },
        expected: { state: 'softDeleted' },
      });
      const expected = recycleBin.expectedWith(o.ref.objectId);
      if (returning.length > 0) {
        notes.push(
          `${o.displayName} comes back from the recycle bin with what it had when deleted (Graph restores it; this restore does not write it): ${describeReturning(returning)}.`,
        );
      }
      if (expected.length > 0) {
        // The backup cannot tell a membership Graph keeps from one removed just before the
        // deletion: the restore reads them back once and adds only those that did not return.
        steps.add({
          kind: 'verifyReturned',
          target,
          details: { relationships: expected },
          expected: { state: 'live' },
        });
      }
      // What changed between the deletion and T is patched once the object is back.
      const recycledDelta = diffProperties(
        type,
        o.desired,
        o.live.state === 'softDeleted' ? (o.live.object ?? o.desired) : null,
      );
      if (Object.keys(recycledDelta.patch).length > 0) {
        steps.add({
          kind: 'patch',
          target,
          details: { changes: recycledDelta.patch },
          expected: { before: recycledDelta.before },
        });
      }
    } else if (o.creates) {
      const body = createBody(type, o.desired);
      steps.add({
        kind: 'create',
        target,
        details: {
          body: remapIds(body, staticIdMap),
          sourceId: o.ref.objectId,
          sourceAppId: typeof o.snapshot.content?.appId === 'string' ? o.snapshot.content.appId : undefined,
          newPassword: type === 'user',
          asNew: Boolean(options.asNew),
        },
        expected: {
          state: 'absent',
          ...(type === 'user' ? { userPrincipalName: body.userPrincipalName } : {}),
        },
      });
      if ((type === 'application' || type === 'servicePrincipal') && o.snapshot.content) {
        const credentials = credentialsOf(o.snapshot.content);
        if (credentials.length > 0) {
          steps.add({
            kind: 'reportOnly',
            target,
            details: { what: 'credentials', credentials },
            expected: {},
            skipReason:
              'application secrets and certificates cannot be restored: re-issue them and update the apps using them',
          });
        }
      }
    } else if (delta && Object.keys(delta.patch).length > 0) {
      steps.add({
        kind: 'patch',
        target,
        details: { changes: remapIds(delta.patch, staticIdMap) },
        expected: { before: delta.before },
      });
    }
    if (type === 'user' && options.withAuthMethods) {
      const methods = await authMethodsAt(ctx, tenantId, o.ref.objectId, o.snapshot.relationsAt);
      steps.add({
        kind: 'reportOnly',
        target,
        details: { what: 'authenticationMethods', methods },
        expected: {},
        skipReason:
          'authentication methods are reported only: secrets cannot be restored; the user re-registers them',
      });
    }
    await planRelations(
      o,
      relations,
      ctx,
      request,
      steps,
      crossTenant,
      inRequest,
      describer,
      staticIdMap,
      warnings,
      recycleBin,
    );
  }

  // 3. Permissions: name what the restore app lacks before anyone approves.
  const planned = steps.ordered();
  const missing = new Set<string>();
  for (const step of planned) {
    if (step.kind === 'skip' || step.kind === 'reportOnly') continue;
    step.permissions = permissionsFor(step.kind, step.target.objectType);
    const lack = missingPermission(step.permissions, granted);
    if (lack) missing.add(lack);
  }
  if (missing.size > 0) {
    warnings.push(`the restore app lacks ${[...missing].join(', ')}: steps needing it will be skipped`);
  }
  return {
    planId: randomUUID(),
    createdAt: now,
    request,
    writeTenantId,
    steps: planned,
    diff,
    missingPermissions: [...missing].sort(),
    warnings,
    ...(notes.length ? { notes: notes.sort() } : {}),
  };
}

// ---------------------------------------------------------------- relationships

/** The relationships of `o` at the restore point (recorded in a pre-restore version, else edges at T). */
async function desiredFacts(
  ctx: AppContext,
  request: RestoreRequest,
  o: PlannedObject,
  perspective: Perspective,
): Promise<RelationFact[]> {
  return (
    o.snapshot.recordedRelations?.[perspective] ??
    (await factsAt(ctx.store, request.tenantId, o.ref.objectId, perspective, o.snapshot.relationsAt))
  );
}

/** Relationship views the restore covers for `o` (by option; a pre-restore version: those it recorded). */
function coveredPerspectives(o: PlannedObject, request: RestoreRequest): Perspective[] {
  return (PERSPECTIVES_BY_TYPE[o.ref.objectType] ?? []).filter(
    (p) =>
      request.options[OPTION_OF[p]] &&
      (o.snapshot.recordedRelations?.[p] !== undefined || o.snapshot.version.source !== 'pre-restore'),
  );
}

async function planRelations(
  o: PlannedObject,
  relations: LiveRelations,
  ctx: AppContext,
  request: RestoreRequest,
  steps: StepList,
  crossTenant: boolean,
  inRequest: Map<string, PlannedObject>,
  describer: ObjectDescriber,
  staticIdMap: Record<string, string>,
  warnings: string[],
  recycleBin: RecycleBinRelations,
): Promise<void> {
  for (const perspective of coveredPerspectives(o, request)) {
    const desired = await desiredFacts(ctx, request, o, perspective);
    // An object back from the recycle bin brings its relationships at deletion with it: add only
    // what will not return, remove what returns but was not there at T.
    const current = o.recycles
      ? recycleBin.of(o.ref.objectId, perspective)
      : await currentFacts(o, relations, ctx, request, perspective, desired, warnings);
    const { add, remove } = compareFacts(desired, current);
    for (const fact of add) {
      if (recycleBin.returns(fact)) continue;
      await planFact(fact, 'add', o, steps, crossTenant, inRequest, describer, staticIdMap);
    }
    if (!crossTenant && !request.options.asNew) {
      for (const fact of remove) {
        if (fact.kind === 'manager' && !removesManager(o, add)) continue;
        await planFact(fact, 'remove', o, steps, crossTenant, inRequest, describer, staticIdMap);
      }
    }
  }
}

/**
 * Whether a live manager not in the restore point is removed: setting another replaces it (PUT),
 * and only a pre-restore version (undo) knows the user had none: a backup taken before managers
 * were backed up cannot tell "no manager" from "not recorded", so it leaves the live one.
 */
function removesManager(o: PlannedObject, adds: RelationFact[]): boolean {
  return !adds.some((f) => f.kind === 'manager') && o.snapshot.recordedRelations?.manager !== undefined;
}

/** The live facts of an object restored in place (none for one created or still deleted). */
async function currentFacts(
  o: PlannedObject,
  relations: LiveRelations,
  ctx: AppContext,
  request: RestoreRequest,
  perspective: Perspective,
  desired: RelationFact[],
  warnings: string[],
): Promise<RelationFact[]> {
  const tenantId = request.tenantId;
  if (o.creates || o.live.state !== 'live') return [];
  try {
    // Candidates where Graph cannot list the object's memberships directly: as at T and as now.
    const candidates = [
      ...desired,
      ...(await factsAt(ctx.store, tenantId, o.ref.objectId, perspective, ctx.now().toISOString())),
    ];
    return await relations.facts(o.ref.objectType, o.writeId, perspective, candidates);
  } catch (error) {
    warnings.push(`could not read the live ${perspective} of ${o.displayName}: ${(error as Error).message}`);
    return [];
  }
}

function mapFact(fact: RelationFact, map: Record<string, string>): RelationFact {
  return remapIds(fact, map);
}

async function planFact(
  fact: RelationFact,
  mode: 'add' | 'remove',
  subject: PlannedObject,
  steps: StepList,
  crossTenant: boolean,
  inRequest: Map<string, PlannedObject>,
  describer: ObjectDescriber,
  staticIdMap: Record<string, string>,
): Promise<void> {
  const source = await describer.describe(fact.sourceId, fact.sourceType);
  const member = await describer.describe(fact.targetId, fact.targetType);
  const sourceName = inRequest.get(fact.sourceId)?.displayName ?? source.displayName;
  const memberName = inRequest.get(fact.targetId)?.displayName ?? member.displayName;
  const mapped = mode === 'add' ? mapFact(fact, staticIdMap) : fact;
  const target = { objectType: fact.sourceType, objectId: mapped.sourceId, displayName: sourceName };
  const key = `${mode}|${factKey(fact)}`;
  const details: Record<string, unknown> = {
    memberId: mapped.targetId,
    memberName,
    memberType: fact.targetType ?? member.objectType,
  };
  let kind: StepKind;
  if (fact.kind === 'member') {
    kind =
      mode === 'add'
        ? fact.sourceType === 'administrativeUnit'
          ? 'addAuMember'
          : 'addMember'
        : 'removeMember';
  } else if (fact.kind === 'owner') {
    kind = mode === 'add' ? 'addOwner' : 'removeOwner';
  } else if (fact.kind === 'manager') {
    kind = mode === 'add' ? 'setManager' : 'removeManager';
  } else if (fact.kind === 'roleAssignment') {
    kind = mode === 'add' ? 'addRoleAssignment' : 'removeRoleAssignment';
    Object.assign(details, {
      principalId: mapped.targetId,
      roleDefinitionId: mapped.sourceId,
      directoryScopeId: mapped.directoryScopeId ?? '/',
    });
  } else {
    kind = mode === 'add' ? 'addAppRoleAssignment' : 'removeAppRoleAssignment';
    Object.assign(details, {
      principalId: mapped.targetId,
      resourceId: mapped.sourceId,
      appRoleId: mapped.appRoleId,
    });
  }
  if (mode === 'remove' && fact.assignmentId) details.assignmentId = fact.assignmentId;
  const expected = { present: mode === 'remove' };

  // Can the other end be written to / referred to?
  const skip = (reason: string) =>
    steps.add(
      { kind: 'skip', target, details: { ...details, wouldBe: kind }, expected: {}, skipReason: reason },
      key,
    );
  if (mode === 'add') {
    for (const end of [
      { info: source, id: fact.sourceId, name: sourceName, builtIn: fact.kind === 'roleAssignment' },
      { info: member, id: fact.targetId, name: memberName, builtIn: false },
    ]) {
      if (end.id === subject.ref.objectId) continue;
      const alsoRestored = inRequest.get(end.id);
      if (alsoRestored) {
        if (alsoRestored.desired === null) return skip(`${end.name} is being removed by this restore`);
        continue;
      }
      const builtInRole = end.builtIn && end.info.content?.isBuiltIn === true;
      if (crossTenant && !builtInRole) {
        return skip(`${end.name} is not in the target tenant: add it to this restore to bring it over`);
      }
      if (end.info.deleted) {
        return skip(
          end.info.deletionKind === 'soft'
            ? `${end.name} is in the recycle bin: add it to this restore to bring it back`
            : `${end.name} was deleted: add it to this restore to re-create it`,
        );
      }
    }
  }
  if (fact.sourceType === 'group' && fact.kind === 'member') {
    const group = inRequest.get(fact.sourceId)?.desired ?? source.content;
    if (group) {
      const gk = groupKind(group);
      if (gk === 'dynamic')
        return skip(`${sourceName} has dynamic membership: its rule decides who is a member`);
      const reason = NOT_WRITABLE_GROUP_REASON[gk];
      if (reason) return skip(`${sourceName}: ${reason}`);
    }
  }
  if (
    mode === 'remove' &&
    (fact.kind === 'roleAssignment' || fact.kind === 'appRoleAssignment') &&
    !fact.assignmentId
  ) {
    return skip('the assignment id is unknown: remove it in the Entra admin center');
  }
  steps.add({ kind, target, details, expected }, key);
}

/** A backed-up role assignment object: re-add it when it is no longer live. */
async function planRoleAssignmentObject(
  o: PlannedObject,
  relations: LiveRelations,
  steps: StepList,
  crossTenant: boolean,
  inRequest: Map<string, PlannedObject>,
  describer: ObjectDescriber,
): Promise<void> {
  const c = o.snapshot.content;
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  if (!c) return;
  const fact: RelationFact = {
    kind: 'roleAssignment',
    sourceId: str(c.roleDefinitionId),
    sourceType: 'roleDefinition',
    targetId: str(c.principalId),
    directoryScopeId: str(c.directoryScopeId) || '/',
  };
  const live = crossTenant
    ? []
    : await relations.facts('roleDefinition', fact.sourceId, 'roleAssignments').catch(() => []);
  if (live.some((f) => factKey(f) === factKey(fact))) return;
  // Both ends (role and principal) are checked like any other relationship's.
  await planFact(fact, 'add', o, steps, crossTenant, inRequest, describer, {});
}

// ---------------------------------------------------------------- reports

function methodsOf(content: GraphObject | null): Record<string, unknown>[] {
  if (!content) return [];
  const list = Array.isArray(content.methods)
    ? content.methods
    : Array.isArray(content.value)
      ? content.value
      : [];
  return (list as Record<string, unknown>[]).map((m) => ({
    type: String(m.methodType ?? m['@odata.type'] ?? 'unknown').replace('#microsoft.graph.', ''),
    ...(typeof m.displayName === 'string' ? { displayName: m.displayName } : {}),
    ...(typeof m.phoneNumber === 'string' ? { phoneNumber: m.phoneNumber } : {}),
  }));
}

async function authMethodsAt(
  ctx: AppContext,
  tenantId: string,
  userId: string,
  at: string,
): Promise<Record<string, unknown>[]> {
  const version = await ctx.store.getVersionAt(tenantId, authMethodsObjectId(userId), at);
  return version?.objectType === 'authenticationMethods' ? methodsOf(version.content) : [];
}
