// The real product ports: each call goes to the module that owns the concept (helper modules of
// src/auth, src/approvals, src/restore, src/backup). No rule is re-implemented here.
import type { AppContext } from '../app-context.ts';
import { ApprovalError, decideRestore, requestRestore } from '../approvals/approval-service.ts';
import { isTenantAdmin } from '../auth/tenant-admin.ts';
import type { GraphObject, ObjectType, Principal } from '../domain.ts';
import { planRestore } from '../restore/planner.ts';
import type { RestoreRequest, RestoreResult } from '../restore/restore-types.ts';
import { sameValue } from '../restore/values.ts';
import type { RunRecord } from '../store/store.ts';
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
  if (error instanceof ApprovalError) throw new HttpError(APPROVAL_STATUS[error.code], error.code, error.message);
  throw error;
}

export function createProductPorts(ctx: AppContext): ProductPorts {
  return {
    isAdmin: (tenantId, oid) => isTenantAdmin(ctx, tenantId, oid),

    async requestBackup(principal: Principal, types?: ObjectType[]): Promise<RunRecord> {
      const backup = await backupModule();
      return backup.requestBackup(ctx, { tenantId: principal.tenantId, requestedBy: principal, types, trigger: 'manual' });
    },

    diffVersions: (before, after) => diffVersions(before, after),

    planRestore: async (request) => (await planRestore(ctx, request)) as unknown as Record<string, unknown>,

    requestRestore: (principal, request) => requestRestore(ctx, principal, request).catch(fromApprovalError),

    async decideRestore(principal, restoreId, decision, comment) {
      const outcome = await decideRestore(ctx, principal, principal.tenantId, restoreId, decision, comment).catch(
        fromApprovalError,
      );
      if (outcome.outcome === 'refused') throw new HttpError(409, outcome.reason ?? 'refused', outcome.message);
      return outcome.record;
    },

    async requestUndo(principal, restoreId) {
      const record = await ctx.store.getRestore(principal.tenantId, restoreId);
      if (!record) throw new HttpError(404, 'not_found', 'That restore request was not found');
      if (record.status !== 'succeeded' && record.status !== 'partial') {
        throw new HttpError(409, 'not_finished', 'Only a finished restore can be undone');
      }
      const result = record.result as unknown as RestoreResult | undefined;
      const pre = Object.entries(result?.preRestoreVersionIds ?? {});
      if (pre.length === 0) throw new HttpError(409, 'nothing_to_undo', 'This restore changed nothing that can be put back');
      const original = record.request as unknown as RestoreRequest;
      // Undo = restore each written object to the version saved just before the restore wrote it.
      const request: RestoreRequest = {
        tenantId: principal.tenantId,
        objects: pre.map(([objectId, v]) => ({ objectType: v.objectType, objectId, versionId: v.versionId })),
        at: ctx.now().toISOString(),
        options: { ...original.options, asNew: undefined, blockSignIn: false },
        undoOf: restoreId,
      };
      return requestRestore(ctx, principal, request).catch(fromApprovalError);
    },

    async exportZip(principal: Principal, target: ExportTarget, file: string, onProgress) {
      const backup = await backupModule();
      await backup.exportToZip(ctx, {
        tenantId: principal.tenantId,
        actor: principal,
        level: target.level,
        objectType: target.objectType,
        objectId: target.objectId,
        file,
        onProgress,
      });
    },
  };
}

/** Top-level property differences between two versions, for highlighting (null = absent). */
export function diffVersions(before: GraphObject | null, after: GraphObject | null): ChangedProperty[] {
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  const changes: ChangedProperty[] = [];
  for (const property of [...keys].sort()) {
    if (property.startsWith('@')) continue;
    const was = before?.[property] ?? null;
    const now = after?.[property] ?? null;
    if (!sameValue(was, now)) changes.push({ property, before: was, after: now });
  }
  return changes;
}

interface BackupModule {
  requestBackup(
    ctx: AppContext,
    input: { tenantId: string; requestedBy: Principal; types?: ObjectType[]; trigger: 'manual' },
  ): Promise<RunRecord>;
  exportToZip(
    ctx: AppContext,
    input: {
      tenantId: string;
      actor: Principal;
      level: string;
      objectType?: ObjectType;
      objectId?: string;
      file: string;
      onProgress: (p: { done: number; total: number }) => void;
    },
  ): Promise<void>;
}

async function backupModule(): Promise<BackupModule> {
  const modulePath = '../backup/index.ts';
  return (await import(modulePath)) as BackupModule;
}
