// The backup worker: polls the store for due runs (and runs whose worker died), claims them
// with a lease and executes them. Any number of workers, in any number of processes, share one
// store: each run executes once, a killed worker's run resumes elsewhere from its checkpoint.
import type { AppContext } from '../app-context.ts';
import type { RunRecord } from '../store/store.ts';
import { claimRun } from './claim-run.ts';
import { executeRun } from './run-executor.ts';
import { LeaseLostError } from './run-handle.ts';

export interface WorkerOptions {
  workerId: string;
  pollMs: number;
  /** Lease length (default: config LEASE_SECONDS). */
  leaseMs?: number;
  /** Runs executed at once by this worker (different tenants; default 2). */
  concurrency?: number;
  /** Called with each run this worker finished (tests, the notifier). */
  onRunEnded?: (run: RunRecord) => void;
}

export interface WorkerHandle {
  /** Stops polling and waits for the runs in progress to end. */
  stop(): Promise<void>;
}

export function startWorker(ctx: AppContext, options: WorkerOptions): WorkerHandle {
  const leaseMs = options.leaseMs ?? ctx.config.LEASE_SECONDS * 1000;
  const concurrency = options.concurrency ?? 2;
  const active = new Map<string, Promise<void>>();
  const log = ctx.log.child({ workerId: options.workerId });
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;

  const execute = async (run: RunRecord) => {
    try {
      const final = await executeRun(ctx, run, { workerId: options.workerId, leaseMs });
      options.onRunEnded?.(final);
    } catch (err) {
      if (err instanceof LeaseLostError) log.warn({ runId: run.runId }, err.message);
      else log.error({ err, runId: run.runId }, 'run execution crashed');
    }
  };

  const poll = async () => {
    if (active.size >= concurrency) return;
    const candidates = await ctx.store.listClaimableRuns(ctx.now().toISOString(), 20);
    for (const candidate of candidates) {
      if (stopped || active.size >= concurrency) break;
      const key = `${candidate.tenantId}|${candidate.runId}`;
      if (active.has(key) || [...active.keys()].some((k) => k.startsWith(`${candidate.tenantId}|`))) continue;
      const claimed = await claimRun(ctx, candidate, options.workerId, leaseMs);
      if (!claimed) continue;
      const p = execute(claimed).finally(() => {
        active.delete(key);
        wake?.();
      });
      active.set(key, p);
    }
  };

  const loop = async () => {
    while (!stopped) {
      try {
        await poll();
      } catch (err) {
        log.warn({ err }, 'worker poll failed');
      }
      if (stopped) break;
      // Jitter keeps workers that collided on a claim from colliding again.
      const delay = options.pollMs * (0.75 + Math.random() * 0.5);
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, delay);
      });
    }
  };
  const running = loop();

  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      wake?.();
      await running;
      await Promise.all(active.values());
    },
  };
}
