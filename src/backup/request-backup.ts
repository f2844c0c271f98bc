// Queues a backup run for a tenant, or returns the queued/running run that already covers
// the request (a full run covers an incremental one; all types cover some).
import type { AppContext } from '../app-context.ts';
import { isObjectType, type ObjectType, type Principal, type RunKind, type RunTrigger } from '../domain.ts';
import { ensureTenant } from '../settings/tenant-settings.ts';
import { type RunRecord, StoreConflictError } from '../store/store.ts';
import { newRunId } from './ids.ts';

export interface BackupRequest {
  kind: RunKind;
  /** Absent = the tenant's scope. */
  types?: ObjectType[];
  trigger: RunTrigger;
  requestedBy?: Principal;
  /** A fixed id (the scheduler's slot id): a second create of it is a no-op. */
  runId?: string;
}

export class BackupRequestError extends Error {
  override readonly name = 'BackupRequestError';
  readonly code = 'BAD_BACKUP_REQUEST';
}

function covers(run: RunRecord, req: BackupRequest): boolean {
  if (run.kind === 'incremental' && req.kind === 'full') return false;
  if (!run.types) return true;
  if (!req.types) return false;
  return req.types.every((t) => run.types?.includes(t));
}

function emptyRun(tenantId: string, runId: string, req: BackupRequest, now: Date): RunRecord {
  const at = now.toISOString();
  return {
    tenantId,
    runId,
    kind: req.kind,
    status: 'queued',
    trigger: req.trigger,
    ...(req.requestedBy ? { requestedBy: req.requestedBy } : {}),
    ...(req.types ? { types: req.types } : {}),
    createdAt: at,
    dueAt: at,
    checkpoint: {},
    counts: {},
    graphRequests: 0,
    throttled: 0,
    errors: [],
  };
}

export async function requestBackup(
  ctx: AppContext,
  tenantId: string,
  req: BackupRequest,
): Promise<RunRecord> {
  if (req.types) {
    const bad = req.types.filter((t) => !isObjectType(t));
    if (bad.length) throw new BackupRequestError(`unknown object type(s): ${bad.join(', ')}`);
    if (req.types.length === 0)
      throw new BackupRequestError('types, when given, must name at least one object type');
  }
  await ensureTenant(ctx.store, tenantId, ctx.now());
  for (let attempt = 0; attempt < 5; attempt++) {
    const active = await ctx.store.listRuns(tenantId, { status: ['queued', 'running'], limit: 20 });
    const covering = active.find((r) => covers(r, req));
    if (covering) return covering;
    const queued = active.find((r) => r.status === 'queued');
    if (queued) {
      // Widen the queued run instead of queueing a second one for the tenant.
      const types = queued.types && req.types ? [...new Set([...queued.types, ...req.types])] : undefined;
      const widened: RunRecord = { ...queued, kind: req.kind === 'full' ? 'full' : queued.kind };
      if (types) widened.types = types;
      else delete widened.types;
      try {
        return await ctx.store.updateRun(widened, queued.etag ?? '');
      } catch (err) {
        if (err instanceof StoreConflictError) continue;
        throw err;
      }
    }
    try {
      return await ctx.store.createRun(emptyRun(tenantId, req.runId ?? newRunId(ctx.now()), req, ctx.now()));
    } catch (err) {
      if (err instanceof StoreConflictError && req.runId) {
        const existing = await ctx.store.getRun(tenantId, req.runId);
        if (existing) return existing;
      }
      if (err instanceof StoreConflictError) continue;
      throw err;
    }
  }
  throw new BackupRequestError(
    `could not queue a backup for tenant ${tenantId}: too much contention, try again`,
  );
}
