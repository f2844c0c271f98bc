// The real product ports: each call goes to the module that owns the concept (helper modules of
// src/auth, src/approvals, src/restore, src/backup). No rule is re-implemented here.
import type { AppContext } from '../app-context.ts';
import { ApprovalError, decideRestore, requestRestore } from '../approvals/approval-service.ts';
import { isTenantAdmin } from '../auth/tenant-admin.ts';
import { exportBackup } from '../backup/export.ts';
import { diffObjects } from '../backup/object-diff.ts';
import { BackupRequestError, requestBackup } from '../backup/request-backup.ts';
import type { GraphObject, ObjectType, Principal } from '../domain.ts';
import { planRestore } from '../restore/planner.ts';
import type { RestoreRequest } from '../restore/restore-types.ts';
import { buildUndoRequest, UndoNotPossibleError } from '../restore/undo.ts';
import type { ObjectRecord, RunRecord } from '../store/store.ts';
import { HttpError } from './http-helpers.ts';
import type { ChangedProperty, ExportTarget, ProductPorts } from './product-ports.ts';

const APPROVAL_STATUS: Record<ApprovalError['code'], number> = {
  'not-admin': 403,
  'wrong-tenant': 403,
  'not-found': 404,
  'invalid-request': 400,
  'plan-failed': 422,
};

function fromApprovalError(error: unknown): never {
  if (error instanceof ApprovalError)
    throw new HttpError(APPROVAL_STATUS[error.code], error.code, error.message);
  throw error;
}

export function createProductPorts(ctx: AppContext): ProductPorts {
  return {
    isAdmin: (tenantId, oid) => isTenantAdmin(ctx, tenantId, oid),

    async requestBackup(principal: Principal, types?: ObjectType[]): Promise<RunRecord> {
      const run = await requestBackup(ctx, principal.tenantId, {
        kind: 'incremental',
        types,
        trigger: 'manual',
        requestedBy: principal,
      }).catch((error: unknown) => {
        if (error instanceof BackupRequestError) throw new HttpError(400, error.code, error.message);
        throw error;
      });
      await ctx.store.appendAudit({
        tenantId: principal.tenantId,
        actor: principal,
        action: 'backup.requested',
        target: run.runId,
        details: { types: types ?? 'scope', via: 'tab' },
      });
      return run;
    },

    diffVersions: (before, after) => diffVersions(before, after),

    planRestore: async (request) => (await planRestore(ctx, request)) as unknown as Record<string, unknown>,

    requestRestore: (principal, request) => requestRestore(ctx, principal, request).catch(fromApprovalError),

    async decideRestore(principal, restoreId, decision, comment) {
      const outcome = await decideRestore(
        ctx,
        principal,
        principal.tenantId,
        restoreId,
        decision,
        comment,
      ).catch(fromApprovalError);
      if (outcome.outcome === 'refused')
        throw new HttpError(409, outcome.reason ?? 'refused', outcome.message);
      return outcome.record;
    },

    async requestUndo(principal, restoreId) {
      const record = await ctx.store.getRestore(principal.tenantId, restoreId);
      if (!record) throw new HttpError(404, 'not_found', 'That restore request was not found');
      let request: RestoreRequest;
      try {
        request = buildUndoRequest(record, ctx.now());
      } catch (error) {
        if (error instanceof UndoNotPossibleError) throw new HttpError(409, error.code, error.message);
        throw error;
      }
      return requestRestore(ctx, principal, request).catch(fromApprovalError);
    },

    async exportZip(principal: Principal, target: ExportTarget, file: string, onProgress) {
      const { tenantId } = principal;
      let objects: ObjectRecord[] | undefined;
      if (target.level === 'object' && target.objectType && target.objectId) {
        const record = await ctx.store.getObject(tenantId, target.objectType, target.objectId);
        if (!record)
          throw new HttpError(
            404,
            'not_found',
            `The ${target.objectType} ${target.objectId} is not in the backup`,
          );
        objects = [record];
      }
      const types = target.level === 'type' && target.objectType ? [target.objectType] : undefined;
      const counts = await ctx.store.countObjects(tenantId);
      const total = objects
        ? 1
        : Object.entries(counts)
            .filter(([t]) => !types || types.includes(t as ObjectType))
            .reduce((n, [, c]) => n + (c?.live ?? 0), 0);
      onProgress({ done: 0, total });
      const manifest = await exportBackup(ctx, {
        tenantId,
        out: file,
        types,
        objects,
        onProgress: (p) => onProgress({ done: p.files, total: Math.max(total, p.totalFiles) }),
      });
      onProgress({ done: total, total });
      await ctx.store.appendAudit({
        tenantId,
        actor: principal,
        action: 'export',
        target: target.objectId ?? target.objectType ?? 'tenant',
        details: { level: target.level, files: manifest.files.length, via: 'tab' },
      });
    },
  };
}

/**
 * The top-level properties that differ between two versions (the backup's own diff, which
 * reports dotted paths, folded to the property rows the detail page shows).
 */
export function diffVersions(before: GraphObject | null, after: GraphObject | null): ChangedProperty[] {
  const seen = new Set<string>();
  const changes: ChangedProperty[] = [];
  for (const change of diffObjects(before, after)) {
    const property = change.path.split('.')[0];
    if (!property || property.startsWith('@') || seen.has(property)) continue;
    seen.add(property);
    changes.push({ property, before: before?.[property] ?? null, after: after?.[property] ?? null });
  }
  return changes;
}
