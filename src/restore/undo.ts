// Undo: a restore request that puts every object a finished restore wrote to back to the state
// saved just before (its pre-restore version: properties and the relationships it touched; an
// object the restore created or brought back from the recycle bin is deleted again).
import type { RestoreRecord } from '../store/store.ts';
import { parseRestoreRequest, type RestoreRequest } from './restore-types.ts';
import { readPlan, readResult } from './result-summary.ts';

export class UndoNotPossibleError extends Error {
  override readonly name = 'UndoNotPossibleError';
  readonly code = 'UNDO_NOT_POSSIBLE';
}

/** The request reversing `restore` (plan it and send it through approval like any restore). */
export function buildUndoRequest(restore: RestoreRecord, now: Date): RestoreRequest {
  if (!['succeeded', 'partial', 'failed'].includes(restore.status)) {
    throw new UndoNotPossibleError(
      `restore ${restore.restoreId} is ${restore.status}: only a finished restore can be undone`,
    );
  }
  const plan = readPlan(restore);
  const result = readResult(restore);
  const saved = Object.entries(result.preRestoreVersionIds);
  if (saved.length === 0) {
    throw new UndoNotPossibleError(`restore ${restore.restoreId} changed nothing: there is nothing to undo`);
  }
  return parseRestoreRequest({
    // Pre-restore versions live in the tenant that was written to.
    tenantId: plan.writeTenantId,
    objects: saved.map(([objectId, v]) => ({ objectType: v.objectType, objectId, versionId: v.versionId })),
    at: now.toISOString(),
    options: {
      withObject: true,
      blockSignIn: false,
      withMemberships: true,
      withOwners: true,
      withRoleAssignments: true,
      withAuthMethods: false,
    },
    undoOf: restore.restoreId,
  });
}
