// Delta streams (users, groups, applications, service principals, devices, administrative
// units). An incremental round replays the stored delta link; a full round (first run, full
// run, or an expired token) lists everything and then reconciles: objects the store holds but
// the round did not return are tombstoned, relationships not returned are closed. A full round
// stores what reconciliation needs with each page (round-state.ts), so a killed one resumes. Relations
// Graph has no delta for are read per returned object (relation-fetch.ts); app role assignments
// of service principals that did not change are found through the audit log after an
// incremental round (audited-relations.ts).
import type { EdgeKind, GraphObject } from '../../domain.ts';
import { GraphError } from '../../graph/gateway.ts';
import type { TypeSpec } from '../type-specs.ts';
import { nextAuditWatermark, servicePrincipalsWithAssignmentChanges } from './audited-relations.ts';
import type {
  CollectedPage,
  CollectorContext,
  EdgeChange,
  EdgeTarget,
  ObjectChange,
  StreamCursor,
} from './collector.ts';
import { fetchRelations } from './relation-fetch.ts';
import {
  encodeRoundState,
  markRestart,
  REMOVED,
  type RoundPageState,
  replayRound,
  resumableRound,
  startedStream,
} from './round-state.ts';

type DeltaItem = Record<string, unknown> & { id: string };

/** Graph's ways of saying "this delta token is no longer valid: start over". */
export function isExpiredDeltaToken(err: unknown): boolean {
  if (!(err instanceof GraphError)) return false;
  if (err.status === 410) return true;
  return ['syncStateNotFound', 'resyncRequired', 'SyncStateNotFound', 'ResyncRequired'].includes(err.code);
}

function hasProperties(item: DeltaItem): boolean {
  return Object.keys(item).some((k) => k !== 'id' && !k.startsWith('@') && !k.includes('@'));
}

/** Page size for reconciliation commits. */
const RECONCILE_CHUNK = 500;
/** Relationship targets per reconciliation page (see reconcileEdges). */
const RECONCILE_TARGETS = 20_000;

export function deltaCollector(spec: TypeSpec) {
  const freshLink = spec.query ? `${spec.path}?${spec.query}` : spec.path;
  const basePath = spec.path.replace(/\/delta$/, '');

  return async function* collect(c: CollectorContext): AsyncIterable<CollectedPage> {
    const seen = new Set<string>();
    // Objects whose per-object relations this round read already (audit catch-up skips them).
    const fetched = new Set<string>();
    // Full round: union of each source's relationship slices (large groups arrive split), kept
    // until the round ends (a tenant's memberships are hundreds of thousands of entries).
    const unions: Unions = new Map();
    const codes = new TargetTypeCodes();
    // A full round stores its state with each page (round-state.ts): a resumed full round
    // rebuilds it and continues from its nextLink, or goes straight to reconciliation.
    let fullSync: boolean;
    let link = freshLink;
    let seq = 0;
    let restarted = false;
    let listed: { deltaLink: string; watermark?: string } | undefined;
    const start = c.start;
    if (start.nextLink && !start.fullSync) {
      fullSync = false;
      link = start.nextLink;
    } else if (
      resumableRound(start) &&
      (await replayRound(c, start.roundPages, applyTo(seen, unions, codes)))
    ) {
      fullSync = true;
      seq = start.roundPages;
      if (start.reconciling && start.deltaLink)
        listed = { deltaLink: start.deltaLink, ...(start.watermark ? { watermark: start.watermark } : {}) };
      else if (start.nextLink) link = start.nextLink;
    } else if (c.run.kind === 'full' || start.fullSync || !c.previous.deltaLink) {
      seen.clear();
      unions.clear();
      codes.reset();
      fullSync = true;
      restarted = startedStream(start);
    } else {
      fullSync = false;
      link = c.previous.deltaLink;
    }
    const first = markRestart(restarted);

    while (!listed) {
      let page: Awaited<ReturnType<typeof c.client.getPage<DeltaItem>>>;
      try {
        page = await c.client.getPage<DeltaItem>(link);
      } catch (err) {
        if (!fullSync && isExpiredDeltaToken(err)) {
          c.ctx.log.warn(
            { tenantId: c.tenantId, stream: c.stream },
            'delta token expired: full sync of the stream',
          );
          fullSync = true;
          link = freshLink;
          continue;
        }
        throw err;
      }
      const changes: ObjectChange[] = [];
      const edges: EdgeChange[] = [];
      const changedIds: string[] = [];
      // This page's share of the round's state (full rounds only).
      const state: RoundPageState = { ids: [], rels: [] };
      for (const item of page.value) {
        const removed = item['@removed'] as { reason?: string } | undefined;
        if (removed) {
          changes.push({
            type: spec.type,
            id: item.id,
            deleted: removed.reason === 'deleted' ? 'hard' : 'soft',
          });
          seen.delete(item.id);
          if (fullSync) state.ids.push(REMOVED + item.id);
          continue;
        }
        const repeated = seen.has(item.id);
        if (fullSync) {
          seen.add(item.id);
          state.ids.push(item.id);
        }
        if (hasProperties(item)) {
          changes.push({
            type: spec.type,
            id: item.id,
            object: item as GraphObject,
            partial: !fullSync || repeated,
            ...(fullSync && repeated ? { repeated: true } : {}),
          });
          changedIds.push(item.id);
        }
        for (const rel of spec.deltaRelations ?? []) {
          const slice = item[`${rel.property}@delta`];
          const targets = Array.isArray(slice) ? slice.map(toTarget).filter((t) => t !== undefined) : [];
          if (fullSync && rel.single) {
            // Whole with its object (type-specs.ts): replaced here, nothing kept for reconciliation.
            const present = targets.filter((t) => !t.removed);
            edges.push({
              sourceType: spec.type,
              sourceId: item.id,
              kind: rel.kind,
              mode: 'replace',
              targets: present,
            });
          } else if (fullSync) {
            const packed = codes.pack(targets);
            addSlice(unions, rel.kind, item.id, packed);
            state.rels?.push([item.id, rel.kind, packed]);
            if (targets.length)
              edges.push({
                sourceType: spec.type,
                sourceId: item.id,
                kind: rel.kind,
                mode: 'patch',
                targets,
              });
          } else if (targets.length) {
            edges.push({ sourceType: spec.type, sourceId: item.id, kind: rel.kind, mode: 'patch', targets });
          }
        }
      }
      let failed: CollectedPage['failed'] = [];
      if (spec.perObject && changedIds.length) {
        const rel = await fetchRelations(
          c.client,
          spec.type,
          basePath,
          [...new Set(changedIds)],
          spec.perObject,
        );
        edges.push(...rel.edges);
        failed = rel.failed;
        for (const id of changedIds) fetched.add(id);
      }
      const roundState = fullSync
        ? { seq, data: encodeRoundState({ ...state, types: codes.table() }) }
        : undefined;
      if (page.nextLink) {
        if (!roundState) {
          yield first({ changes, edges, failed, cursor: { nextLink: page.nextLink, fullSync } });
        } else {
          seq++;
          const cursor = { nextLink: page.nextLink, fullSync, roundPages: seq };
          yield first({ changes, edges, failed, cursor, roundState });
        }
        link = page.nextLink;
        continue;
      }
      if (!page.deltaLink) throw new Error(`${spec.type} delta ended without a deltaLink (${link})`);
      let watermark: string | undefined;
      if (spec.auditedAppRoles) {
        // A full round read every assignment; an incremental one re-reads those the audit log names.
        watermark = nextAuditWatermark(c, c.previous.watermark);
        if (!fullSync) {
          const audit = await servicePrincipalsWithAssignmentChanges(c.client, c, c.previous.watermark);
          const ids = [...audit.ids].filter((id) => !fetched.has(id));
          if (ids.length && spec.perObject) {
            const rel = await fetchRelations(c.client, spec.type, basePath, ids, spec.perObject);
            edges.push(...rel.edges);
            failed = [...(failed ?? []), ...(rel.failed ?? [])];
          }
          if (audit.failed) {
            failed = [...(failed ?? []), audit.failed];
            watermark = c.previous.watermark;
          }
        }
      }
      if (!roundState) {
        const done = { deltaLink: page.deltaLink, done: true, fullSync, ...(watermark ? { watermark } : {}) };
        yield first({ changes, edges, failed, cursor: done });
        return;
      }
      // Last page of a full round: commit it (the listing is complete), then reconcile.
      listed = { deltaLink: page.deltaLink, ...(watermark ? { watermark } : {}) };
      seq++;
      yield first({ changes, edges, failed, cursor: reconciling(listed, seq), roundState });
    }
    const pending = reconciling(listed, seq);
    for (const p of reconcileEdges(spec, unions, codes, pending)) yield first(p);
    for await (const p of reconcileObjects(c, spec, seen, pending)) yield first(p);
    yield first({
      changes: [],
      edges: [],
      cursor: { ...listed, done: true, fullSync: true },
      roundDone: true,
    });
  };
}

/** The cursor of a full round whose listing is complete: reconciliation remains. */
function reconciling(listed: { deltaLink: string; watermark?: string }, roundPages: number): StreamCursor {
  return { ...listed, fullSync: true, reconciling: true, roundPages };
}

function addSlice(unions: Unions, kind: EdgeKind, sourceId: string, packed: string): void {
  let sources = unions.get(kind);
  if (!sources) {
    sources = new Map();
    unions.set(kind, sources);
  }
  const union = sources.get(sourceId);
  if (union === undefined) sources.set(sourceId, packed);
  else if (!packed) return;
  else if (typeof union === 'string') sources.set(sourceId, union ? [union, packed] : packed);
  else union.push(packed);
}

/** Rebuilds the round's seen ids and relationship unions from its stored chunks, in order. */
function applyTo(seen: Set<string>, unions: Unions, codes: TargetTypeCodes): (state: RoundPageState) => void {
  return (state) => {
    for (const id of state.ids) {
      if (id.startsWith(REMOVED)) seen.delete(id.slice(REMOVED.length));
      else seen.add(id);
    }
    // The page's sources are among its ids: key the unions by the strings `seen` holds, as
    // an uninterrupted round does, rather than a second copy of each id.
    const own = new Map(state.ids.map((id) => [id, id]));
    for (const [sourceId, kind, packed] of state.rels ?? [])
      addSlice(unions, kind as EdgeKind, own.get(sourceId) ?? sourceId, packed);
    if (state.types) codes.restore(state.types);
  };
}

function toTarget(m: unknown): EdgeTarget | undefined {
  if (!m || typeof m !== 'object') return undefined;
  const rec = m as Record<string, unknown>;
  if (typeof rec.id !== 'string') return undefined;
  const odataType = rec['@odata.type'];
  return {
    targetId: rec.id,
    ...(typeof odataType === 'string' ? { targetType: odataType } : {}),
    ...(rec['@removed'] ? { removed: true } : {}),
  };
}

/**
 * A source's relationship slices of a full round, each packed into one string (TargetTypeCodes):
 * one string for most sources (a user's manager, a small group), several for a group split over
 * pages. Keyed per kind by the source's id (the string the round's seen set holds too): a
 * composite key and an array per source cost ≈ 110 bytes more, over 100,000+ sources.
 */
type SliceUnion = string | string[];
type Unions = Map<EdgeKind, Map<string, SliceUnion>>;

/** Between packed entries: never part of a Graph id. */
const SEP = '\u0001';

/**
 * Packs a slice's present targets into one string (one character for the target's type, then
 * its id, per entry): a Map entry per membership costs ≈ 90 bytes of heap (a string per id plus
 * the entry), a packed entry ≈ 38, over the 300,000+ memberships a full round holds.
 */
export class TargetTypeCodes {
  private types: (string | undefined)[] = [undefined];
  private codeOf = new Map<string | undefined, string>([[undefined, String.fromCharCode(48)]]);

  /** The code table (index = code), for a round's stored state. */
  table(): (string | null)[] {
    return this.types.map((t) => t ?? null);
  }

  /** Takes a stored table (a resumed round): it extends the current one, codes unchanged. */
  restore(table: (string | null)[]): void {
    if (table.length <= this.types.length) return;
    this.types = table.map((t) => t ?? undefined);
    this.codeOf = new Map(this.types.map((t, i) => [t, String.fromCharCode(48 + i)]));
  }

  reset(): void {
    this.types = [undefined];
    this.codeOf = new Map([[undefined, String.fromCharCode(48)]]);
  }

  pack(targets: EdgeTarget[]): string {
    const entries: string[] = [];
    for (const t of targets) if (!t.removed) entries.push(this.code(t.targetType) + t.targetId);
    return entries.join(SEP);
  }

  /** The union of `slices`: each target once, with the type it was last seen with. */
  unpack(slices: SliceUnion): EdgeTarget[] {
    const union = new Map<string, string | undefined>();
    for (const slice of typeof slices === 'string' ? [slices] : slices) {
      if (!slice) continue;
      for (const entry of slice.split(SEP)) union.set(entry.slice(1), this.types[entry.charCodeAt(0) - 48]);
    }
    return [...union].map(([targetId, targetType]) => (targetType ? { targetId, targetType } : { targetId }));
  }

  private code(type: string | undefined): string {
    let c = this.codeOf.get(type);
    if (c === undefined) {
      c = String.fromCharCode(48 + this.types.length);
      this.types.push(type);
      this.codeOf.set(type, c);
    }
    return c;
  }
}

function* reconcileEdges(
  spec: TypeSpec,
  unions: Unions,
  codes: TargetTypeCodes,
  cursor: CollectedPage['cursor'],
): Iterable<CollectedPage> {
  let edges: EdgeChange[] = [];
  let targetsInPage = 0;
  for (const [kind, sources] of unions) {
    for (const [sourceId, union] of sources) {
      const targets = codes.unpack(union);
      // Released as it is handed over: the round's unions shrink while reconciliation runs.
      sources.delete(sourceId);
      edges.push({ sourceType: spec.type, sourceId, kind, mode: 'replace', targets });
      targetsInPage += targets.length;
      // A page of 500 sources, or fewer when they are large: the writer reads back each source's
      // stored relationships to compare, so a page with three 50,000-member groups would hold 150,000.
      if (edges.length >= RECONCILE_CHUNK || targetsInPage >= RECONCILE_TARGETS) {
        yield { changes: [], edges, cursor };
        edges = [];
        targetsInPage = 0;
      }
    }
  }
  if (edges.length) yield { changes: [], edges, cursor };
}

/** Objects the store holds as live that a complete listing did not return: deleted meanwhile. */
export async function* reconcileObjects(
  c: CollectorContext,
  spec: TypeSpec,
  seen: Set<string>,
  cursor: CollectedPage['cursor'],
): AsyncIterable<CollectedPage> {
  // Collect first: committing while the store's id cursor is open would contend with it.
  const missing: string[] = [];
  for await (const ids of c.ctx.store.listLiveObjectIds(c.tenantId, spec.type)) {
    for (const id of ids) if (!seen.has(id)) missing.push(id);
  }
  for (let i = 0; i < missing.length; i += RECONCILE_CHUNK) {
    const changes: ObjectChange[] = missing.slice(i, i + RECONCILE_CHUNK).map((id) => ({
      type: spec.type,
      id,
      deleted: spec.softDelete ? 'lookup' : 'hard',
      reconciled: true,
    }));
    yield { changes, edges: [], cursor };
  }
}
