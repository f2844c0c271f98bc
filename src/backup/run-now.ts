// `backup now` in this process: queue (or join) a run, execute it here when no other worker
// holds it, else follow it until it ends. Used by the CLI and tests.
import { hostname } from 'node:os';
import type { AppContext } from '../app-context.ts';
import type { ObjectType } from '../domain.ts';
import type { RunRecord } from '../store/store.ts';
import { claimRun } from './claim-run.ts';
import { type BackupRequest, requestBackup } from './request-backup.ts';
import { executeRun } from './run-executor.ts';
import { LeaseLostError } from './run-handle.ts';

export interface RunNowOptions {
  workerId?: string;
  leaseMs?: number;
  pollMs?: number;
  /** After each committed page, or each poll of a run another worker executes. */
  onProgress?: (run: RunRecord, type?: ObjectType) => void;
}

const FINISHED = new Set(['succeeded', 'partial', 'failed', 'cancelled']);

export async function runBackupNow(
  ctx: AppContext,
  tenantId: string,
  req: BackupRequest,
  options: RunNowOptions = {},
): Promise<RunRecord> {
  const workerId = options.workerId ?? `cli-${hostname()}-${process.pid}`;
  const leaseMs = options.leaseMs ?? ctx.config.LEASE_SECONDS * 1000;
  const pollMs = options.pollMs ?? 500;
  const queued = await requestBackup(ctx, tenantId, req);
  return followRun(ctx, queued, { workerId, leaseMs, pollMs, onProgress: options.onProgress });
}

/** Executes `run` here if it can be claimed, else waits for whoever runs it. */
export async function followRun(
  ctx: AppContext,
  run: RunRecord,
  options: Required<Pick<RunNowOptions, 'workerId' | 'leaseMs' | 'pollMs'>> &
    Pick<RunNowOptions, 'onProgress'>,
): Promise<RunRecord> {
  let current: RunRecord | undefined = run;
  for (;;) {
    if (!current) throw new Error(`run ${run.runId} disappeared from the store`);
    if (FINISHED.has(current.status)) return current;
    const claimed = await claimRun(ctx, current, options.workerId, options.leaseMs);
    if (claimed) {
      try {
        return await executeRun(ctx, claimed, {
          workerId: options.workerId,
          leaseMs: options.leaseMs,
          onPage: (r, t) => options.onProgress?.(r, t),
        });
      } catch (err) {
        if (!(err instanceof LeaseLostError)) throw err;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs));
    current = await ctx.store.getRun(run.tenantId, run.runId);
    if (current) options.onProgress?.(current);
  }
}
