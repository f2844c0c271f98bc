// Runs a run's streams (one per object type) concurrently, at most `limit` at once, each
// starting only after the streams it depends on have ended (authentication methods read the
// users the user stream stored). Streams are started in the order given: put the longest first.

export interface StreamTask<K extends string> {
  key: K;
  /** Streams that must have ended (successfully or not) before this one starts. */
  after?: K[];
  run(): Promise<void>;
}

/** Resolves when every task has ended; a task's rejection is its own business (tasks catch). */
export async function runStreams<K extends string>(tasks: StreamTask<K>[], limit: number): Promise<void> {
  if (limit < 1) throw new RangeError(`stream concurrency must be at least 1 (got ${limit})`);
  const keys = new Set(tasks.map((t) => t.key));
  const ended = new Set<K>();
  const waiting = [...tasks];
  let running = 0;
  await new Promise<void>((resolve) => {
    const ready = (t: StreamTask<K>) => (t.after ?? []).every((k) => ended.has(k) || !keys.has(k));
    const pump = () => {
      for (let i = 0; i < waiting.length && running < limit; ) {
        const task = waiting[i];
        if (!ready(task)) {
          i++;
          continue;
        }
        waiting.splice(i, 1);
        running++;
        task
          .run()
          .catch(() => undefined)
          .finally(() => {
            running--;
            ended.add(task.key);
            pump();
          });
      }
      if (running === 0) resolve();
    };
    pump();
  });
}
