// Pulls up to `depth` items of an async iterable ahead of its consumer, so a stream's next Graph
// page is on the wire while the current one waits for (and goes through) the run's writer.
// Items still arrive in order, and an error surfaces only after the items before it, so a
// stream commits exactly what it would have committed without read-ahead.

export async function* readAhead<T>(source: AsyncIterable<T>, depth: number): AsyncGenerator<T> {
  if (depth < 1) throw new RangeError(`readAhead depth must be at least 1 (got ${depth})`);
  const it = source[Symbol.asyncIterator]();
  const queue: Promise<IteratorResult<T>>[] = [];
  let ended = false;
  const fill = () => {
    while (!ended && queue.length < depth + 1) {
      const next = it.next();
      // Observed later by the consumer; this keeps an early rejection from being "unhandled".
      next.catch(() => undefined);
      queue.push(next);
      // An async generator runs queued next() calls one after another; after `done` it stops pulling.
      next.then(
        (r) => {
          if (r.done) ended = true;
        },
        () => {
          ended = true;
        },
      );
    }
  };
  try {
    for (;;) {
      fill();
      const head = queue.shift();
      if (!head) return;
      const r = await head;
      if (r.done) return;
      yield r.value;
    }
  } finally {
    // The consumer stopped early (error, fatal stop): let the source clean up after what it is doing.
    if (!ended) await it.return?.().catch(() => undefined);
  }
}
