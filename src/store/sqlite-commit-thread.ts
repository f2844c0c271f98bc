// A writer thread for backup page commits. A commit of a 200-object page takes tens of
// milliseconds of SQLite work (B-trees, the trigram index, the WAL), a 1,000-record sign-in page
// hundreds: done on the event loop it holds up every other stream's Graph responses, so a
// concurrent backup runs at the pace of its commits rather than of Graph. On its own thread
// and its own connection (WAL: the store's connection keeps reading meanwhile) the commits
// overlap the network. Commits keep their order and atomicity: one transaction each, in order.
import { Worker } from 'node:worker_threads';
import { sqliteUnavailable } from './sqlite-errors.ts';
import type { NormalizedPage } from './sqlite-page-commit.ts';
import { StoreConflictError, StoreUnavailableError } from './store.ts';

/**
 * The writer thread's young generation (V8's default lets it grow to ≈ 48 MB, resident for the
 * rest of the process). Its allocations are short-lived (a page's message, its JSON documents):
 * a small young generation costs a few more scavenges and ≈ 35 MB less RSS (measured).
 */
const WRITER_YOUNG_GENERATION_MB = 6;

/** Page cache of the writer's connection (KiB): its hot index pages; the OS caches the rest. */
export const WRITER_CACHE_KIB = 8192;

export interface CommitThreadOptions {
  file: string;
  busyTimeoutMs: number;
  maxPageCount?: number;
}

export interface CommitRequest {
  id: number;
  tenantId: string;
  page: NormalizedPage;
  etag: string;
}

export interface CommitReply {
  id: number;
  error?: { name: string; message: string; code?: string };
}

interface Pending {
  resolve(): void;
  reject(err: Error): void;
}

export class SqliteCommitThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stopped: Error | undefined;
  /** Settles after the last commit queued so far. */
  private last: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: CommitThreadOptions) {
    this.worker = new Worker(new URL('./sqlite-commit-worker.mjs', import.meta.url), {
      workerData: options,
      resourceLimits: { maxYoungGenerationSizeMb: WRITER_YOUNG_GENERATION_MB },
    });
    // An idle writer never keeps the process alive; a pending commit does (its promise is awaited).
    this.worker.unref();
    this.worker.on('message', (reply: CommitReply) => this.settle(reply));
    this.worker.on('error', (err) => this.stop(err));
    this.worker.on('exit', (code) => this.stop(new Error(`exited with code ${code}`)));
  }

  /** False once the thread died: the store then commits on its own connection. */
  get alive(): boolean {
    return this.stopped === undefined;
  }

  commit(tenantId: string, page: NormalizedPage, etag: string): Promise<void> {
    if (this.stopped) return Promise.reject(this.unavailable(this.stopped));
    const id = this.nextId++;
    const done = new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) this.worker.ref();
      this.worker.postMessage({ id, tenantId, page, etag } satisfies CommitRequest);
    });
    this.last = done.catch(() => undefined);
    return done;
  }

  /** Lets queued commits finish, then ends the thread and its connection. */
  async close(): Promise<void> {
    await this.last;
    if (this.stopped) return;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage('close');
    await exited;
  }

  private settle(reply: CommitReply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    if (!reply.error) p.resolve();
    else p.reject(this.errorOf(reply.error));
  }

  private errorOf(e: NonNullable<CommitReply['error']>): Error {
    if (e.name === 'StoreConflictError') return new StoreConflictError(e.message);
    const raw = Object.assign(new Error(e.message), e.code ? { code: e.code } : {});
    return sqliteUnavailable(raw, this.options.file) ?? raw;
  }

  private unavailable(cause: Error): StoreUnavailableError {
    return new StoreUnavailableError(
      `SQLite store ${this.options.file}: its writer thread stopped (${cause.message}); the commit was not confirmed`,
      { cause },
    );
  }

  private stop(cause: Error): void {
    if (this.stopped) return;
    this.stopped = cause;
    const err = this.unavailable(cause);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
