// Runs one approved step (or a $batch of like steps) against Graph and says how it ended.
// Idempotent by construction: "already a member / already exists" and "already removed" answers
// count as done, so a resumed restore can repeat the step that was in flight when it died.
import type { ObjectType } from '../domain.ts';
import {
  type BatchRequestItem,
  type BatchResponseItem,
  type GraphClient,
  GraphError,
} from '../graph/gateway.ts';
import { collectionPath, directoryObjectRef, itemPath, quoteFilter } from './graph-paths.ts';
import { findCreated, isNotFound, type LiveState, readLive } from './live-reader.ts';
import { missingPermission } from './permissions.ts';
import type { RestoreStep, StepKind, StepStatus } from './restore-types.ts';
import { runReturnedChecks } from './returned-check.ts';
import { generateTemporaryPassword } from './temporary-password.ts';
import { remapIds, sameValue } from './values.ts';

export interface StepOutcome {
  status: StepStatus;
  reason?: string;
  code?: string;
  message?: string;
  /** For a create: the new object's id (and appId for an application). */
  createdId?: string;
  createdAppId?: string;
}

export interface StepRunContext {
  client: GraphClient;
  granted: ReadonlySet<string>;
  /** The live state read just before this step (by the pre-restore capture), if any: saves a read. */
  takeFreshLive?: (objectId: string) => LiveState | undefined;
  /** Creates already sent (a resume adopts what they made instead of creating twice). */
  createStarted(stepId: string): boolean;
  /** Persists that a create is about to be sent (before the POST). */
  markCreateStarted(stepId: string): Promise<void>;
  /** Receives a new user's first password; absent = the password is not revealed to anyone. */
  onTemporaryPassword?: (info: { userId: string; userPrincipalName: string; password: string }) => void;
}

export const BATCHABLE: ReadonlySet<StepKind> = new Set([
  'addMember',
  'addAuMember',
  'removeMember',
  'addOwner',
  'removeOwner',
  'setManager',
  'removeManager',
  'delete',
]);

/** The step with ids of objects re-created earlier in the restore replaced by their new ids. */
export function resolveStep(step: RestoreStep, createdIds: Record<string, string>): RestoreStep {
  const resolved = remapIds(step, createdIds);
  const scope = resolved.details.directoryScopeId;
  if (typeof scope === 'string' && scope.startsWith('/administrativeUnits/')) {
    const old = scope.split('/')[2] ?? '';
    if (createdIds[old]) resolved.details.directoryScopeId = `/administrativeUnits/${createdIds[old]}`;
  }
  return resolved;
}

const done = (reason?: string): StepOutcome => ({ status: 'done', ...(reason ? { reason } : {}) });
const skipped = (reason: string): StepOutcome => ({ status: 'skipped', reason });

function failed(code: string, message: string): StepOutcome {
  return { status: 'failed', code, message, reason: `${code}: ${message}` };
}

function fromError(error: unknown): StepOutcome {
  if (error instanceof GraphError) return failed(error.code, error.message);
  return failed('RESTORE_STEP_ERROR', error instanceof Error ? error.message : String(error));
}

function alreadyThere(status: number, body: unknown): boolean {
  if (status !== 400 && status !== 409) return false;
  const text = JSON.stringify(body ?? '').toLowerCase();
  return (
    text.includes('already exist') ||
    text.includes('multipleobjectswithsamekeyvalue') ||
    text.includes('conflict')
  );
}

function errorOf(body: unknown): { code: string; message: string } {
  const err = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
  return {
    code: err?.code ?? 'UnknownError',
    message: err?.message ?? 'Graph returned an error without a message',
  };
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function relationPath(step: RestoreStep): string {
  const { objectType, objectId } = step.target;
  const memberId = encodeURIComponent(str(step.details.memberId));
  switch (step.kind) {
    case 'addMember':
    case 'addAuMember':
      return `${itemPath(objectType, objectId)}/members/$ref`;
    case 'removeMember':
      return `${itemPath(objectType, objectId)}/members/${memberId}/$ref`;
    case 'addOwner':
      return `${itemPath(objectType, objectId)}/${objectType === 'device' ? 'registeredOwners' : 'owners'}/$ref`;
    case 'removeOwner':
      return `${itemPath(objectType, objectId)}/${objectType === 'device' ? 'registeredOwners' : 'owners'}/${memberId}/$ref`;
    case 'setManager':
    case 'removeManager':
      return `${itemPath(objectType, objectId)}/manager/$ref`;
    case 'delete':
      return itemPath(objectType, objectId);
    default:
      throw new Error(`step kind ${step.kind} is not a relationship write`);
  }
}

/** Steps that write a link (the others of BATCHABLE remove one, or delete the object). */
const adds = (step: RestoreStep) => step.kind.startsWith('add') || step.kind === 'setManager';

/** The $batch item for a batchable step. */
function batchItem(step: RestoreStep): BatchRequestItem {
  const url = relationPath(step);
  if (adds(step)) {
    return {
      id: step.stepId,
      method: step.kind === 'setManager' ? 'PUT' : 'POST',
      url,
      body: directoryObjectRef(str(step.details.memberId)),
      headers: { 'Content-Type': 'application/json' },
    };
  }
  return { id: step.stepId, method: 'DELETE', url };
}

/** How a relationship write's answer maps to a step outcome. */
function relationOutcome(step: RestoreStep, status: number, body: unknown): StepOutcome {
  if (status >= 200 && status < 300) return done();
  const adding = adds(step);
  if (adding && alreadyThere(status, body)) return done('already in place');
  if (status === 404) {
    return adding
      ? skipped(
          `object gone: ${step.target.displayName} or ${str(step.details.memberName) || 'the member'} no longer exists`,
        )
      : done('already removed');
  }
  const e = errorOf(body);
  return failed(e.code, e.message);
}

function permissionCheck(rc: StepRunContext, step: RestoreStep): StepOutcome | undefined {
  const lack = missingPermission(step.permissions, rc.granted);
  return lack ? skipped(`missing permission: ${lack}`) : undefined;
}

/** Runs like steps through $batch (max 20 per request; the client chunks and retries throttled items). */
export async function runBatch(rc: StepRunContext, steps: RestoreStep[]): Promise<StepOutcome[]> {
  const outcomes: (StepOutcome | undefined)[] = steps.map((s) => permissionCheck(rc, s));
  const toSend = steps.filter((_, i) => !outcomes[i]);
  if (toSend.length > 0) {
    let answers: BatchResponseItem[];
    try {
      answers = await rc.client.batch(toSend.map(batchItem));
    } catch (error) {
      const outcome = fromError(error);
      return steps.map((_, i) => outcomes[i] ?? outcome);
    }
    const byId = new Map(answers.map((a) => [a.id, a]));
    steps.forEach((s, i) => {
      if (outcomes[i]) return;
      const answer = byId.get(s.stepId);
      outcomes[i] = answer
        ? relationOutcome(s, answer.status, answer.body)
        : failed('BatchItemMissing', 'no answer in $batch');
    });
  }
  return outcomes.map((o) => o ?? failed('BatchItemMissing', 'no outcome'));
}

/** Runs one step. */
export async function runStep(rc: StepRunContext, step: RestoreStep): Promise<StepOutcome> {
  if (step.kind === 'skip') return skipped(step.skipReason ?? 'not restorable');
  if (step.kind === 'reportOnly') return skipped(step.skipReason ?? 'reported only');
  const noPermission = permissionCheck(rc, step);
  if (noPermission) return noPermission;
  try {
    switch (step.kind) {
      case 'restoreFromRecycleBin':
        return await restoreFromRecycleBin(rc, step);
      case 'create':
        return await create(rc, step);
      case 'patch':
        return (await runPatches(rc, [step]))[0];
      case 'verifyReturned':
        return (await runGroup(rc, [step]))[0];
      case 'addRoleAssignment':
        return await addRoleAssignment(rc, step);
      case 'removeRoleAssignment':
        return await deleteIgnoringGone(
          rc,
          `${collectionPath('roleAssignment')}/${encodeURIComponent(str(step.details.assignmentId))}`,
        );
      case 'addAppRoleAssignment':
        return await addAppRoleAssignment(rc, step);
      case 'removeAppRoleAssignment':
        return await deleteIgnoringGone(
          rc,
          `${itemPath('servicePrincipal', str(step.details.resourceId))}/appRoleAssignedTo/${encodeURIComponent(str(step.details.assignmentId))}`,
        );
      default:
        return (await runBatch(rc, [step]))[0];
    }
  } catch (error) {
    return fromError(error);
  }
}

async function exists(client: GraphClient, path: string): Promise<boolean> {
  try {
    await client.get(`${path}?$select=id`);
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

async function deleteIgnoringGone(rc: StepRunContext, path: string): Promise<StepOutcome> {
  try {
    await rc.client.delete(path);
    return done();
  } catch (error) {
    if (isNotFound(error)) return done('already removed');
    throw error;
  }
}

async function restoreFromRecycleBin(rc: StepRunContext, step: RestoreStep): Promise<StepOutcome> {
  const { objectId } = step.target;
  try {
    await rc.client.post(`/directory/deletedItems/${encodeURIComponent(objectId)}/restore`);
    return done();
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  return notInRecycleBin(rc, step);
}

async function notInRecycleBin(rc: StepRunContext, step: RestoreStep): Promise<StepOutcome> {
  try {
    const live = await readLive(rc.client, step.target.objectType, step.target.objectId, []);
    if (live.state === 'live') return done('already in place');
    return skipped('object gone: it is no longer in the recycle bin (purged since the preview)');
  } catch (error) {
    return fromError(error);
  }
}

async function create(rc: StepRunContext, step: RestoreStep): Promise<StepOutcome> {
  const type = step.target.objectType;
  const body = { ...(step.details.body as Record<string, unknown>) };
  const adoptable = (obj: Record<string, unknown>): StepOutcome => ({
    ...done('already created (resumed)'),
    createdId: str(obj.id),
    ...(type === 'application' ? { createdAppId: str(obj.appId) } : {}),
  });
  if (rc.createStarted(step.stepId)) {
    const found = await findCreated(rc.client, type, body);
    if (found) return adoptable(found);
  } else if (type === 'user' && typeof body.userPrincipalName === 'string') {
    if (await exists(rc.client, itemPath('user', body.userPrincipalName))) {
      return skipped(`conflict: a user with UPN ${body.userPrincipalName} was created since the preview`);
    }
  }
  await rc.markCreateStarted(step.stepId);
  let password: string | undefined;
  if (type === 'user') {
    password = generateTemporaryPassword();
    body.passwordProfile = { password, forceChangePasswordNextSignIn: true };
  }
  let created: Record<string, unknown>;
  try {
    created = await rc.client.post<Record<string, unknown>>(collectionPath(type as ObjectType), body);
  } catch (error) {
    if (
      error instanceof GraphError &&
      alreadyThere(error.status, { error: { code: error.code, message: error.message } })
    ) {
      const found = await findCreated(rc.client, type, body);
      if (found && rc.createStarted(step.stepId)) return adoptable(found);
      return skipped(`conflict: another ${type} already holds this name (${error.message})`);
    }
    throw error;
  }
  if (password && rc.onTemporaryPassword) {
    rc.onTemporaryPassword({
      userId: str(created.id),
      userPrincipalName: str(created.userPrincipalName),
      password,
    });
  }
  return {
    ...done(),
    createdId: str(created.id),
    ...(type === 'application' ? { createdAppId: str(created.appId) } : {}),
  };
}

/** What a patch still has to send, or why it must not (conflict, object gone, already in place). */
function patchDecision(
  step: RestoreStep,
  live: LiveState,
): { outcome?: StepOutcome; needed?: Record<string, unknown> } {
  const changes = step.details.changes as Record<string, unknown>;
  const before = (step.expected.before ?? {}) as Record<string, unknown>;
  if (live.state !== 'live') {
    return { outcome: skipped(`object gone: ${step.target.displayName} is no longer live (${live.state})`) };
  }
  const conflicts: string[] = [];
  const needed: Record<string, unknown> = {};
  for (const [property, after] of Object.entries(changes)) {
    const now = live.object[property] ?? null;
    if (sameValue(now, after)) continue;
    if (property in before && !sameValue(now, before[property])) conflicts.push(property);
    else needed[property] = after;
  }
  if (conflicts.length > 0)
    return { outcome: skipped(`conflict: changed since the preview (${conflicts.join(', ')})`) };
  if (Object.keys(needed).length === 0) return { outcome: done('already in place') };
  return { needed };
}

/** Patches through $batch after checking each object against the state the preview saw. */
async function runPatches(rc: StepRunContext, steps: RestoreStep[]): Promise<StepOutcome[]> {
  const outcomes: (StepOutcome | undefined)[] = steps.map((s) => permissionCheck(rc, s));
  const sends: { index: number; item: BatchRequestItem }[] = [];
  for (let i = 0; i < steps.length; i++) {
    if (outcomes[i]) continue;
    const step = steps[i];
    const { objectType, objectId } = step.target;
    try {
      const live =
        rc.takeFreshLive?.(objectId) ??
        (await readLive(
          rc.client,
          objectType,
          objectId,
          Object.keys(step.details.changes as Record<string, unknown>),
        ));
      const decision = patchDecision(step, live);
      if (decision.outcome) outcomes[i] = decision.outcome;
      else {
        sends.push({
          index: i,
          item: {
            id: step.stepId,
            method: 'PATCH',
            url: itemPath(objectType, objectId),
            body: decision.needed,
            headers: { 'Content-Type': 'application/json' },
          },
        });
      }
    } catch (error) {
      outcomes[i] = fromError(error);
    }
  }
  if (sends.length > 0) {
    try {
      const answers = await rc.client.batch(sends.map((s) => s.item));
      const byId = new Map(answers.map((a) => [a.id, a]));
      for (const { index, item } of sends) {
        const a = byId.get(item.id);
        if (!a) outcomes[index] = failed('BatchItemMissing', 'no answer in $batch');
        else if (a.status >= 200 && a.status < 300) outcomes[index] = done();
        else if (a.status === 404)
          outcomes[index] = skipped(`object gone: ${steps[index].target.displayName} no longer exists`);
        else {
          const e = errorOf(a.body);
          outcomes[index] = failed(e.code, e.message);
        }
      }
    } catch (error) {
      const outcome = fromError(error);
      for (const { index } of sends) outcomes[index] = outcome;
    }
  }
  return outcomes.map((o) => o ?? failed('RESTORE_STEP_ERROR', 'no outcome'));
}

/**
 * Recycle-bin restores through $batch. A 404 means the object is no longer in the recycle bin:
 * back already (a resumed restore repeating its own step: done) or purged since the preview.
 */
async function runRecycleRestores(rc: StepRunContext, steps: RestoreStep[]): Promise<StepOutcome[]> {
  if (steps.length === 1) return [await runStep(rc, steps[0])];
  const outcomes: (StepOutcome | undefined)[] = steps.map((s) => permissionCheck(rc, s));
  const sends = steps.map((step, index) => ({ step, index })).filter(({ index }) => !outcomes[index]);
  if (sends.length > 0) {
    let answers: BatchResponseItem[];
    try {
      answers = await rc.client.batch(
        sends.map(({ step }) => ({
          id: step.stepId,
          method: 'POST' as const,
          url: `/directory/deletedItems/${encodeURIComponent(step.target.objectId)}/restore`,
        })),
      );
    } catch (error) {
      const outcome = fromError(error);
      return steps.map((_, i) => outcomes[i] ?? outcome);
    }
    const byId = new Map(answers.map((a) => [a.id, a]));
    for (const { step, index } of sends) {
      const a = byId.get(step.stepId);
      if (!a) outcomes[index] = failed('BatchItemMissing', 'no answer in $batch');
      else if (a.status >= 200 && a.status < 300) outcomes[index] = done();
      else if (a.status === 404) outcomes[index] = await notInRecycleBin(rc, step);
      else {
        const e = errorOf(a.body);
        outcomes[index] = failed(e.code, e.message);
      }
    }
  }
  return outcomes.map((o) => o ?? failed('RESTORE_STEP_ERROR', 'no outcome'));
}

/** Kinds whose consecutive steps run together (one $batch, one record write). */
export const GROUPABLE: ReadonlySet<StepKind> = new Set([
  ...BATCHABLE,
  'patch',
  'restoreFromRecycleBin',
  'verifyReturned',
]);

/** Runs a group of like steps (see GROUPABLE) or a single step. */
export async function runGroup(rc: StepRunContext, steps: RestoreStep[]): Promise<StepOutcome[]> {
  const kind = steps[0]?.kind;
  if (kind === 'patch') return runPatches(rc, steps);
  if (kind === 'restoreFromRecycleBin') return runRecycleRestores(rc, steps);
  if (kind === 'verifyReturned') {
    const noPermission = steps.map((s) => permissionCheck(rc, s));
    const checkable = steps.filter((_, i) => !noPermission[i]);
    let ran: StepOutcome[];
    try {
      ran = checkable.length
        ? await runReturnedChecks(rc.client, checkable, (adds) => runGroup(rc, adds))
        : [];
    } catch (error) {
      const outcome = fromError(error);
      return noPermission.map((p) => p ?? outcome);
    }
    return noPermission.map((p) => p ?? (ran.shift() as StepOutcome));
  }
  if (kind && BATCHABLE.has(kind)) return runBatch(rc, steps);
  const out: StepOutcome[] = [];
  for (const step of steps) out.push(await runStep(rc, step));
  return out;
}

async function addRoleAssignment(rc: StepRunContext, step: RestoreStep): Promise<StepOutcome> {
  const principalId = str(step.details.principalId);
  const roleDefinitionId = str(step.details.roleDefinitionId);
  const directoryScopeId = str(step.details.directoryScopeId) || '/';
  const existing = await rc.client.getPage<Record<string, unknown>>(
    `${collectionPath('roleAssignment')}?$filter=principalId eq ${quoteFilter(principalId)}`,
  );
  if (
    existing.value.some(
      (a) => a.roleDefinitionId === roleDefinitionId && (str(a.directoryScopeId) || '/') === directoryScopeId,
    )
  ) {
    return done('already in place');
  }
  try {
    await rc.client.post(collectionPath('roleAssignment'), {
      '@odata.type': '#microsoft.graph.unifiedRoleAssignment',
      roleDefinitionId,
      principalId,
      directoryScopeId,
    });
    return done();
  } catch (error) {
    if (
      error instanceof GraphError &&
      alreadyThere(error.status, { error: { message: error.message, code: error.code } })
    ) {
      return done('already in place');
    }
    if (isNotFound(error)) return skipped('object gone: the role or the principal no longer exists');
    throw error;
  }
}

async function addAppRoleAssignment(rc: StepRunContext, step: RestoreStep): Promise<StepOutcome> {
  const principalId = str(step.details.principalId);
  const resourceId = str(step.details.resourceId);
  const appRoleId = str(step.details.appRoleId);
  const path = `${itemPath('servicePrincipal', resourceId)}/appRoleAssignedTo`;
  for await (const page of rc.client.pages<Record<string, unknown>>(path)) {
    if (page.value.some((a) => a.principalId === principalId && a.appRoleId === appRoleId))
      return done('already in place');
  }
  try {
    await rc.client.post(path, { principalId, resourceId, appRoleId });
    return done();
  } catch (error) {
    if (
      error instanceof GraphError &&
      alreadyThere(error.status, { error: { message: error.message, code: error.code } })
    ) {
      return done('already in place');
    }
    if (isNotFound(error)) return skipped('object gone: the application or the principal no longer exists');
    throw error;
  }
}
