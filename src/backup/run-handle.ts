// The one writer of a running run's record in this process: page commits and lease renewals go
// through it one at a time, each a compare-and-swap on the run's etag. Losing a swap means
// another worker took the run over: this worker stops without writing anything more.
import type { PageCommit, RunRecord, Store } from '../store/store.ts';
import { StoreConflictError } from '../store/store.ts';

export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
}

export class RunHandle {
  private current: RunRecord;
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  lost = false;

  constructor(
    private readonly store: Store,
    run: RunRecord,
    private readonly owner: string,
    private readonly leaseMs: number,
    private readonly now: () => Date,
  ) {
    this.current = run;
  }

  get run(): RunRecord {
    return this.current;
  }

  /** Renews the lease in the background at a third of its length. */
  startRenewing(): void {
    this.timer = setInterval(
      () => {
        this.renew().catch(() => {
          // A failed renewal shows on the next commit (lost lease or store error).
        });
      },
      Math.max(50, Math.floor(this.leaseMs / 3)),
    );
    this.timer.unref();
  }

  stopRenewing(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private lease() {
    return { owner: this.owner, expiresAt: new Date(this.now().getTime() + this.leaseMs).toISOString() };
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private guard(err: unknown): never {
    if (err instanceof StoreConflictError) {
      this.lost = true;
      throw new LeaseLostError(`run ${this.current.runId} was taken over by another worker`);
    }
    throw err;
  }

  renew(): Promise<RunRecord> {
    return this.serial(async () => {
      if (this.lost) throw new LeaseLostError(`run ${this.current.runId}: lease lost`);
      try {
        this.current = await this.store.updateRun(
          { ...this.current, lease: this.lease() },
          this.current.etag ?? '',
        );
        return this.current;
      } catch (err) {
        return this.guard(err);
      }
    });
  }

  /** Commits a page with the run's next state (checkpoint, counts) in the same write. */
  commit(page: Omit<PageCommit, 'run'>, mutate: (run: RunRecord) => RunRecord): Promise<RunRecord> {
    return this.serial(async () => {
      if (this.lost) throw new LeaseLostError(`run ${this.current.runId}: lease lost`);
      const next = { ...mutate(structuredClone(this.current)), lease: this.lease(), etag: this.current.etag };
      try {
        const stored = await this.store.commitPage(next.tenantId, { ...page, run: next });
        this.current = stored ?? (await this.store.getRun(next.tenantId, next.runId)) ?? next;
        return this.current;
      } catch (err) {
        return this.guard(err);
      }
    });
  }

  /** Writes the run's final state (no lease). */
  finish(mutate: (run: RunRecord) => RunRecord): Promise<RunRecord> {
    return this.serial(async () => {
      if (this.lost) throw new LeaseLostError(`run ${this.current.runId}: lease lost`);
      const next = mutate(structuredClone(this.current));
      delete next.lease;
      try {
        this.current = await this.store.updateRun(next, this.current.etag ?? '');
        return this.current;
      } catch (err) {
        return this.guard(err);
      }
    });
  }
}
