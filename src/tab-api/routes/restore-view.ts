// How the tab shows a restore request: what it restores, who asked and decided, counts, and
// which buttons the caller may see (the approval service decides; these only hide buttons).
import type { Principal } from '../../domain.ts';
import type { RestoreRecord } from '../../store/store.ts';

interface ObjectRefView {
  objectType: string;
  objectId: string;
  displayName: string;
}

export function restoreView(record: RestoreRecord, caller: Principal, isAdmin: boolean) {
  const request = record.request as {
    objects?: { objectType: string; objectId: string }[];
    at?: string;
    undoOf?: string;
    options?: Record<string, unknown>;
  };
  const diff = (record.plan as { diff?: Record<string, { displayName?: string }> }).diff ?? {};
  const objects: ObjectRefView[] = (request.objects ?? []).map((o) => ({
    objectType: o.objectType,
    objectId: o.objectId,
    displayName: diff[o.objectId]?.displayName ?? o.objectId,
  }));
  const result = record.result as
    | { totals?: Record<string, number>; skipped?: unknown[]; failed?: unknown[] }
    | undefined;
  const steps = Array.isArray((record.plan as { steps?: unknown[] }).steps)
    ? (record.plan as { steps: unknown[] }).steps.length
    : 0;
  const doneSteps = Object.keys(record.stepResults ?? {}).length;
  const isRequester = record.requestedBy.objectId === caller.objectId;
  const alreadyDecided = record.decisions.some((d) => d.by.objectId === caller.objectId);
  const finished = record.status === 'succeeded' || record.status === 'partial';
  return {
    restoreId: record.restoreId,
    status: record.status,
    requestedBy: { objectId: record.requestedBy.objectId, displayName: record.requestedBy.displayName },
    requestedAt: record.requestedAt,
    expiresAt: record.expiresAt,
    requiredApprovals: record.requiredApprovals,
    approvals: record.decisions.filter((d) => d.decision === 'approve').length,
    decisions: record.decisions.map((d) => ({
      by: { objectId: d.by.objectId, displayName: d.by.displayName },
      decision: d.decision,
      at: d.at,
      comment: d.comment,
    })),
    objects,
    at: request.at,
    options: request.options,
    undoOf: request.undoOf,
    progress: { steps, done: doneSteps },
    totals: result?.totals,
    skippedCount: result?.skipped?.length ?? 0,
    failedCount: result?.failed?.length ?? 0,
    updatedAt: record.updatedAt,
    can: {
      approve: isAdmin && record.status === 'pending' && !isRequester && !alreadyDecided,
      reject: isAdmin && record.status === 'pending' && !isRequester && !alreadyDecided,
      cancel: isAdmin && record.status === 'pending' && isRequester,
      undo: isAdmin && finished && !request.undoOf,
    },
  };
}
