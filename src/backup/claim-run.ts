// Claiming a run with a lease: compare-and-swap on the run's etag, and at most one running run
// per tenant. A worker that finds another live claim on the tenant after its own claim backs
// off (both may, then both retry after a jittered poll): two runs never write one tenant at once.
import type { AppContext } from '../app-context.ts';
import { type RunRecord, StoreConflictError } from '../store/store.ts';

function leaseAlive(run: RunRecord, now: Date): boolean {
  return run.status === 'running' && !!run.lease && Date.parse(run.lease.expiresAt) > now.getTime();
}

async function otherLiveRun(ctx: AppContext, run: RunRecord): Promise<RunRecord | undefined> {
  const running = await ctx.store.listRuns(run.tenantId, { status: ['running'], limit: 20 });
  const now = ctx.now();
  return running.find((r) => r.runId !== run.runId && leaseAlive(r, now));
}

/** The claimed run (status running, lease held by `owner`), or undefined when someone else has it. */
export async function claimRun(
  ctx: AppContext,
  candidate: RunRecord,
  owner: string,
  leaseMs: number,
): Promise<RunRecord | undefined> {
  const now = ctx.now();
  if (candidate.status !== 'queued' && candidate.status !== 'running') return undefined;
  if (leaseAlive(candidate, now) && candidate.lease?.owner !== owner) return undefined;
  if (await otherLiveRun(ctx, candidate)) return undefined;
  let claimed: RunRecord;
  try {
    claimed = await ctx.store.updateRun(
      {
        ...candidate,
        status: 'running',
        startedAt: candidate.startedAt ?? now.toISOString(),
        lease: { owner, expiresAt: new Date(now.getTime() + leaseMs).toISOString() },
      },
      candidate.etag ?? '',
    );
  } catch (err) {
    if (err instanceof StoreConflictError) return undefined;
    throw err;
  }
  if (await otherLiveRun(ctx, claimed)) {
    const back: RunRecord = { ...claimed, status: candidate.status };
    if (candidate.startedAt) back.startedAt = candidate.startedAt;
    else delete back.startedAt;
    if (candidate.lease) back.lease = candidate.lease;
    else delete back.lease;
    try {
      await ctx.store.updateRun(back, claimed.etag ?? '');
    } catch (err) {
      if (!(err instanceof StoreConflictError)) throw err;
    }
    return undefined;
  }
  return claimed;
}
