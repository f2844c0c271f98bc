// Executes one claimed run: its streams (one per object type) run concurrently, page by page,
// each page committed with the run's checkpoint in one write through the run's one writer
// (SerialQueue: no two commits of the run race for its etag). A run killed at any point resumes
// each stream from its own checkpoint.
// One failing type does not stop the others (the run ends `partial`); a 401 (consent revoked)
// or a store outage ends the run with a specific error and nothing committed is lost.
import type { AppContext } from '../app-context.ts';
import { emptyCounts, type ObjectType, type RunError, type TypeCounts } from '../domain.ts';
import { type GraphClient, GraphError } from '../graph/gateway.ts';
import { scopedTypes } from '../settings/tenant-settings.ts';
import type { RunRecord, SyncState } from '../store/store.ts';
import type { StreamCursor } from './collectors/collector.ts';
import { collectorFor } from './collectors/index.ts';
import { buildCommit, type CountsByType } from './page-writer.ts';
import { readAhead } from './read-ahead.ts';
import { isFatalRunError, toRunError } from './run-errors.ts';
import { LeaseLostError, RunHandle } from './run-handle.ts';
import { SerialQueue } from './serial-queue.ts';
import { streamClient } from './stream-client.ts';
import { runStreams } from './stream-pool.ts';
import { TYPE_ORDER } from './type-specs.ts';

export interface ExecuteOptions {
  /** Lease holder written into the run (the worker's id). */
  workerId: string;
  leaseMs: number;
  /** Called after every committed page (CLI progress). */
  onPage?: (run: RunRecord, type: ObjectType) => void;
  /** Streams read at once (default: config GRAPH_CONCURRENCY, the gateway's per-tenant limit). */
  streamConcurrency?: number;
}

/** Pages a stream reads ahead of its commits (bounded: a run holds a few pages per stream). */
const READ_AHEAD_PAGES = 2;

/** Streams that start only once others ended: authentication methods read the users stored. */
const STREAM_AFTER: Partial<Record<ObjectType, ObjectType[]>> = { authenticationMethods: ['user'] };

/**
 * Longest chains first, so they are never queued behind short ones: sign-ins are paced by
 * Graph (5 requests per 10 s), then the big delta streams; the rest keep the table's order.
 */
const FIRST: ObjectType[] = ['signIn', 'user', 'group', 'device', 'servicePrincipal', 'application'];

function startOrder(types: ObjectType[]): ObjectType[] {
  const rank = (t: ObjectType) => {
    const i = FIRST.indexOf(t);
    return i === -1 ? FIRST.length + TYPE_ORDER.indexOf(t) : i;
  };
  return [...types].sort((a, b) => rank(a) - rank(b));
}

/** At most this many errors are kept on a run (the first ones; the count of the rest is noted). */
const MAX_ERRORS = 50;

function addCounts(into: Partial<Record<ObjectType, TypeCounts>>, add: CountsByType): void {
  for (const [type, c] of Object.entries(add) as [ObjectType, TypeCounts][]) {
    const cur = into[type] ?? emptyCounts();
    for (const k of Object.keys(c) as (keyof TypeCounts)[]) cur[k] += c[k];
    into[type] = cur;
  }
}

function pushErrors(run: RunRecord, errors: RunError[]): void {
  for (const e of errors) {
    if (run.errors.length < MAX_ERRORS) run.errors.push(e);
  }
}

/** Types of the run in execution order. */
export async function typesOfRun(ctx: AppContext, run: RunRecord): Promise<ObjectType[]> {
  let types = run.types;
  if (!types) {
    const settings = await ctx.store.getSettings(run.tenantId);
    types = settings ? scopedTypes(settings) : [...TYPE_ORDER];
  }
  const wanted = new Set(types);
  return TYPE_ORDER.filter((t) => wanted.has(t));
}

/**
 * Runs a run this worker has claimed (status running, lease held). Returns its final record,
 * or throws LeaseLostError when another worker took it over.
 */
export async function executeRun(
  ctx: AppContext,
  claimed: RunRecord,
  options: ExecuteOptions,
): Promise<RunRecord> {
  const { store } = ctx;
  const tenantId = claimed.tenantId;
  const handle = new RunHandle(store, claimed, options.workerId, options.leaseMs, ctx.now);
  handle.startRenewing();
  const capturedAt = claimed.startedAt ?? ctx.now().toISOString();
  const log = ctx.log.child({ tenantId, runId: claimed.runId });
  ctx.events.emit('run.started', handle.run);
  try {
    const types = await typesOfRun(ctx, claimed);
    const client = ctx.graph.forBackup(tenantId);
    const sync: SyncState = (await store.getSyncState(tenantId)) ?? {
      tenantId,
      streams: {},
      updatedAt: capturedAt,
    };
    const failedTypes = new Map<ObjectType, RunError>();
    let fatal: RunError | undefined;
    let leaseLost: LeaseLostError | undefined;
    // Whether Graph served any type: when every type that asked got 403, consent is gone.
    let graphAnswered = false;
    let last403: GraphError | undefined;
    const shared: RunShared = {
      writer: new SerialQueue(),
      client,
      counted: { requests: client.stats.requests, throttled: client.stats.throttled },
      stopped: () => fatal !== undefined || leaseLost !== undefined,
    };

    const runStream = async (type: ObjectType): Promise<void> => {
      if (shared.stopped()) return;
      const cursor = handle.run.checkpoint[type];
      const mine = streamClient(client);
      try {
        if (cursor?.done) {
          // Completed before the run was resumed: only its sync state may be missing.
          await shared.writer.run(() => saveStream(ctx, sync, type, cursor, capturedAt));
          return;
        }
        await runType(ctx, handle, mine.client, shared, type, cursor ?? {}, sync, capturedAt, options);
        if (shared.stopped()) return;
        if (mine.calls() > 0) graphAnswered = true;
        await shared.writer.run(() => saveStream(ctx, sync, type, handle.run.checkpoint[type], capturedAt));
      } catch (err) {
        if (err instanceof LeaseLostError) {
          leaseLost ??= err;
          return;
        }
        if (shared.stopped()) return;
        const at = ctx.now().toISOString();
        const runError = toRunError(err, at, type);
        log.warn({ err, objectType: type }, 'backup of a type failed');
        if (err instanceof GraphError && err.status === 403 && (await tokenHasNoRoles(client))) {
          // Not a missing permission for one type: the app has none left in this tenant.
          fatal ??= consentRevoked(tenantId, err, at);
          return;
        }
        if (isFatalRunError(err)) {
          fatal ??= runError;
          return;
        }
        if (err instanceof GraphError && err.status === 403) last403 = err;
        failedTypes.set(type, runError);
      }
    };
    const limit = options.streamConcurrency ?? ctx.config.GRAPH_CONCURRENCY;
    await runStreams(
      startOrder(types).map((type) => ({
        key: type,
        after: STREAM_AFTER[type],
        run: () => runStream(type),
      })),
      limit,
    );
    if (leaseLost) throw leaseLost;
    if (!fatal && !graphAnswered && last403 && [...failedTypes.values()].every((e) => e.status === 403)) {
      fatal = consentRevoked(tenantId, last403, ctx.now().toISOString());
      failedTypes.clear();
    }
    const finishedAt = ctx.now().toISOString();
    const anyItemFailed = Object.values(handle.run.counts).some((c) => (c?.failed ?? 0) > 0);
    const status: RunRecord['status'] =
      fatal || (failedTypes.size > 0 && failedTypes.size === types.length)
        ? 'failed'
        : failedTypes.size > 0 || anyItemFailed
          ? 'partial'
          : 'succeeded';
    const finalize = (run: RunRecord): RunRecord => {
      // Requests made after the last committed page (a failed type's, a fatal one's).
      run.graphRequests += client.stats.requests - shared.counted.requests;
      run.throttled += client.stats.throttled - shared.counted.throttled;
      pushErrors(run, [...failedTypes.values()]);
      if (fatal) pushErrors(run, [fatal]);
      run.status = status;
      run.finishedAt = finishedAt;
      run.durationMs = Date.parse(finishedAt) - Date.parse(run.startedAt ?? capturedAt);
      return run;
    };
    if (fatal && isStoreErrorCode(fatal)) {
      // The store is down: report the failure; the run stays claimable and resumes from its
      // checkpoint once the store is back, so nothing is lost.
      const failed = finalize(structuredClone(handle.run));
      try {
        await handle.finish(() => failed);
      } catch {
        // still down: the lease will expire and another attempt resumes the run
      }
      ctx.events.emit('run.failed', failed);
      return failed;
    }
    const final = await handle.finish(finalize);
    await dropRoundState(ctx, final);
    ctx.events.emit(status === 'failed' ? 'run.failed' : 'run.finished', final);
    log.info(
      { status, durationMs: final.durationMs, graphRequests: final.graphRequests },
      'backup run ended',
    );
    return final;
  } catch (err) {
    if (err instanceof LeaseLostError) throw err;
    // Reading settings or sync state failed before any type ran: the store is the cause.
    const failed = structuredClone(handle.run);
    pushErrors(failed, [toRunError(err, ctx.now().toISOString())]);
    failed.status = 'failed';
    failed.finishedAt = ctx.now().toISOString();
    try {
      await handle.finish(() => failed);
      await dropRoundState(ctx, failed);
    } catch {
      // the store is unreachable; the run resumes when it is back
    }
    ctx.events.emit('run.failed', failed);
    return failed;
  } finally {
    handle.stopRenewing();
  }
}

/**
 * A finished run is never resumed: the round state its failed or stopped streams left goes now
 * (retention removes it if this fails).
 */
async function dropRoundState(ctx: AppContext, run: RunRecord): Promise<void> {
  try {
    await ctx.store.deleteRoundState?.(run.tenantId, run.runId);
  } catch (err) {
    ctx.log.warn({ tenantId: run.tenantId, runId: run.runId, err }, 'round state of a finished run kept');
  }
}

async function tokenHasNoRoles(client: GraphClient): Promise<boolean> {
  try {
    return (await client.grantedRoles()).length === 0;
  } catch {
    return false;
  }
}

function consentRevoked(tenantId: string, err: GraphError, at: string): RunError {
  return {
    code: 'CONSENT_REVOKED',
    message: `admin consent for the backup app was revoked in tenant ${tenantId}: Graph answers 403 ${err.code} and the app's token carries no permissions. Grant admin consent again; nothing stored was changed.`,
    status: err.status,
    ...(err.requestId ? { requestId: err.requestId } : {}),
    at,
  };
}

function isStoreErrorCode(e: RunError): boolean {
  return e.code === 'STORE_UNAVAILABLE';
}

/** What the concurrent streams of one run share. */
interface RunShared {
  /** Builds and commits pages, saves sync state: one at a time, in arrival order. */
  writer: SerialQueue;
  /** The run's client: its stats count every stream's requests. */
  client: GraphClient;
  /** Client stats already added to the run record. */
  counted: { requests: number; throttled: number };
  /** A fatal error or a lost lease: streams stop before their next commit. */
  stopped(): boolean;
}

async function runType(
  ctx: AppContext,
  handle: RunHandle,
  client: GraphClient,
  shared: RunShared,
  type: ObjectType,
  start: StreamCursor,
  sync: SyncState,
  capturedAt: string,
  options: ExecuteOptions,
): Promise<void> {
  const run = handle.run;
  const collect = collectorFor(type);
  const writer = { store: ctx.store, tenantId: run.tenantId, client, runId: run.runId, capturedAt };
  const previous = sync.streams[type] ?? {};
  const pages = collect({
    ctx,
    tenantId: run.tenantId,
    client,
    run,
    stream: type,
    start,
    previous: { deltaLink: previous.deltaLink, watermark: previous.watermark },
  });
  // A resumed stream continues from its cursor (a full round rebuilds its state from the round
  // state stored with its pages), its counts too. One that cannot (its round state is missing)
  // starts over and says so on its first page: its counts start over, and the writer counts what
  // this run wrote before as it was, so they equal an uninterrupted run's. Deletions stay:
  // objects tombstoned before the restart are not listed again.
  for await (const page of readAhead(pages, READ_AHEAD_PAGES)) {
    if (shared.stopped()) return;
    const recount = page.restarted === true;
    const roundState = page.roundState
      ? {
          roundState: {
            runId: run.runId,
            stream: type,
            seq: page.roundState.seq,
            data: page.roundState.data,
          },
        }
      : {};
    const roundDone = page.roundDone ? { roundStateDone: { runId: run.runId, stream: type } } : {};
    // Built one page at a time (the run's writer), committed through the run's handle: while
    // one stream's page is being committed (on the store's writer thread, for SQLite), the
    // next stream's page is built. A stream's next page is built only after its own commit.
    const built = await shared.writer.run(async () => {
      if (shared.stopped()) return undefined;
      return buildCommit(writer, page);
    });
    if (!built || shared.stopped()) return;
    const at = ctx.now().toISOString();
    let counted = shared.counted;
    const committed = await handle.commit({ ...built.commit, ...roundState, ...roundDone }, (r) => {
      // Requests up to this commit (commits are one at a time: no other stream's in between).
      counted = { requests: shared.client.stats.requests, throttled: shared.client.stats.throttled };
      if (recount) r.counts[type] = { ...emptyCounts(), deleted: r.counts[type]?.deleted ?? 0 };
      addCounts(r.counts, built.counts);
      if (!r.counts[type]) r.counts[type] = emptyCounts();
      r.checkpoint[type] = page.cursor;
      r.graphRequests += counted.requests - shared.counted.requests;
      r.throttled += counted.throttled - shared.counted.throttled;
      pushErrors(
        r,
        (page.failed ?? []).map((f) => ({
          objectType: f.type,
          code: f.code,
          message: f.message,
          ...(f.requestId ? { requestId: f.requestId } : {}),
          at,
        })),
      );
      return r;
    });
    shared.counted = counted;
    if (!committed) return;
    ctx.events.emit('run.progress', {
      tenantId: run.tenantId,
      runId: run.runId,
      objectType: type,
      counts: committed.counts[type] ?? emptyCounts(),
    });
    options.onPage?.(committed, type);
  }
}

/** Carries a completed stream's delta link / watermark to the tenant's sync state. */
async function saveStream(
  ctx: AppContext,
  sync: SyncState,
  type: ObjectType,
  cursor: StreamCursor | undefined,
  capturedAt: string,
): Promise<void> {
  if (!cursor?.done) return;
  const prev = sync.streams[type] ?? {};
  const next = {
    ...prev,
    ...(cursor.deltaLink ? { deltaLink: cursor.deltaLink } : {}),
    ...(cursor.watermark ? { watermark: cursor.watermark } : {}),
    ...(cursor.fullSync ? { lastFullAt: capturedAt } : {}),
  };
  if (JSON.stringify(next) === JSON.stringify(prev)) return;
  sync.streams[type] = next;
  sync.updatedAt = ctx.now().toISOString();
  const saved = await ctx.store.putSyncState(sync);
  sync.etag = saved.etag;
}
