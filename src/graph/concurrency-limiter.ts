// A per-tenant limit on Graph requests in flight (Graph throttles per app and tenant). The slot
// is held only while a request is on the wire, not while a retry waits out Retry-After.
import type { Context, Middleware } from '@microsoft/microsoft-graph-client';

export class Semaphore {
  private active = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new Error(`Concurrency limit must be a positive integer, got ${limit}`);
  }

  get inFlight(): number {
    return this.active;
  }

  async acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    // Hand the slot straight to the next waiter, so the count never exceeds the limit.
    if (next) next();
    else this.active--;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await task();
    } finally {
      this.release();
    }
  }
}

export class ConcurrencyMiddleware implements Middleware {
  private next?: Middleware;

  constructor(private readonly semaphore: Semaphore) {}

  setNext(next: Middleware): void {
    this.next = next;
  }

  async execute(context: Context): Promise<void> {
    const next = this.next;
    if (!next) throw new Error('ConcurrencyMiddleware: missing next middleware');
    await this.semaphore.run(() => next.execute(context));
  }
}
