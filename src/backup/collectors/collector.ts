// What a collector yields: pages of object changes and relationship changes, each with the
// stream cursor to checkpoint once the page is committed.
import type { AppContext } from '../../app-context.ts';
import type { EdgeKind, GraphObject, ObjectType } from '../../domain.ts';
import type { GraphClient } from '../../graph/gateway.ts';
import type { RunRecord } from '../../store/store.ts';

export type StreamCursor = RunRecord['checkpoint'][string];

export interface ObjectChange {
  type: ObjectType;
  id: string;
  /** Graph's JSON for an upsert; absent for a deletion. */
  object?: GraphObject;
  /** The object may carry only changed properties (delta): merged onto the stored content. */
  partial?: boolean;
  /** A deletion: 'lookup' = ask the recycle bin whether it is soft or hard. */
  deleted?: 'soft' | 'hard' | 'lookup';
  /** Found missing by reconciliation (not reported by Graph): not counted as seen. */
  reconciled?: boolean;
  /**
   * Returned earlier in this round (a large group split over pages): counted then, so a resumed
   * execution that meets it first here counts it as the uninterrupted round did.
   */
  repeated?: boolean;
}

export interface EdgeTarget {
  targetId: string;
  targetType?: string;
  attrs?: Record<string, unknown>;
  /** Distinguishes several edges to one target (an assignment id). */
  discriminator?: string;
  /** In a patch: this edge is removed. */
  removed?: boolean;
}

export interface EdgeChange {
  sourceType: ObjectType;
  sourceId: string;
  kind: EdgeKind;
  /** replace: `targets` is the whole current set; patch: apply adds/removals in order. */
  mode: 'replace' | 'patch';
  targets: EdgeTarget[];
}

export interface CollectedPage {
  changes: ObjectChange[];
  edges: EdgeChange[];
  /** The stream's cursor after this page. */
  cursor: StreamCursor;
  /** Objects of the page whose relationships could not be read (counted as failed). */
  failed?: { type: ObjectType; id: string; code: string; message: string; requestId?: string }[];
  /** A full round's state of this page (round-state.ts), committed with it; seq counts from 0. */
  roundState?: { seq: number; data: string };
  /** The stream's round is done: its stored round state is dropped with this page. */
  roundDone?: boolean;
  /** The first page of a resumed stream's round that starts over: its counts start over too. */
  restarted?: boolean;
}

export interface CollectorContext {
  ctx: AppContext;
  tenantId: string;
  client: GraphClient;
  run: RunRecord;
  /** Stream name (checkpoint key). */
  stream: string;
  /** Where to start: the checkpoint of a resumed run, or a fresh cursor. */
  start: StreamCursor;
  /** The stream's state from earlier runs (delta link, watermark). */
  previous: { deltaLink?: string; watermark?: string };
}

export type Collector = (c: CollectorContext) => AsyncIterable<CollectedPage>;
