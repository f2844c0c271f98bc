// Types Graph has no delta for (role definitions, role assignments, conditional access
// policies): a complete listing every run, then reconciliation against the store. Each page's
// ids (and assignments) are stored with its commit, so a resumed listing continues from its
// checkpoint and reconciles as an uninterrupted one would.
import type { GraphObject } from '../../domain.ts';
import type { GraphCollectionPage } from '../../graph/gateway.ts';
import type { TypeSpec } from '../type-specs.ts';
import type { CollectedPage, CollectorContext, EdgeChange, EdgeTarget, ObjectChange } from './collector.ts';
import { reconcileObjects } from './delta-collector.ts';
import { pacerFor } from './pacers.ts';
import {
  encodeRoundState,
  markRestart,
  type RoundPageState,
  replayRound,
  resumableRound,
  startedStream,
} from './round-state.ts';

type Item = Record<string, unknown> & { id: string };

export function listingCollector(spec: TypeSpec) {
  const firstLink = spec.query ? `${spec.path}?${spec.query}` : spec.path;
  return async function* collect(c: CollectorContext): AsyncIterable<CollectedPage> {
    const pacer = pacerFor(c.tenantId, spec);
    const seen = new Set<string>();
    // Role assignments become edges roleDefinition → principal, replaced per definition.
    const assignments = new Map<string, EdgeTarget[]>();
    // Each page stores its ids (and assignments) with its commit: a resumed listing continues.
    let link: string | undefined = firstLink;
    let seq = 0;
    let restarted = false;
    let listed = false;
    if (resumableRound(c.start) && (await replayRound(c, c.start.roundPages, applyTo(seen, assignments)))) {
      seq = c.start.roundPages;
      if (c.start.reconciling) listed = true;
      else link = c.start.nextLink;
    } else {
      seen.clear();
      assignments.clear();
      restarted = startedStream(c.start);
    }
    const first = markRestart(restarted);
    while (!listed && link) {
      await pacer.take();
      const page: GraphCollectionPage<Item> = await c.client.getPage<Item>(link);
      const state: RoundPageState = { ids: [] };
      const changes: ObjectChange[] = page.value.map((item) => {
        seen.add(item.id);
        state.ids.push(item.id);
        return { type: spec.type, id: item.id, object: item as GraphObject };
      });
      if (spec.type === 'roleAssignment') {
        state.assignments = [];
        for (const a of page.value) {
          if (typeof a.roleDefinitionId !== 'string' || typeof a.principalId !== 'string') continue;
          const scope = typeof a.directoryScopeId === 'string' ? a.directoryScopeId : '/';
          addAssignment(assignments, a.roleDefinitionId, a.principalId, a.id, scope);
          state.assignments.push([a.roleDefinitionId, a.principalId, a.id, scope]);
        }
      }
      const roundState = { seq, data: encodeRoundState(state) };
      seq++;
      link = page.nextLink;
      listed = !link;
      const cursor = link
        ? { fullSync: true, nextLink: link, roundPages: seq }
        : { fullSync: true, reconciling: true, roundPages: seq };
      yield first({ changes, edges: [], cursor, roundState });
    }
    const pending = { fullSync: true, reconciling: true, roundPages: seq };
    if (spec.type === 'roleAssignment') yield first(await assignmentEdges(c, assignments, pending));
    for await (const p of reconcileObjects(c, spec, seen, pending)) yield first(p);
    yield first({ changes: [], edges: [], cursor: { done: true, fullSync: true }, roundDone: true });
  };
}

function addAssignment(
  assignments: Map<string, EdgeTarget[]>,
  roleDefinitionId: string,
  principalId: string,
  assignmentId: string,
  directoryScopeId: string,
): void {
  const list = assignments.get(roleDefinitionId) ?? [];
  list.push({
    targetId: principalId,
    discriminator: assignmentId,
    attrs: { assignmentId, directoryScopeId },
  });
  assignments.set(roleDefinitionId, list);
}

/** Rebuilds the listing's seen ids and assignments from its stored chunks, in order. */
function applyTo(seen: Set<string>, assignments: Map<string, EdgeTarget[]>) {
  return (state: RoundPageState) => {
    for (const id of state.ids) seen.add(id);
    for (const [definition, principal, id, scope] of state.assignments ?? [])
      addAssignment(assignments, definition, principal, id, scope);
  };
}

async function assignmentEdges(
  c: CollectorContext,
  assignments: Map<string, EdgeTarget[]>,
  cursor: CollectedPage['cursor'],
): Promise<CollectedPage> {
  // Definitions that had assignments before and have none now must have their edges closed too.
  const sources = new Set(assignments.keys());
  for (const e of await c.ctx.store.listEdges(c.tenantId, { kind: 'roleAssignment' }))
    sources.add(e.sourceId);
  const edges: EdgeChange[] = [...sources].map((sourceId) => ({
    sourceType: 'roleDefinition',
    sourceId,
    kind: 'roleAssignment',
    mode: 'replace',
    targets: assignments.get(sourceId) ?? [],
  }));
  return { changes: [], edges, cursor };
}
