// Watches every tenant's runs through the store while the roles work: the workers' "what is
// claimable" query with a clock far in the future returns every queued run and every running run
// (their leases all expire before that), across tenants, in one query. Each sighting of a running
// run records its lease owner, so the test knows who executed what (the final record drops the
// lease) and when a killed worker's run was taken over.
import type { RunRecord, Store } from '../../src/store/store.ts';

const FAR_FUTURE = '9999-12-31T23:59:59.000Z';

export interface RunSighting {
  owner: string;
  /** When the observer first saw this owner hold the run (ms since epoch). */
  firstSeen: number;
  /** Streams (object types) the run's checkpoint marked done at that sighting. */
  streamsDone: string[];
}

export interface RunObserver {
  /** runId → owners in the order they were seen holding the run. */
  readonly owners: Map<string, RunSighting[]>;
  /** Runs seen queued or running in the last poll. */
  active(): RunRecord[];
  /** Runs currently held by `owner` (from the last poll). */
  heldBy(owner: string): RunRecord[];
  /** Resolves when `test` holds for the runs of a poll; rejects after `timeoutMs`. */
  waitUntil(test: (active: RunRecord[]) => boolean, timeoutMs: number): Promise<RunRecord[]>;
  stop(): Promise<void>;
}

export function doneStreams(run: RunRecord): string[] {
  return Object.entries(run.checkpoint)
    .filter(([, c]) => c.done)
    .map(([stream]) => stream)
    .sort();
}

export function observeRuns(store: Store, pollMs = 250): RunObserver {
  const owners = new Map<string, RunSighting[]>();
  let last: RunRecord[] = [];
  let stopped = false;
  let polls = 0;
  const waiters = new Set<() => void>();
  const key = (r: RunRecord) => `${r.tenantId}|${r.runId}`;

  const poll = async () => {
    const runs = await store.listClaimableRuns(FAR_FUTURE, 1000);
    const at = Date.now();
    for (const run of runs) {
      const owner = run.status === 'running' ? run.lease?.owner : undefined;
      if (!owner) continue;
      const seen = owners.get(key(run)) ?? [];
      if (seen.at(-1)?.owner !== owner) seen.push({ owner, firstSeen: at, streamsDone: doneStreams(run) });
      owners.set(key(run), seen);
    }
    last = runs;
    polls++;
    for (const wake of [...waiters]) wake();
  };

  const loop = (async () => {
    while (!stopped) {
      await poll().catch(() => undefined);
      await new Promise((r) => setTimeout(r, pollMs));
    }
  })();

  return {
    owners,
    active: () => last,
    heldBy: (owner) => last.filter((r) => r.status === 'running' && r.lease?.owner === owner),
    waitUntil(test, timeoutMs) {
      const from = polls;
      return new Promise((resolve, reject) => {
        const check = () => {
          // Only polls that started after the wait began count (the state may have moved on).
          if (polls <= from || !test(last)) return;
          done();
          resolve(last);
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new Error(
              `runs did not reach the expected state within ${timeoutMs} ms: ${last
                .map((r) => `${r.tenantId.slice(0, 8)}/${r.runId}:${r.status}:${r.lease?.owner ?? '-'}`)
                .join(', ')}`,
            ),
          );
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
      });
    },
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
