// A full round's state, stored page by page with the page's commit (PageCommit.roundState), so a
// killed full round resumes from its checkpoint: reconciliation needs every id the round saw and
// every relationship slice, which would otherwise exist only in the killed process's memory.
// A chunk is the page's share of that state, as JSON text: deflating it saved space but raised
// the full backup's peak resident memory, which has little to spare (one quarter-size sample
// each: 276 MB deflated, 266 MB plain).
import type { CollectedPage, CollectorContext, StreamCursor } from './collector.ts';

/** Prefixes an id the page removed from the round's seen set (a delta `@removed` entry). */
export const REMOVED = '\u0002';

export interface RoundPageState {
  /** Ids the page saw, in order; REMOVED + id for an id it removed. */
  ids: string[];
  /** Relationship slices: [sourceId, kind, packed targets] (delta-collector.ts TargetTypeCodes). */
  rels?: [string, string, string][];
  /** The round's target type codes so far (index = code): the table only grows. */
  types?: (string | null)[];
  /** Role assignments: [roleDefinitionId, principalId, assignmentId, directoryScopeId]. */
  assignments?: [string, string, string, string][];
}

export function encodeRoundState(state: RoundPageState): string {
  return JSON.stringify(state);
}

export function decodeRoundState(data: string): RoundPageState {
  const state = JSON.parse(data) as RoundPageState;
  if (!state || !Array.isArray(state.ids)) throw new Error('round-state chunk without ids');
  return state;
}

/** A cursor from which a full round can continue (its state is stored up to `roundPages`). */
export function resumableRound(
  start: StreamCursor,
): start is StreamCursor & { roundPages: number; fullSync: true } {
  return (
    start.fullSync === true &&
    !start.done &&
    typeof start.roundPages === 'number' &&
    (start.nextLink !== undefined || start.reconciling === true)
  );
}

/** A cursor of a stream this run had begun (a resumed stream that did not finish). */
export function startedStream(start: StreamCursor): boolean {
  return Object.keys(start).length > 0 && !start.done;
}

/**
 * Marks the first page a stream yields as `restarted` when the stream starts over (its counts
 * start over with it, run-executor.ts); every later page passes unchanged.
 */
export function markRestart(restarted: boolean): (page: CollectedPage) => CollectedPage {
  let pending = restarted;
  return (page) => {
    if (!pending) return page;
    pending = false;
    return { ...page, restarted: true };
  };
}

/**
 * Feeds the stored chunks of the stream's round (seq 0 … pages - 1) to `apply`, one at a time,
 * in order. False when the store keeps no round state or a chunk is missing or unreadable: the caller
 * then discards what was applied and starts the round over.
 */
export async function replayRound(
  c: CollectorContext,
  pages: number,
  apply: (state: RoundPageState) => void,
): Promise<boolean> {
  const read = c.ctx.store.readRoundState;
  if (!read) return false;
  let expected = 0;
  // A store error propagates (the run fails or waits for the store, as on any commit).
  for await (const chunk of read.call(c.ctx.store, c.tenantId, c.run.runId, c.stream, pages)) {
    if (chunk.seq !== expected) break;
    let state: RoundPageState;
    try {
      state = decodeRoundState(chunk.data);
    } catch (err) {
      c.ctx.log.warn({ tenantId: c.tenantId, stream: c.stream, err }, 'round state unreadable');
      return false;
    }
    apply(state);
    expected++;
  }
  if (expected === pages) return true;
  c.ctx.log.warn(
    { tenantId: c.tenantId, stream: c.stream, pages, found: expected },
    'round state incomplete: the full round starts over',
  );
  return false;
}
