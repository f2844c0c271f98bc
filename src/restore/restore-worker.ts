// The restore worker's loop: polls for approved restores (and running ones whose worker died)
// and runs them through the restore engine, one pass at a time; wakes early on 'restore.updated'.
import type { AppContext } from '../app-context.ts';
import { runRestoreWorkerOnce } from './executor.ts';

export interface RestorePoller {
  stop(): Promise<void>;
}

export function startRestorePoller(
  ctx: AppContext,
  options: { workerId: string; pollMs: number },
): RestorePoller {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  const pass = async () => {
    try {
      await runRestoreWorkerOnce(ctx, options.workerId);
    } catch (error) {
      ctx.log.error({ err: error }, 'restore worker pass failed; retrying at the next poll');
    }
  };
  const schedule = (ms: number) => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (running) return schedule(options.pollMs);
      running = pass().finally(() => {
        running = undefined;
        schedule(options.pollMs);
      });
    }, ms);
  };
  const onUpdate = (record: { status: string }) => {
    if (record.status === 'approved') schedule(0);
  };
  ctx.events.on('restore.updated', onUpdate);
  schedule(0);

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      ctx.events.off('restore.updated', onUpdate);
      await running;
    },
  };
}
