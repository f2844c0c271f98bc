// Runs async tasks one at a time, in the order they were queued: the run's one writer, so
// concurrent streams never build or commit pages (or save sync state) over each other.

export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const next = this.tail.then(task, task);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
